"""nbgrader preprocessors of the course, configured in ``assignments/nbgrader_config.py``.

Autograding (stage 3): ``ResilientExecute`` (``execute``), ``RelabelGradeCellStderr`` and
``CapOutputSize`` (``outputs``), ``AddCanaries`` and ``CheckCanaries`` (``tamper``: tamper
detection); feedback (stage 4): ``RedactHiddenTests`` (``redact``). This
package re-exports the classes, as nbgrader's own ``nbgrader.preprocessors`` does.
"""

from course_tools.preprocessors.execute import (KERNEL_DIED, NOT_RUN, NOTICE,  # noqa: F401
                                                ResilientExecute)
from course_tools.preprocessors.outputs import CapOutputSize, RelabelGradeCellStderr  # noqa: F401
from course_tools.preprocessors.redact import RedactHiddenTests  # noqa: F401
from course_tools.preprocessors.tamper import AddCanaries, CheckCanaries  # noqa: F401
