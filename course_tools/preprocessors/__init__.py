"""nbgrader preprocessors of the course, configured in ``assignments/nbgrader_config.py``.

Autograding: ``ResilientExecute``, ``RelabelGradeCellStderr``, ``CapOutputSize``; feedback:
``RedactHiddenTests``. This package re-exports the classes, as nbgrader's own
``nbgrader.preprocessors`` does.
"""

from course_tools.preprocessors.execute import (KERNEL_DIED, NOT_RUN, NOTICE,  # noqa: F401
                                                CapOutputSize, RelabelGradeCellStderr,
                                                ResilientExecute)
from course_tools.preprocessors.redact import RedactHiddenTests  # noqa: F401
