"""Issue 10, parts 2 and 3: every figure drawn by code has alt text and follows the figure conventions.

Each chapter with code cells, each model lab and each assignment (source version, solutions filled in)
is executed with a hook that, after every cell, inspects the matplotlib figures the cell drew: the
cell must carry alternative text for them in its metadata (``mystnb: image: alt:``, which MyST-NB
puts on the image in the book), must draw at most one figure (one alt text cannot describe two), and
every figure must pass ``learning_dynamics.plotting.figure_accessibility_problems``: Okabe-Ito
colours or greys, no two series told apart by colour alone, text legible at the book's width.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import jupytext
import matplotlib
import nbformat
import pytest
from nbclient import NotebookClient

from a11y_rules import alt_problems
from conftest import ROOT, IpcKernelManager

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402

from learning_dynamics import plotting  # noqa: E402
from learning_dynamics.plotting import OKABE_ITO, figure_accessibility_problems, style  # noqa: E402

CHAPTERS = sorted(p for p in (ROOT / "book").rglob("*.md")
                  if "_build" not in p.parts and "{code-cell}" in p.read_text("utf-8"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "assignments" / "source").glob("*/*.ipynb"))
SOURCES = CHAPTERS + NOTEBOOKS

#: Run first in the kernel: draw off screen and, after each cell, pickle the figures it drew into a
#: scratch folder (the kernel imports nothing from the course, so assignments that forbid the
#: reference package still run).
HOOK = """\
import json as _a11y_json, pickle as _a11y_pickle
import matplotlib as _a11y_mpl
_a11y_mpl.use("agg")
import matplotlib.pyplot as _a11y_plt
_a11y_dir, _a11y_log = {folder!r}, []
def _a11y_after(result):
    if "_a11y_" in (result.info.raw_cell or ""):
        return
    files = []
    for k, n in enumerate(_a11y_plt.get_fignums()):
        name = f"{{_a11y_dir}}/cell{{len(_a11y_log)}}_fig{{k}}.pickle"
        try:
            with open(name, "wb") as fh:
                _a11y_pickle.dump(_a11y_plt.figure(n), fh)
        except Exception as exc:
            name = "unpicklable: " + repr(exc)
        files.append(name)
    _a11y_log.append(files)
    _a11y_plt.close("all")
get_ipython().events.register("post_run_cell", _a11y_after)
"""
REPORT = "print('_a11y_' + _a11y_json.dumps(_a11y_log))"


def read_source(path: Path) -> nbformat.NotebookNode:
    if path.suffix == ".md":
        return jupytext.read(path)
    return nbformat.read(path, as_version=4)


def audit(path: Path, scratch: Path) -> list[str]:
    """Execute a chapter or notebook and return every figure problem, by cell.

    ``scratch`` is an empty folder for the pickled figures.
    """
    nb = read_source(path)
    code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    nb.cells = ([nbformat.v4.new_code_cell(HOOK.format(folder=str(scratch)))]
                + [c for _, c in code_cells] + [nbformat.v4.new_code_cell(REPORT)])
    NotebookClient(nb, timeout=300, kernel_name="python3", kernel_manager_class=IpcKernelManager,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    log = json.loads(text.split("_a11y_", 1)[1])
    assert len(log) == len(code_cells), (len(log), len(code_cells))
    problems = []
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    for (index, cell), files in zip(code_cells, log):
        where = f"{name} cell {index}"
        if files:
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt")
            problems += alt_problems(alt, f"{where} (figure; set mystnb.image.alt in the cell metadata)")
        if len(files) > 1:
            problems.append(f"{where}: draws {len(files)} figures, but one alt text applies to "
                            "all of them; draw one figure per cell")
        for file in files:
            if file.startswith("unpicklable"):
                problems.append(f"{where}: figure could not be inspected ({file})")
                continue
            with open(file, "rb") as fh:
                fig = pickle.load(fh)
            problems += [f"{where}: {p}" for p in figure_accessibility_problems(fig)]
            plt.close(fig)
    return problems


def test_there_are_figure_sources():
    assert CHAPTERS and len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", SOURCES, ids=[p.relative_to(ROOT).as_posix() for p in SOURCES])
def test_figures_have_alt_text_and_follow_conventions(path: Path, tmp_path):
    problems = audit(path, tmp_path)
    assert not problems, "\n".join(problems)


# --- The audit fails on bad figures ---------------------------------------------------------------

def test_audit_flags_a_figure_without_alt_and_with_non_palette_colours(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Planted"),
                nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\n"
                                          "fig, ax = plt.subplots()\n"
                                          "ax.plot([0, 1], [0, 1], color='red', label='a')\n"
                                          "ax.plot([0, 1], [1, 0], color='green', label='b')")]
    path = tmp_path / "planted.ipynb"
    nbformat.write(nb, path)
    (tmp_path / "figs").mkdir()
    text = "\n".join(audit(path, tmp_path / "figs"))
    assert "no alternative text" in text
    assert "#ff0000" in text and "not in the Okabe-Ito palette" in text
    assert "differ by colour alone" in text


def test_helper_figures_pass():
    for make in (plotting.learning_relations_figure, plotting.phases_timeline_figure):
        fig = make()
        assert figure_accessibility_problems(fig) == [], make.__name__
        plt.close(fig)


def test_style_series_pass_and_colour_only_series_fail():
    fig, ax = plt.subplots()
    for i in range(7):
        ax.plot([0, 1], [i, i + 1], label=str(i), **style(i))
    assert figure_accessibility_problems(fig) == []
    fig2, ax2 = plt.subplots()
    ax2.plot([0, 1], [0, 1], color=OKABE_ITO[1], label="a")
    ax2.plot([0, 1], [1, 0], color=OKABE_ITO[2], label="b")
    assert any("colour alone" in p for p in figure_accessibility_problems(fig2))
    plt.close("all")


def test_small_text_bad_colour_map_and_same_marker_scatter_fail():
    fig, ax = plt.subplots(figsize=(12, 4))
    ax.set_title("tiny", fontsize=8)
    ax.imshow([[0, 1], [1, 0]], cmap="jet")
    ax.scatter([0, 1], [0, 1], color=OKABE_ITO[1], marker="o", label="a")
    ax.scatter([0, 1], [1, 0], color=OKABE_ITO[2], marker="o", label="b")
    problems = "\n".join(figure_accessibility_problems(fig))
    assert "'tiny' would be" in problems
    assert "colour map 'jet'" in problems
    assert "scatter series" in problems
    plt.close(fig)


def test_hatched_areas_pass_and_unhatched_coloured_areas_fail():
    fig, ax = plt.subplots()
    ax.axvspan(0, 1, color=OKABE_ITO[2], hatch="//", label="a")
    ax.axvspan(1, 2, color=OKABE_ITO[1], hatch="..", label="b")
    assert figure_accessibility_problems(fig) == []
    ax.axvspan(2, 3, color=OKABE_ITO[3], hatch="..", label="c")
    assert any("filled areas" in p for p in figure_accessibility_problems(fig))
    plt.close(fig)


def test_audit_rejects_bad_arguments():
    with pytest.raises(TypeError):
        figure_accessibility_problems("not a figure")
    fig = plt.figure()
    with pytest.raises(ValueError):
        figure_accessibility_problems(fig, column_px=0)
    plt.close(fig)
