"""Tamper detection: canary cells that show whether the tests really ran (issue 14).

nbgrader runs a student's code and the instructor's tests in one kernel, so student code can change
how the test cells run: register an IPython input or AST transformer that empties them, patch the
shell's ``run_cell`` or ``showtraceback`` so that a failure is never shown, install a trace function
(``sys.settrace``) that jumps over ``assert`` lines, rebind ``AssertionError``, or patch
``numpy.testing``, ``pandas.testing`` or builtins such as ``abs`` and ``isinstance``. That cannot be
prevented from outside the kernel; it can be *detected*. Two nbgrader preprocessors do it:

``AddCanaries`` (first of ``Autograde.autograde_preprocessors``, before execution)
    Appends one *trace* line to each test cell (a grade cell that is not an answer cell) that ends
    in a statement (not in an expression, which nbgrader may read as a partial-credit score): it
    records a random token only when the cell ran to its end. After every test cell it inserts a
    *report probe*, and at the end of the notebook one *failing probe*. Each probe runs the same
    checks of the kernel's test machinery:

    * transformers or shell methods that are not IPython's or ipykernel's own, IPython event
      callbacks (``pre_run_cell``, ``post_execute``...) whose functions are not IPython's,
      ipykernel's, matplotlib's or nbgrader's (a callback can patch the test machinery only while
      a test cell runs), a trace or profile function, a rebound ``AssertionError``, builtins that
      are not the interpreter's own, a replaced ``sys.stdout`` or display publisher,
      ``numpy.testing``/``pandas.testing`` functions or ``numpy.isclose``/``allclose``/
      ``math.isclose`` that no longer fail on unequal values; and lists the test cells whose trace
      line ran.

    A report probe publishes its findings and traces as display data that starts with a fresh
    random nonce; it must not raise. The failing probe ends with ``assert 0, "<nonce> <report>"``
    and must give an ``AssertionError`` with exactly that message: it shows that a failing cell
    still shows its failure. (Until December 2026 every probe failed on purpose; IPython's
    traceback formatting made that the costliest part of grading a test cell, about 30 ms each,
    and the trace lines already catch a hidden failure of any single test cell: a test cell that
    shows no error but whose trace line did not run is a finding.)

    The probe's checks run in fresh globals (``exec`` with the builtins module), so a student's own
    variable named ``sum``, ``type`` or ``max`` is not mistaken for tampering.

``CheckCanaries`` (after ``ResilientExecute`` and ``ClearMetadataPreprocessor``, before outputs are
capped and grades saved)
    Reads each probe's outputs: a report probe that raised or left no report, a failing probe that
    did not fail, failed with another error or another message, or any reported finding means the
    tests may not have run as written. So does a test cell that shows neither an error nor its
    trace (it was skipped or its failure hidden). A probe that did not run because the kernel died
    earlier (``KernelDied``/``NotRun``) is no finding: every test after it scores zero.
    It then removes the probes and the appended lines (they never reach the autograded notebook,
    the scores or the feedback) and writes the findings to the notebook's metadata,
    ``metadata["course_tools"]["tamper"]`` (a list of sentences; empty when nothing was found), and
    logs a warning. ``course_tools.autograde.grader`` reads them back (:func:`findings_of`): such a
    student is reported as "needs review", never as a clean grade.

Limits: this detects the family of generic tricks above, not code written against these very checks
(the probe's source, nonces included, is visible to a transformer that reads cells). Honest
submissions, correct, partly wrong or blank, leave no finding (tested for every problem set).
The nonces come from :mod:`secrets`; the canary cells carry no nbgrader metadata, so nbgrader
neither scores nor records them.

Sources: IPython's documentation of input transformers (``input_transformers_cleanup``,
``input_transformers_post``) and ``ast_transformers`` ("Custom input transformation"); nbgrader's
``utils.determine_grade`` (a test cell scores full marks when it shows no error); the attributes
checked were read from IPython 8 and ipykernel 6 as installed here (``_showtraceback`` is set on
the shell instance by ipykernel itself, so the probe judges every method by the module it comes
from, not by where it is stored).
"""

from __future__ import annotations

import ast
import secrets

from nbformat.v4 import new_code_cell
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

#: Key of this module's entry in ``resources`` and in the notebook metadata.
KEY = "course_tools"
#: Error names written by ResilientExecute for cells after a dead kernel.
_DEAD = ("KernelDied", "NotRun")
#: Builtin functions and types a test may rely on; each must still be the interpreter's own.
_FUNCTIONS = ("abs", "all", "any", "callable", "divmod", "getattr", "hasattr", "hash", "isinstance",
              "issubclass", "iter", "len", "max", "min", "next", "pow", "print", "repr", "round",
              "setattr", "sorted", "sum", "exec", "eval", "compile", "__import__")
_TYPES = ("bool", "int", "float", "complex", "str", "bytes", "list", "dict", "tuple", "set",
          "frozenset", "range", "zip", "map", "filter", "enumerate", "reversed", "slice", "type",
          "object", "BaseException", "Exception", "AssertionError", "ValueError", "TypeError",
          "NameError", "NotImplementedError", "ZeroDivisionError", "KeyError", "IndexError",
          "AttributeError", "RuntimeError", "ArithmeticError", "LookupError")
_SHELL_METHODS = ("run_cell", "run_cell_async", "_run_cell", "run_ast_nodes", "run_code",
                  "showtraceback", "_showtraceback", "showsyntaxerror", "transform_cell",
                  "transform_ast", "should_run_async", "ex", "ev")
_KERNEL_METHODS = ("do_execute", "execute_request", "_publish_execute_input")
#: Top-level packages whose IPython event callbacks are expected (IPython and ipykernel register
#: their own; matplotlib's pyplot and inline backend register a drawing and a flushing callback).
_CALLBACK_OWNERS = ("IPython", "ipykernel", "matplotlib", "matplotlib_inline", "nbgrader")

#: Runs inside the student's kernel with fresh globals: NONCE, TRACES (the sys attribute holding
#: the traces of test cells) are given. Prints NONCE and the list of findings, then the list of
#: traces, on one line.
_PROBE = r'''
import sys, types, threading, builtins
found = []
_owned = ("IPython.", "ipykernel.")
def _origin(f):
    f = getattr(f, "__func__", f)
    return getattr(f, "__module__", None) or getattr(type(f), "__module__", "") or ""
try:
    assert 0
except BaseException as e:
    real = e.__class__
if real.__name__ != "AssertionError" or real.__flags__ & (1 << 9):
    found.append("the assert statement does not raise the interpreter's AssertionError")
if builtins.AssertionError is not real:
    found.append("builtins.AssertionError was rebound")
try:
    from IPython.core.getipython import get_ipython
    ip = get_ipython()
except BaseException as e:
    ip = None
    found.append("no IPython shell reachable: " + e.__class__.__name__)
if ip is not None:
    tm = ip.input_transformer_manager
    for label, items in (("input transformer", list(ip.input_transformers_cleanup)),
                         ("input transformer", list(ip.input_transformers_post)),
                         ("line transform", list(tm.line_transforms)),
                         ("token transformer", list(tm.token_transformers))):
        for f in items:
            if not _origin(f).startswith(_owned):
                found.append(label + " added: " + repr(f)[:80])
    if len(ip.ast_transformers):
        found.append("AST transformer added: " + repr(list(ip.ast_transformers))[:80])
    # Event callbacks (pre/post_run_cell, pre/post_execute) can patch the test machinery only
    # while a test runs and restore it before this check: judge each by the module its function
    # comes from (and, for Python functions, by the file its code was read from).
    def _foreign(f):
        g = getattr(f, "__func__", f)
        mod = _origin(g)
        top = mod.split(".")[0]
        if top not in CALLBACK_OWNERS:
            return True
        code = getattr(g, "__code__", None)
        package = getattr(sys.modules.get(top), "__file__", None)
        if code is None:
            return False
        if not package:
            return True
        import os.path
        return not os.path.realpath(code.co_filename).startswith(
            os.path.dirname(os.path.realpath(package)) + os.sep)
    events = getattr(ip, "events", None)
    if events is not None:
        if not _origin(getattr(events, "trigger", None)).startswith(_owned):
            found.append("IPython events.trigger replaced")
        for event, callbacks in sorted(dict(getattr(events, "callbacks", {}) or {}).items()):
            for f in list(callbacks):
                if _foreign(f):
                    found.append("event callback added (" + str(event) + "): " + repr(f)[:80])
    for name in SHELL_METHODS:
        f = getattr(ip, name, None)
        if f is not None and not _origin(f).startswith(_owned):
            found.append("shell method " + name + " replaced")
    kernel = getattr(ip, "kernel", None)
    for name in KERNEL_METHODS:
        f = getattr(kernel, name, None)
        if kernel is not None and f is not None and not _origin(f).startswith(_owned):
            found.append("kernel method " + name + " replaced")
    for label, obj, owners in (("display publisher", getattr(ip, "display_pub", None), _owned),
                               ("display hook", getattr(ip, "displayhook", None), _owned),
                               ("kernel session", getattr(kernel, "session", None),
                                ("jupyter_client.",))):
        if obj is None:
            continue
        if not type(obj).__module__.startswith(owners):
            found.append(label + " replaced")
        for name in ("publish", "send", "__call__", "write_output_prompt", "write_format_data"):
            f = obj.__dict__.get(name) if hasattr(obj, "__dict__") else None
            if f is not None and not _origin(f).startswith(owners):
                found.append(label + " method " + name + " replaced")
if sys.gettrace() is not None:
    found.append("a trace function is set (sys.settrace)")
if sys.getprofile() is not None:
    found.append("a profile function is set (sys.setprofile)")
if getattr(threading, "_trace_hook", None) is not None or getattr(threading, "_profile_hook", None) is not None:
    found.append("a thread trace or profile function is set")
for name in FUNCTIONS:
    f = builtins.__dict__.get(name)
    if not (f.__class__ is types.BuiltinFunctionType and getattr(f, "__self__", None) is builtins
            and getattr(f, "__name__", None) == name):
        found.append("builtin " + name + " replaced")
for name in TYPES:
    t = builtins.__dict__.get(name)
    if not (t.__class__ is type and t.__name__ == name and t.__module__ == "builtins"
            and not t.__flags__ & (1 << 9)):
        found.append("builtin " + name + " replaced")
def _must_fail(label, call, *args):
    try:
        call(*args)
    except BaseException as e:
        if e.__class__ is not real:
            found.append(label + " raises " + e.__class__.__name__ + " instead of AssertionError")
        return
    found.append(label + " no longer fails on unequal values")
np = sys.modules.get("numpy")
if np is not None:
    for name in ("assert_allclose", "assert_array_equal", "assert_array_almost_equal",
                 "assert_almost_equal", "assert_equal", "assert_approx_equal"):
        _must_fail("numpy.testing." + name, getattr(np.testing, name, None) or (lambda *a: None), 1.0, 2.0)
    if sys.modules.get("numpy.testing") is not np.testing:
        found.append("numpy.testing was replaced")
    for name in ("isclose", "allclose", "array_equal"):
        if bool(getattr(np, name)(1.0, 2.0)):
            found.append("numpy." + name + " says 1.0 equals 2.0")
pd = sys.modules.get("pandas")
if pd is not None and hasattr(pd, "DataFrame"):
    _must_fail("pandas.testing.assert_frame_equal", pd.testing.assert_frame_equal,
               pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [2]}))
    _must_fail("pandas.testing.assert_series_equal", pd.testing.assert_series_equal,
               pd.Series([1]), pd.Series([2]))
import math
if math.isclose(1.0, 2.0):
    found.append("math.isclose says 1.0 equals 2.0")
if ip is not None:
    for alias, module in (("np", "numpy"), ("pd", "pandas"), ("math", "math")):
        if alias in ip.user_ns and module in sys.modules and ip.user_ns[alias] is not sys.modules[module]:
            if isinstance(ip.user_ns[alias], types.ModuleType) or module != "math":
                found.append("the name " + alias + " no longer refers to " + module)
out = getattr(sys.stdout, "__class__", None)
if not getattr(out, "__module__", "").startswith(("ipykernel.", "IPython.")):
    found.append("sys.stdout was replaced")
REPORT = repr((found, list(sys.__dict__.get(TRACES, []))))
if not FAIL:
    from IPython.display import publish_display_data
    publish_display_data({"text/plain": NONCE + " " + REPORT})
'''


def _src(cell) -> str:
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


def _is_test(cell) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def _ends_in_statement(source: str) -> bool:
    """True when the cell parses and its last statement is not an expression."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        tree = ast.parse(TransformerManager().transform_cell(source))
    except Exception:  # noqa: BLE001 - not plain Python: leave the cell as it is
        return False
    return bool(tree.body) and not isinstance(tree.body[-1], ast.Expr)


def probe_source(nonce: str, traces: str, fail: bool = False) -> str:
    """Source of one probe cell (see the module docstring).

    ``nonce`` starts the probe's report; ``traces`` names the ``sys`` attribute holding the traces
    of test cells. A report probe (``fail=False``) publishes ``"<nonce> <report>"`` as
    ``text/plain`` display data; a failing probe ends with ``assert 0, "<nonce> <report>"``.
    The report is ``repr((findings, traces))``, two lists of strings.
    """
    names = {"NONCE": nonce, "TRACES": traces, "FAIL": fail, "FUNCTIONS": _FUNCTIONS,
             "TYPES": _TYPES, "SHELL_METHODS": _SHELL_METHODS, "KERNEL_METHODS": _KERNEL_METHODS,
             "CALLBACK_OWNERS": _CALLBACK_OWNERS}
    source = ("import builtins as _cnry_b\n"
              f"_cnry_g = {{'__builtins__': _cnry_b, **{names!r}}}\n"
              f"_cnry_b.exec({_PROBE!r}, _cnry_g)")
    if fail:
        source += f"\nassert 0, {nonce!r} + ' ' + _cnry_g['REPORT']"
    return source


class AddCanaries(NbGraderPreprocessor):
    """Add trace lines to test cells, a report probe after each, a failing probe at the end."""

    def preprocess(self, nb, resources):
        cells = list(nb.cells)
        if not cells:
            return nb, resources
        traces = "_course_traces_" + secrets.token_hex(8)
        plan = {"traces": traces, "probes": [], "tests": {}}
        out = []

        def probe(fail: bool) -> None:
            nonce = secrets.token_hex(12)
            plan["probes"].append({"index": len(out), "nonce": nonce, "fail": fail,
                                   "after": len(out) - 1})
            out.append(new_code_cell(probe_source(nonce, traces, fail)))

        for cell in cells:
            out.append(cell)
            if not _is_test(cell):
                continue
            source = _src(cell)
            if _ends_in_statement(source):
                token = secrets.token_hex(6)
                suffix = (f"\nimport sys as _cnry_s; _cnry_s.__dict__.setdefault({traces!r}, "
                          f"[]).append({token!r}); del _cnry_s")
                plan["tests"][len(out) - 1] = {"source": source, "token": token,
                                               "grade_id": cell.metadata.nbgrader.get("grade_id")}
                cell.source = source + suffix
            probe(fail=False)
        probe(fail=True)
        nb.cells = out
        resources.setdefault(KEY, {})["canaries"] = plan
        return nb, resources


def _text(output) -> str:
    text = output.get("text", "")
    return text if isinstance(text, str) else "".join(text)


def _report_of(outputs: list, nonce: str) -> str | None:
    """The report a report probe published (text after ``"<nonce> "``), or None."""
    for output in outputs:
        if output.get("output_type") not in ("display_data", "execute_result"):
            continue
        text = output.get("data", {}).get("text/plain", "")
        text = text if isinstance(text, str) else "".join(text)
        if text.startswith(nonce + " "):
            return text[len(nonce) + 1:]
    return None


def check(nb, plan: dict) -> list[str]:
    """Findings from the executed probes of ``plan`` (from :class:`AddCanaries`) in ``nb``.

    Returns a list of sentences, each ending in where it was first seen; empty when the probes
    found nothing.
    """
    findings: dict[str, str] = {}  # finding -> where it was first seen

    def add(what: str, where: str) -> None:
        findings.setdefault(what, where)

    probe_at = {p["index"] for p in plan["probes"]}
    for probe in plan["probes"]:
        cell = nb.cells[probe["index"]]
        outputs = cell.get("outputs", [])
        errors = [o for o in outputs if o.get("output_type") == "error"]
        if any(o.get("ename") in _DEAD for o in errors):
            continue  # the kernel died before: later tests score zero, nothing to check
        previous = nb.cells[probe["after"]]
        gid = previous.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if probe["fail"]:
            where = "at the end of the notebook"
        else:
            where = f"after cell {probe['after'] - sum(i < probe['after'] for i in probe_at)}" + (
                f" ({gid})" if gid else "")
        shown = ", ".join(str(o.get("ename")) for o in errors) or "no error"
        report = None
        if probe["fail"]:
            failed = [o for o in errors if o.get("ename") == "AssertionError"
                      and str(o.get("evalue", "")).startswith(probe["nonce"] + " ")]
            if len(errors) != 1 or not failed:
                add(f"a check that must fail did not fail as it must ({shown}): failures of tests "
                    "may have been hidden", where)
            else:
                report = str(failed[0]["evalue"])[len(probe["nonce"]) + 1:]
        elif errors:
            add(f"a check that must run cleanly raised an error ({shown})", where)
        else:
            report = _report_of(outputs, probe["nonce"])
            if report is None:
                add("a check left no report (its display output was suppressed or replaced)",
                    where)
        traces = None
        if report is not None:
            try:
                found, traces = ast.literal_eval(report)
                found, traces = [str(f) for f in found], [str(t) for t in traces]
            except (ValueError, SyntaxError, TypeError):
                add("a check gave an unreadable report", where)
                found = []
            for item in found:
                add(item, where)
        test = None if probe["fail"] else plan["tests"].get(probe["after"])
        if test is not None and traces is not None:
            test_errors = [o for o in previous.get("outputs", [])
                           if o.get("output_type") == "error"]
            if not test_errors and test["token"] not in traces:
                add(f"test cell {test['grade_id']!r} passed without running to its end (it was "
                    "skipped or cut short)", where)
    return [f"{what} (first seen {where})" for what, where in findings.items()]


def strip(nb, plan: dict) -> None:
    """Remove the probes and the lines appended to test cells (in place)."""
    for index, test in plan["tests"].items():
        cell = nb.cells[int(index)]
        cell.source = test["source"]
        # A traceback shows lines around the failing one: drop the appended line from it.
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = ["\n".join(line for line in str(frame).split("\n")
                                                 if "_cnry_s" not in line)
                                       for frame in output.get("traceback", [])]
    for probe in sorted(plan["probes"], key=lambda p: p["index"], reverse=True):
        del nb.cells[probe["index"]]


class CheckCanaries(NbGraderPreprocessor):
    """Read the probes, record the findings, remove every canary (see the module docstring)."""

    def preprocess(self, nb, resources):
        plan = (resources.get(KEY) or {}).get("canaries")
        if not plan:
            return nb, resources
        findings = check(nb, plan)
        strip(nb, plan)
        nb.metadata.setdefault(KEY, {})["tamper"] = findings
        resources[KEY]["tamper"] = findings
        if resources[KEY].get("leftover_processes"):
            nb.metadata[KEY]["leftover_processes"] = resources[KEY]["leftover_processes"]
        if findings:
            self.log.warning("[course_tools] tampering suspected: %s", " | ".join(findings))
        return nb, resources


def findings_of(nb: dict) -> list[str] | None:
    """The tamper findings recorded in an autograded notebook (a dict as read from JSON).

    Returns None when the notebook was autograded without the canaries (not configured).
    """
    meta = nb.get("metadata", {}).get(KEY)
    if not isinstance(meta, dict) or "tamper" not in meta:
        return None
    return [str(f) for f in meta["tamper"]]
