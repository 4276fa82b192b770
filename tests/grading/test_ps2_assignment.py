"""ps2 (catch-up under unilateral learning): the answer key agrees with the reference package.

Release, validation, exact grades, alternative solutions and feedback of every problem set are
checked in test_assignments.py; the planted mistake is ``SPECS["ps2"].planted``
(tests/grading/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from grading.conftest import SPECS, solution_namespace
from learning_dynamics import catchup

ASSIGNMENT = "ps2"
PLANTED = SPECS[ASSIGNMENT].planted


# ----------------------------------------------------------------------------- answer key


def _solution_namespace(edits: dict[str, tuple[str, str]] | None = None) -> dict:
    return solution_namespace(ASSIGNMENT, edits)


GRID = [(r0, phi, g) for r0 in (0.3, 0.9, 1.0) for phi in (0.0, 0.02, 0.1, 0.5) for g in (0.0, 0.03, 0.1)
        if phi + g > 0]


def _key_disagreements(ns: dict) -> list[str]:
    """Where the answer key in ``ns`` differs from learning_dynamics.catchup (empty: agreement)."""
    bad = []
    t = np.linspace(0, 60, 13)
    for r0, phi, g in GRID:
        if not np.isclose(ns["steady_state_gap"](phi, g), catchup.steady_state_gap(phi, g)):
            bad.append(f"steady_state_gap{(phi, g)}")
        if not np.allclose(ns["relative_gap"](t, r0, phi, g), catchup.relative_gap(t, r0, phi, g)):
            bad.append(f"relative_gap{(r0, phi, g)}")
        ours, ref = ns["time_to_halve_gap"](r0, phi, g), catchup.time_to_halve_gap(r0, phi, g)
        if not (ours == ref == np.inf or np.isclose(ours, ref)):
            bad.append(f"time_to_halve_gap{(r0, phi, g)}")
    for a, e in [(0.0, 0.5), (0.5, 0.4), (2.0, 1.0)]:
        if not np.isclose(ns["diffusion_rate"](a, e), catchup.diffusion_rate(a, e)):
            bad.append(f"diffusion_rate{(a, e)}")
    for af0, al0, phi, g, t_max, dt in [(0.1, 1.0, 0.2, 0.03, 30.0, 0.05), (0.0, 2.0, 1.0, 0.1, 5.0, 1.0)]:
        ours = ns["simulate_catch_up"](af0, al0, phi, g, t_max, dt)
        ref = catchup.simulate_catch_up(af0, al0, phi, g, t_max, dt)
        if not (np.allclose(ours["t"], ref.t) and np.allclose(ours["leader"], ref.leader)
                and np.allclose(ours["follower"], ref.follower) and np.allclose(ours["gap"], ref.gap)):
            bad.append(f"simulate_catch_up{(af0, al0, phi, g, t_max, dt)}")
    sweep = ns["absorptive_capacity_sweep"]([0.05, 0.1, 0.5, 2.0], 0.4, 0.03, 0.9, 20.0)
    phi = catchup.diffusion_rate(np.array([0.05, 0.1, 0.5, 2.0]), 0.4)
    if not (np.allclose(sweep["steady_state_gap"], catchup.steady_state_gap(phi, 0.03))
            and np.allclose(sweep["gap_at_horizon"], catchup.relative_gap(20.0, 0.9, phi, 0.03))
            and np.array_equal(np.isinf(sweep["years_to_halve_gap"]),
                               np.isinf(catchup.time_to_halve_gap(0.9, phi, 0.03)))):
        bad.append("absorptive_capacity_sweep")
    return bad


def test_ps2_key_matches_reference_package():
    ns = _solution_namespace()
    assert _key_disagreements(ns) == []
    with pytest.raises(ValueError):
        ns["steady_state_gap"](0.0, 0.0)
    with pytest.raises(ValueError):
        ns["simulate_catch_up"](0.1, 1.0, 3.0, 0.0, 10.0, 0.5)


def test_key_comparison_catches_the_planted_mistake():
    """The comparison can fail: the partly wrong submission's relative_gap is caught."""
    bad = _key_disagreements(_solution_namespace(PLANTED))
    assert any(b.startswith("relative_gap") for b in bad)
    assert "absorptive_capacity_sweep" in bad
    assert not any(b.startswith(("steady_state_gap", "simulate_catch_up")) for b in bad)
