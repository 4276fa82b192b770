"""Tamper detection: canary cells that show whether the tests really ran (issue 14).

nbgrader runs a student's code and the instructor's tests in one kernel, so student code can change
how the test cells run: register an IPython input or AST transformer that empties them, patch the
shell's ``run_cell`` or ``showtraceback`` so that a failure is never shown, install a trace function
(``sys.settrace``) that jumps over ``assert`` lines, rebind ``AssertionError``, or patch
``numpy.testing``, ``pandas.testing`` or builtins such as ``abs`` and ``isinstance``. That cannot be
prevented from outside the kernel; it can be *detected*. Two nbgrader preprocessors do it:

``AddCanaries`` (first of ``Autograde.autograde_preprocessors``, before execution; after
nbgrader's ``OverwriteCells`` has restored the test cells from the release)
    Replaces each test cell (a grade cell that is not an answer cell) that ends in a statement by
    one *test line*. The line runs the cell's text from the grader's own copy, compiled by the
    interpreter's own ``compile`` under the name ``<test cell ID>`` (magics turned into Python by
    IPython's ``TransformerManager`` on the grader's side), in the student's namespace: IPython's
    compile path (input and AST transformers, the shell's compiler, anything patched into them)
    never sees the test, so the family of tricks that rewrite cells as they are compiled cannot
    reach it (two rounds of security trials found five ways into that path). An error of the test
    propagates and fails the cell as usual. Only when the test ran to its end does the line then
    record a random token and check the kernel's test machinery:

    * transformers, event callbacks (``pre_run_cell``, ``post_execute``...) and every Python
      function on the shell, kernel, compiler, transformer manager, display and session objects
      and their classes whose code is not from IPython, ipykernel, their libraries or Python's
      own library; a trace or profile function; a rebound ``AssertionError``; builtins that are
      not the interpreter's own (``compile`` and ``exec`` included); a replaced ``sys.stdout``;
      ``numpy.testing``/``pandas.testing`` functions or ``numpy.isclose``/``allclose``/
      ``math.isclose`` that no longer fail on unequal values; a module, or a stand-in offering
      ``isclose``/``testing``..., under the names ``np``, ``pd`` or ``math``;

    then publishes its findings and the tokens seen so far as display data that starts with a fresh
    random nonce, and keeps any findings in the kernel for the final check. A test cell that ends
    in an expression (nbgrader may read it as a partial-credit score) is left as it is and gets a
    *report probe* cell after it. At the end of the notebook one *failing probe* runs the same
    checks and ends with ``assert 0, "<nonce> <report>"``: it must give an ``AssertionError`` with
    exactly that message, which shows that a failing cell still shows its failure.

    (Until December 2026 a failing probe cell followed every test cell. The cost of a cell's round
    trip and of IPython's traceback made that about 8 % of a student's grading time for ps1.)

``CheckCanaries`` (after ``ResilientExecute`` and ``ClearMetadataPreprocessor``, before outputs are
capped and grades saved)
    A test cell that shows no error must show its test line's report, or its token must be in the
    final report; otherwise it passed without running to its end (skipped, or its failure hidden).
    Any finding, a report probe that raised or left no report, or a failing probe that did not fail,
    failed with another error or another message, means the tests may not have run as written. A
    probe that did not run because the kernel died earlier (``KernelDied``/``NotRun``) is no
    finding: every test after it scores zero; but the tests that passed before the death were
    checked only by their own lines, so the student is reported as not verified ("needs review").
    It then puts the test cells' own text back, removes the probes, the reports and the frames of
    the test line and the checks from tracebacks (they never reach the
    autograded notebook, the scores or the feedback) and writes the findings to the notebook's
    metadata, ``metadata["course_tools"]["tamper"]`` (a list of sentences; empty when nothing was
    found), and logs a warning. ``course_tools.autograde.grader`` reads them back
    (:func:`findings_of`): such a student is reported as "needs review", never as a clean grade.

The checks themselves, and the source of the lines and cells, are in
:mod:`course_tools.preprocessors.probe`.

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

from IPython.core.inputtransformer2 import TransformerManager
from nbformat.v4 import new_code_cell
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from course_tools.preprocessors.probe import CHECK_NAME, MARK, probe_source

#: Key of this module's entry in ``resources`` and in the notebook metadata.
KEY = "course_tools"
#: Error names written by ResilientExecute for cells after a dead kernel.
_DEAD = ("KernelDied", "NotRun")


def _src(cell) -> str:
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


def _is_test(cell) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def _ends_in_statement(source: str) -> bool:
    """True when the cell parses and its last statement is not an expression."""
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except Exception:  # noqa: BLE001 - not plain Python: leave the cell as it is
        return False
    return bool(tree.body) and not isinstance(tree.body[-1], ast.Expr)


class AddCanaries(NbGraderPreprocessor):
    """Replace test cells by test lines, add a failing probe at the end (module docstring)."""

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
                token, nonce = secrets.token_hex(6), secrets.token_hex(12)
                plan["tests"][len(out) - 1] = {"source": source, "token": token, "nonce": nonce,
                                               "grade_id": cell.metadata.nbgrader.get("grade_id")}
                # The cell becomes one line that runs the test text itself (compiled by the
                # interpreter's own compile, past IPython's compile path), then the checks.
                python = TransformerManager().transform_cell(source)
                gid = str(cell.metadata.nbgrader.get("grade_id") or len(out) - 1)
                cell.source = probe_source(nonce, traces, token=token, test=python, label=gid)
            else:
                probe(fail=False)  # no line can follow a score expression: check in a cell after
        probe(fail=True)
        nb.cells = out
        resources.setdefault(KEY, {})["canaries"] = plan
        return nb, resources


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


def _parse(report: str) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """(findings, traces, {token: findings}) of a report; raises ValueError when unreadable."""
    try:
        found, traces, stored = ast.literal_eval(report)
        return ([str(f) for f in found], [str(t) for t in traces],
                {str(t): [str(f) for f in fs] for t, fs in stored})
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as e:
        raise ValueError("unreadable report") from e


def _errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def check(nb, plan: dict) -> list[str]:
    """Findings from the executed canaries of ``plan`` (from :class:`AddCanaries`) in ``nb``.

    Returns a list of sentences, each ending in where it was first seen; empty when the canaries
    found nothing.
    """
    findings: dict[str, str] = {}  # finding -> where it was first seen

    def add(what: str, where: str) -> None:
        findings.setdefault(what, where)

    probe_at = {p["index"] for p in plan["probes"]}

    def label(index: int) -> str:
        gid = nb.cells[index].get("metadata", {}).get("nbgrader", {}).get("grade_id")
        return (f"in cell {index - sum(i < index for i in probe_at)}"
                + (f" ({gid})" if gid else ""))

    traces: set[str] = set()
    stored: dict[str, list[str]] = {}
    final_ran = final_dead = False
    passed: list[str] = []

    later: list[tuple[str, str]] = []  # the probes' findings, added after the test cells'

    def read(report: str | None, where: str, now: bool = False) -> None:
        if report is None:
            return
        try:
            found, seen, kept = _parse(report)
        except ValueError:
            found, seen, kept = ["a check gave an unreadable report"], [], {}
        traces.update(seen)
        stored.update(kept)
        for item in found:
            add(item, where) if now else later.append((item, where))

    for probe in plan["probes"]:
        cell = nb.cells[probe["index"]]
        errors = _errors(cell)
        if any(o.get("ename") in _DEAD for o in errors):
            final_dead = final_dead or probe["fail"]
            continue  # the kernel died before: later tests score zero, nothing to check here
        where = "at the end of the notebook" if probe["fail"] else \
            f"after {label(probe['after'])[3:]}"
        shown = ", ".join(str(o.get("ename")) for o in errors) or "no error"
        if probe["fail"]:
            final_ran = True
            failed = [o for o in errors if o.get("ename") == "AssertionError"
                      and str(o.get("evalue", "")).startswith(probe["nonce"] + " ")]
            if len(errors) != 1 or not failed:
                add(f"a check that must fail did not fail as it must ({shown}): failures of tests "
                    "may have been hidden", where)
            else:
                read(str(failed[0]["evalue"])[len(probe["nonce"]) + 1:], where)
        elif errors:
            add(f"a check that must run cleanly raised an error ({shown})", where)
        else:
            report = _report_of(cell.get("outputs", []), probe["nonce"])
            if report is None:
                add("a check left no report (its display output was suppressed or replaced)",
                    where)
            read(report, where)

    for index, test in sorted((int(i), t) for i, t in plan["tests"].items()):
        cell = nb.cells[index]
        if _errors(cell):
            continue  # failed (or not run) where it shows: it scores nothing, nothing to check
        where = label(index)
        passed.append(str(test["grade_id"]))
        report = _report_of(cell.get("outputs", []), test["nonce"])
        read(report, where, now=True)
        for item in stored.get(test["token"], []):
            add(item, where)
        if test["token"] in traces:
            continue
        if final_ran or report is not None:
            add(f"test cell {test['grade_id']!r} passed without running to its end (it was "
                "skipped or cut short)", where)
        else:
            add(f"test cell {test['grade_id']!r} passed, but neither its check nor the final one "
                "reported (the kernel died later): it could not be verified", where)
    if final_dead and passed:
        # The final check shows that a failing cell still shows its failure; a kernel that dies
        # before it (os._exit, a crash, the memory limit) leaves the tests that passed checked
        # only by their own lines: not a clean grade (found by a security trial).
        add(f"the kernel died before the final check, so the {len(passed)} test cell(s) that "
            f"passed before ({', '.join(passed)}) could not be fully verified; look at the "
            "notebook before accepting the score", "at the end of the notebook")
    for what, where in later:
        add(what, where)
    return [f"{what} (first seen {where})" for what, where in findings.items()]


def strip(nb, plan: dict) -> None:
    """Put the test cells' text back; remove the probes, the reports and our traceback frames."""
    for index, test in plan["tests"].items():
        cell = nb.cells[int(index)]
        cell.source = test["source"]
        kept = []
        for output in cell.get("outputs", []):
            if _report_of([output], test["nonce"]) is not None:
                continue
            if output.get("output_type") == "error":
                # Drop the frames of the test line and of the checks: the student sees the frames
                # of the test text (named <test cell ID>) as they would without the canaries.
                output["traceback"] = [frame for frame in output.get("traceback", [])
                                       if MARK not in str(frame) and CHECK_NAME not in str(frame)]
            kept.append(output)
        cell.outputs = kept
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
