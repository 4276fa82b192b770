"""The layout contract of the project's packages (issue 19).

1. No import cycle: no module of ``course_tools``, ``seminar_kit`` or ``learning_dynamics`` imports
   (directly or through others) a module that imports it back. The import graph is built by grimp
   (https://pypi.org/project/grimp/, pinned in requirements.txt), which reads every ``import``
   statement, including those inside functions and under ``if TYPE_CHECKING``; a package's
   ``__init__`` counts as a module of its own.
2. No module of ``course_tools`` or ``seminar_kit`` is over ``MAX_LINES`` (400) lines, so that each
   keeps one job (``learning_dynamics``, the models with their long docstrings and equations, is
   outside this rule).

Each rule is first shown to fail on a planted bad case (a two-module cycle in a scratch package; a
file one line over the limit), so that the check on the real code can fail.
"""

from __future__ import annotations

from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("course_tools", "seminar_kit", "learning_dynamics")
SIZE_CHECKED = ("course_tools", "seminar_kit")
#: Longest module allowed, in lines (the agreed layout: "at most about 400 lines").
MAX_LINES = 400


def import_cycles(*packages: str) -> list[list[str]]:
    """Cycles among the modules of ``packages``: for every direct import ``a -> b`` such that ``b``
    leads back to ``a``, the chain ``[a, b, ..., a]`` (shortest way back). Empty when acyclic."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                cycles.append([module, *back])
    return cycles


def oversized(folders: list[Path], limit: int = MAX_LINES) -> dict[str, int]:
    """{path relative to its folder's parent: line count} of the .py files over ``limit`` lines."""
    out = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            n = len(path.read_text(encoding="utf-8").splitlines())
            if n > limit:
                out[str(path.relative_to(folder.parent))] = n
    return out


def test_a_planted_cycle_is_found(tmp_path, monkeypatch):
    pkg = tmp_path / "plantedcycle"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from plantedcycle import b\n")
    (pkg / "b.py").write_text("def f():\n    from plantedcycle.c import g\n")  # a lazy import counts
    (pkg / "c.py").write_text("import plantedcycle.a\n\n\ndef g():\n    pass\n")
    (pkg / "d.py").write_text("import plantedcycle.a\n")  # imports into the cycle, not part of it
    monkeypatch.syspath_prepend(str(tmp_path))
    cycles = import_cycles("plantedcycle")
    assert ["plantedcycle.a", "plantedcycle.b", "plantedcycle.c", "plantedcycle.a"] in cycles
    assert not any("plantedcycle.d" in c for c in cycles)


def test_no_import_cycle_in_the_project():
    cycles = import_cycles(*PACKAGES)
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_command_line_is_the_top_of_the_grading_tools():
    """``course_tools.grade`` (argparse + main) is imported by no module; ``release`` only by the
    pipeline, which calls it for an assignment not yet released."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert graph.find_modules_that_directly_import("course_tools.grade") == set()
    assert graph.find_modules_that_directly_import("course_tools.release") == {"course_tools.pipeline"}


def test_a_planted_oversized_module_is_found(tmp_path):
    pkg = tmp_path / "planted"
    pkg.mkdir()
    (pkg / "short.py").write_text("x = 1\n" * MAX_LINES)
    (pkg / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    assert oversized([pkg]) == {"planted/long.py": MAX_LINES + 1}


def test_no_module_over_the_line_limit():
    found = oversized([ROOT / p for p in SIZE_CHECKED])
    assert found == {}, f"modules over {MAX_LINES} lines: {found}"
