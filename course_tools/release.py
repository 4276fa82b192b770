"""Release an assignment safely: lint the source, generate the student version, scan it for secrets.

    python -m course_tools.release ps1            # lint, nbgrader generate_assignment, scan
    python -m course_tools.release ps1 --lint-only

Checks made before ``nbgrader generate_assignment`` (any one fails the release, naming the notebook,
the cell and the line):

* **Near-miss markers.** nbgrader removes solutions and hidden tests only between lines containing
  exactly ``BEGIN SOLUTION``/``END SOLUTION`` and ``BEGIN HIDDEN TESTS``/``END HIDDEN TESTS``. A line
  such as ``### BEGIN HIDEN TESTS``, ``### begin solution`` or ``#BEGIN HIDDEN TEST`` is not
  recognised, and nbgrader would ship everything after it to students. Any line that resembles a
  marker but is not written exactly as the course writes them (``### BEGIN SOLUTION``, ``### END
  SOLUTION``, ``### BEGIN HIDDEN TESTS``, ``### END HIDDEN TESTS``, alone on the line) fails. So do an
  unclosed region and a hidden-test region outside a test cell.
* **Bare last expression in a test cell.** nbgrader reads a test cell's ``execute_result`` as a
  partial-credit score: a last line that evaluates to ``0`` gives zero points, while ``False`` or a
  DataFrame (not convertible to a number) gives full marks. A test cell whose last statement is an
  expression (other than a call of ``print``, ``display`` or an ``assert...`` function, or a line
  ending in ``;``) fails, unless the cell says ``# nbgrader: partial credit`` to mean it.

After generating, :func:`check_release` refuses the release, and removes it, when any file of the
release folder, whatever its name (nbgrader copies every file of ``source/<assignment>/``), holds a
solution or hidden-test marker or jupytext pairing metadata (a stale paired ``.py``/``.md`` file can
hold an older answer key), is a symbolic link, or holds a line of a solution or hidden-test region
that does not also appear elsewhere in the source (:func:`scan_for_secrets`; the same scan is used
on feedback and the built book by the tests). The grading pipeline runs :func:`check_release` again
on an existing release before grading against it.

The checks live in ``course_tools.lint``, the scan in ``course_tools.secrets``; this module strings
them around ``nbgrader generate_assignment`` (and both are re-exported here). The grading pipeline
(``course_tools.pipeline``) calls :func:`release` when an assignment has not been released.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from course_tools.lint import (MARKERS, PARTIAL_CREDIT_OPT_IN, LintProblem,  # noqa: F401
                               lint_assignment, lint_notebook)
from course_tools.secrets import (public_lines, readable_text, release_file_problems,  # noqa: F401
                                  scan_for_secrets, secret_lines)


class ReleaseError(RuntimeError):
    """The release was refused; the message lists every problem."""


def check_release(course: Path, assignment: str) -> None:
    """Check an existing release folder; remove it and raise if it must not reach students.

    Checks every file (:func:`release_file_problems`) and scans for secret lines of the source
    notebooks (:func:`scan_for_secrets`). The grading pipeline calls this before grading against
    an existing release.

    Raises
    ------
    ReleaseError
        Naming every problem, after removing ``course/release/<assignment>/``.
    """
    out = Path(course) / "release" / assignment
    problems = release_file_problems(out)
    leaks = scan_for_secrets(sorted((Path(course) / "source" / assignment).glob("*.ipynb")), [out])
    problems += [f"{path.relative_to(out).as_posix()}: {kind} line: {line}"
                 for path, kind, line in leaks[:20]]
    if problems:
        shutil.rmtree(out, ignore_errors=True)
        raise ReleaseError(f"release of {assignment} refused and removed ({out}):\n"
                           + "\n".join(f"  - {p}" for p in problems))


def release(course: Path, assignment: str, run=None) -> Path:
    """Lint, run ``nbgrader generate_assignment --force``, and check the release (secret lines,
    markers and jupytext metadata in any file, see :func:`check_release`).

    ``run`` is a callable ``run(args, course) -> CompletedProcess`` running nbgrader (defaults to
    ``course_tools.nbgrader_tools._nbgrader``). Returns the release folder. A refused release is removed,
    so that no half-checked student version is left where it could be handed out.

    Raises
    ------
    ReleaseError
        On any lint problem, a failed ``generate_assignment``, or a refused release.
    """
    course = Path(course)
    problems = lint_assignment(course, assignment)
    if problems:
        raise ReleaseError(f"release of {assignment} refused:\n" +
                           "\n".join(f"  - {p}" for p in problems))
    if run is None:
        from course_tools.nbgrader_tools import _nbgrader as run
    proc = run(["generate_assignment", assignment, "--force"], course)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or "").splitlines() if "ERROR" in ln or "Error" in ln]
        raise ReleaseError(f"nbgrader generate_assignment failed: {' | '.join(lines[-3:])}")
    check_release(course, assignment)
    return course / "release" / assignment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment")
    parser.add_argument("--course", type=Path,
                        default=Path(__file__).resolve().parent.parent / "assignments")
    parser.add_argument("--lint-only", action="store_true", help="only run the source checks")
    args = parser.parse_args(argv)
    try:
        if args.lint_only:
            problems = lint_assignment(args.course, args.assignment)
            for p in problems:
                print(p)
            return 1 if problems else 0
        out = release(args.course, args.assignment)
    except (ReleaseError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"released: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
