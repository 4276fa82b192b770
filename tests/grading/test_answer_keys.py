"""Answer keys agree with the reference package (learning_dynamics)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import COURSE, load_nb, nbgrader_meta, src
from learning_dynamics import wright


def _solution_namespace(assignment: str) -> dict:
    """Execute the source notebook's setup and solution cells (not tests) in a fresh namespace."""
    nb = load_nb(COURSE / "source" / assignment / f"{assignment}.ipynb")
    ns: dict = {}
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        if cell["cell_type"] == "code" and not meta.get("grade") and "plt.show" not in src(cell):
            exec(compile(src(cell), f"{assignment}:{meta.get('grade_id')}", "exec"), ns)
    return ns


def test_ps1_key_matches_reference_package():
    ns = _solution_namespace("ps1")
    x = np.array([1.0, 3.0, 10.0, 250.0])
    assert np.allclose(ns["unit_cost"](x, 80.0, 0.3), wright.unit_cost(x, 80.0, 0.3))
    for b in [0.0, 0.152, 0.5, 1.0]:
        assert np.isclose(ns["progress_ratio"](b), wright.progress_ratio(b))
    for pr in [0.95, 0.8, 0.7]:
        assert np.isclose(ns["exponent_from_progress_ratio"](pr), wright.exponent_from_progress_ratio(pr))
    data = ns["make_supplier_data"]()
    c1, b = ns["fit_learning_curve"](data)
    ref = wright.fit_learning_curve(data)
    assert np.isclose(c1, ref.c1) and np.isclose(b, ref.b)
    phases = ns["compare_phases"](data, 2_000)
    before = wright.fit_learning_curve(data[data["cumulative_output"] < 2_000])
    assert np.isclose(phases.loc["before", "progress_ratio"], before.progress_ratio)
    assert isinstance(phases, pd.DataFrame)
