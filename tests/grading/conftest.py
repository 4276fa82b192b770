"""Shared fixtures and helpers of the assignment tests (test_assignments.py, test_ps*_assignment.py).

``SPECS`` says, for each problem set, what grading must give. The session-scoped fixture
``graded_assignment("psN")`` returns a scratch copy of the course with that assignment released and
these submissions graded once, in one run of the instructor pipeline
(``course_tools.pipeline.run_pipeline``); test_assignments.py checks them:

* ``correct``: the release with the source's solutions pasted in;
* ``blank``: the untouched release;
* ``partly_wrong``: the correct submission with the spec's planted mistake;
* ``alt_<name>``: one per file ``alternatives/<assignment>_<name>.py``, alternative correct
  solutions (our own model code) that differ from the source where the problem set's text leaves
  freedom; see :func:`alternative_submission`. Each must get full autograded marks.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import COURSE, fill_solutions, load_nb, nbgrader_meta, run_tool, save_nb, src
from course_tools.pipeline import run_pipeline

ALTERNATIVES = Path(__file__).resolve().parent / "alternatives"
#: The first line of every hidden-test section (after ``import sys``).
GUARD = 'assert "learning_dynamics" not in sys.modules'
#: Lines that legitimately appear both in a solution and in the student's starting code or tests.
TRIVIAL = {"return", "pass", "else:", "try:", "rows = {}"}
_CELL_HEADER = re.compile(r"^# %% (\S+)\s*$", re.MULTILINE)


def scratch_course(parent: Path) -> Path:
    """A copy of the nbgrader course under ``parent`` with nothing generated (no student work)."""
    dst = parent / "course"
    shutil.copytree(COURSE, dst, ignore=shutil.ignore_patterns(
        "release", "submitted", "autograded", "feedback", "gradebook.db", "reports", "*.csv",
        ".ipynb_checkpoints"))
    return dst


def release(course: Path, assignment: str) -> Path:
    """Run ``nbgrader generate_assignment`` for one assignment in ``course``; returns the course."""
    proc = run_tool(["nbgrader", "generate_assignment", assignment, "--force"], course)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return course


def alternative_files(assignment: str) -> list[Path]:
    """The alternative solutions kept for an assignment, ``alternatives/<assignment>_*.py``."""
    return sorted(ALTERNATIVES.glob(f"{assignment}_*.py"))


def alternative_cells(path: Path) -> dict[str, str]:
    """grade_id -> replacement answer code, from a file of ``# %% <grade_id>`` sections.

    The text before the first section (the header comment) is not an answer.
    """
    text = path.read_text(encoding="utf-8")
    parts = _CELL_HEADER.split(text)
    cells = {parts[i]: parts[i + 1].strip("\n") + "\n" for i in range(1, len(parts), 2)}
    if not cells:
        raise ValueError(f"{path.name} has no '# %% <grade_id>' section")
    return cells


def alternative_submission(release_nb: dict, source_nb: dict, path: Path) -> dict:
    """The correct submission with the answer cells named in ``path`` replaced by its code."""
    nb = fill_solutions(release_nb, source_nb)
    cells = alternative_cells(path)
    by_id = {nbgrader_meta(c).get("grade_id"): c for c in nb["cells"] if nbgrader_meta(c).get("solution")}
    unknown = set(cells) - set(by_id)
    if unknown:
        raise ValueError(f"{path.name}: no answer cell {sorted(unknown)} in the release")
    for gid, code in cells.items():
        by_id[gid]["source"] = code
    return nb


def grade_assignment(assignment: str, parent: Path, planted: dict | None = None) -> dict:
    """Release ``assignment`` in a scratch course and grade the submissions listed above, once."""
    course = release(scratch_course(parent), assignment)
    release_nb = load_nb(course / "release" / assignment / f"{assignment}.ipynb")
    source_nb = load_nb(course / "source" / assignment / f"{assignment}.ipynb")
    subs = parent / "downloads"
    name = f"{assignment}.ipynb"
    save_nb(fill_solutions(release_nb, source_nb), subs / "correct" / assignment / name)
    save_nb(release_nb, subs / "blank" / assignment / name)
    if planted:
        save_nb(fill_solutions(release_nb, source_nb, edits=planted),
                subs / "partly_wrong" / assignment / name)
    students = ["correct", "blank"] + (["partly_wrong"] if planted else [])
    alternatives = []
    for path in alternative_files(assignment):
        student = "alt_" + path.stem.split("_", 1)[1].replace("_", "-")
        save_nb(alternative_submission(release_nb, source_nb, path), subs / student / assignment / name)
        alternatives.append(student)
    result = run_pipeline(assignment, course=course, submissions=subs)
    return {"course": course, "result": result, "alternatives": alternatives,
            "students": students + alternatives}


@dataclass(frozen=True)
class Spec:
    """What grading one problem set must give.

    ``autograded``: points of each autograded test cell; ``total_max``: nbgrader's maximum score
    (autograded plus the two written answers of 3 points); ``planted``: the partly wrong
    submission's mistake, grade_id -> (old, new) text replaced in the source's solution;
    ``partly_wrong_fails``: the test cells that mistake fails (all others keep their points).
    """

    autograded: dict
    total_max: float
    planted: dict
    partly_wrong_fails: frozenset


SPECS = {
    # ps1: the progress ratio computed as the learning rate (1 - 2**-b) fails its own test and the
    # phase comparison that uses it: 9 - 1 - 2 = 6.
    "ps1": Spec({"test_unit_cost": 2.0, "test_progress_ratio": 1.0, "test_exponent": 1.0,
                 "test_fit": 3.0, "test_compare_phases": 2.0}, 15.0,
                {"progress_ratio": ("return 2.0 ** (-b)", "return 1.0 - 2.0 ** (-b)")},
                frozenset({"test_progress_ratio", "test_compare_phases"})),
    # ps2: the relative gap converges at the follower's own rate phi instead of phi + g (forgetting
    # that the frontier moves while the follower learns). It fails its own test and the sweep, whose
    # gap_at_horizon column uses relative_gap; time_to_halve_gap and the simulation do not call
    # relative_gap, so they keep their points: 12 - 2 - 3 = 7.
    "ps2": Spec({"test_steady_state": 2.0, "test_relative_gap": 2.0, "test_time_to_halve": 2.0,
                 "test_simulate": 3.0, "test_sweep": 3.0}, 18.0,
                {"relative_gap": ("np.exp(-(phi + g) * t)", "np.exp(-phi * t)")},
                frozenset({"test_relative_gap", "test_sweep"})),
    # ps3: socialisation moves a member straight to the code's value instead of one step towards
    # it. It fails test_socialise and test_simulate, whose hidden test compares the trajectory with
    # the reference model's for a fixed seed; the sweep is checked for consistency with the
    # student's own simulate, so it keeps its points, as do the other step functions: 15 - 3 - 2.
    "ps3": Spec({"test_initialise": 2.0, "test_knowledge": 1.0, "test_actions_superior": 2.0,
                 "test_socialise": 3.0, "test_learn_code": 3.0, "test_simulate": 2.0,
                 "test_sweep": 2.0}, 21.0,
                {"socialise": ("flat[moving] += target[moving]", "flat[moving] = target[moving]")},
                frozenset({"test_socialise", "test_simulate"})),
    # ps4: innovation applied to the producer's old level with the learnt capability added
    # afterwards, p * (1 + g) + to_p instead of (p + to_p) * (1 + g), the order-of-steps slip of
    # students who write the two steps as separate increments. It fails the exact values of
    # test_simulate_step and the reference values of test_sweep, which runs the simulation;
    # test_simulate_checks passes (its runs have no innovation, where the two orders agree), and
    # the regime tests use hand-made results: 9 - 2 - 2 = 5.
    "ps4": Spec({"test_cps_fidelity": 1.0, "test_simulate_step": 2.0, "test_simulate_checks": 1.0,
                 "test_classify": 2.0, "test_switching": 1.0, "test_sweep": 2.0}, 15.0,
                {"simulate_mutual": ("producer[t + 1] = (p + to_p) * (1.0 + g_p)",
                                     "producer[t + 1] = p * (1.0 + g_p) + to_p")},
                frozenset({"test_simulate_step", "test_sweep"})),
    # ps5: two slips. trust_matrix divides by the degree vector without adding an axis (a / safe
    # instead of a / safe[:, None]): numpy broadcasts it along the columns, so rows no longer sum
    # to 1; fails test_trust (the DeGroot test uses its own matrices). classify maps low
    # complexity, high codifiability, low capability to "market" instead of "exclusion from the
    # value chain"; fails test_classify and test_classify_links, which classifies links with that
    # combination through the student's classify (test_summary summarises its own hand-made table
    # and checks only the shape of the student's summary): 14 - 2 - 2 - 1 = 9.
    "ps5": Spec({"test_network": 2.0, "test_trust": 2.0, "test_degroot": 2.0, "test_newcomer": 2.0,
                 "test_key_table": 1.0, "test_classify": 2.0, "test_classify_links": 1.0,
                 "test_summary": 2.0}, 20.0,
                {"trust_matrix": ("w = (1.0 - self_weight) * a / safe[:, None]",
                                  "w = (1.0 - self_weight) * a / safe"),
                 "classify": ('("low", "high", "low"): "exclusion from the value chain"',
                              '("low", "high", "low"): "market"')},
                frozenset({"test_trust", "test_classify", "test_classify_links"})),
}
ASSIGNMENTS = sorted(SPECS)


@pytest.fixture(scope="session")
def graded_assignment(tmp_path_factory):
    """graded_assignment("psN"): that problem set released and graded once per test session."""
    cache: dict[str, dict] = {}

    def get(assignment: str) -> dict:
        if assignment not in cache:
            cache[assignment] = grade_assignment(
                assignment, tmp_path_factory.mktemp(f"{assignment}_graded"), SPECS[assignment].planted)
        return cache[assignment]

    return get


def solution_namespace(assignment: str, edits: dict[str, tuple[str, str]] | None = None,
                       skip: tuple[str, ...] = ()) -> dict:
    """Execute the source's setup and solution cells (no tests, no plots) in a fresh namespace.

    ``edits`` maps a grade_id to (old, new) text replaced in that cell first (to plant a mistake);
    cells whose grade_id is in ``skip`` are not run.
    """
    nb = load_nb(COURSE / "source" / assignment / f"{assignment}.ipynb")
    ns: dict = {}
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        text = src(cell)
        if (cell["cell_type"] != "code" or meta.get("grade") or "plt.show" in text
                or meta.get("grade_id") in skip):
            continue
        if edits and meta.get("grade_id") in edits:
            old, new = edits[meta["grade_id"]]
            assert old in text, f"planted edit {old!r} not found in {meta['grade_id']}"
            text = text.replace(old, new)
        exec(compile(text, f"{assignment}:{meta.get('grade_id')}", "exec"), ns)
    return ns
