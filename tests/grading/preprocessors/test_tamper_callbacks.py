"""Tamper detection, fast checks: IPython event callbacks that patch the test machinery only
while a cell runs (``course_tools.preprocessors.tamper``). Hidden files such as a ``.ipython``
startup folder are left out by pre-flight (tests/grading/preflight/test_preflight_rules.py).

The probe cell runs in a fresh in-process IPython shell in a subprocess (so pytest's own state,
its captured ``sys.stdout`` or a coverage tracer, never meets the shell)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from course_tools.preprocessors.probe import probe_source

_RUNNER = r'''
import ast, json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
setup, probe, fail = json.loads(sys.stdin.read())
result = shell.run_cell(setup, store_history=True)
assert result.success, result.error_in_exec
shell.run_cell("import numpy as np\nassert np.isclose(1.0, 1.0)", store_history=True)
result = shell.run_cell(probe, store_history=True)
error = result.error_in_exec
assert type(error).__name__ == "AssertionError" and str(error).startswith(fail + " "), error
found = ast.literal_eval(str(error)[len(fail) + 1:])[0]
print(json.dumps(found))
'''

#: What the security tester did: patch numpy.isclose/allclose while a cell runs, restore after.
ATTACK = """
import numpy
_real = (numpy.isclose, numpy.allclose)
def _patch(*args, **kwargs):
    numpy.isclose = lambda *a, **k: True
    numpy.allclose = lambda *a, **k: True
def _restore(*args, **kwargs):
    numpy.isclose, numpy.allclose = _real
ip = get_ipython()
ip.events.register("{before}", _patch)
ip.events.register("{after}", _restore)
"""


def _findings(setup: str) -> list[str]:
    fail = "f" * 24
    probe = probe_source(fail, "_course_traces_test", fail=True)
    run = subprocess.run([sys.executable, "-c", _RUNNER], input=json.dumps([setup, probe, fail]),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def _callback_findings(setup: str) -> list[str]:
    return [f for f in _findings(setup) if "callback" in f or "events" in f]


def test_callbacks_that_patch_numpy_only_while_a_cell_runs_are_flagged():
    for before, after in (("pre_run_cell", "post_run_cell"), ("pre_execute", "post_execute")):
        found = _callback_findings(ATTACK.format(before=before, after=after))
        assert any(f.startswith(f"event callback added ({before})") for f in found), found
        assert any(f.startswith(f"event callback added ({after})") for f in found), found


def test_a_callback_claiming_to_be_ipythons_is_judged_by_its_code():
    setup = textwrap.dedent("""
        def _hook(*args):
            pass
        _hook.__module__ = "IPython.core.events"
        get_ipython().events.register("pre_run_cell", _hook)
    """)
    found = _callback_findings(setup)
    assert any("event callback added (pre_run_cell)" in f for f in found), found


def test_matplotlib_inline_callbacks_of_an_honest_notebook_are_not_flagged():
    setup = textwrap.dedent("""
        import matplotlib
        matplotlib.use("module://matplotlib_inline.backend_inline")
        import matplotlib.pyplot as plt
        from matplotlib_inline.backend_inline import flush_figures
        get_ipython().events.register("post_execute", flush_figures)
        plt.plot([1, 2])
        def helper(x):
            return x + 1
    """)
    assert _callback_findings(setup) == []
