"""Tests for learning_dynamics.catchup (Nelson-Phelps style catch-up)."""

import numpy as np
import pytest

from learning_dynamics import catchup as cu


def test_steady_state_formula():
    assert cu.steady_state_gap(0.45, 0.05) == pytest.approx(0.1)
    assert cu.steady_state_gap(1.0, 0.0) == 0.0
    assert cu.steady_state_gap(0.0, 0.1) == 1.0


def test_closed_form_satisfies_ode():
    # central difference of A_f(t) must equal phi (A_l - A_f)
    t = np.linspace(0.5, 30, 50)
    h = 1e-5
    af0, al0, phi, g = 0.2, 1.0, 0.3, 0.04
    deriv = (cu.follower_capability(t + h, af0, al0, phi, g) - cu.follower_capability(t - h, af0, al0, phi, g)) / (2 * h)
    rhs = phi * (cu.leader_frontier(t, al0, g) - cu.follower_capability(t, af0, al0, phi, g))
    np.testing.assert_allclose(deriv, rhs, rtol=1e-6)
    assert cu.follower_capability(0.0, af0, al0, phi, g) == pytest.approx(af0)


def test_relative_gap_matches_levels():
    t = np.linspace(0, 50, 11)
    af0, al0, phi, g = 0.1, 2.0, 0.2, 0.03
    from_levels = 1 - cu.follower_capability(t, af0, al0, phi, g) / cu.leader_frontier(t, al0, g)
    np.testing.assert_allclose(cu.relative_gap(t, 1 - af0 / al0, phi, g), from_levels, rtol=1e-12)


def test_simulation_converges_to_analytical_steady_state():
    phi = np.array([0.1, 0.3, 0.8])[:, None]
    g = np.array([0.0, 0.02, 0.1])[None, :]
    sim = cu.simulate_catch_up(0.05, 1.0, phi, g, t_max=400, dt=0.05)
    assert sim.follower.shape == (8001, 3, 3)
    np.testing.assert_allclose(sim.gap[-1], cu.steady_state_gap(phi, g), atol=1e-8)


def test_simulation_path_matches_closed_form_as_dt_shrinks():
    af0, al0, phi, g = 0.1, 1.0, 0.25, 0.05
    errors = []
    for dt in (0.1, 0.01):
        sim = cu.simulate_catch_up(af0, al0, phi, g, t_max=40, dt=dt)
        exact = cu.relative_gap(sim.t, 1 - af0 / al0, phi, g)
        errors.append(np.max(np.abs(sim.gap - exact)))
    assert errors[1] < 2e-3
    assert errors[1] < errors[0] / 5  # first-order convergence


def test_time_to_halve_gap_static_leader_is_ln2_over_phi():
    assert cu.time_to_halve_gap(0.9, 0.2, 0.0) == pytest.approx(np.log(2) / 0.2)
    assert cu.half_life(0.2, 0.0) == pytest.approx(np.log(2) / 0.2)


def test_time_to_halve_gap_against_simulation():
    r0, phi, g = 0.9, 0.3, 0.05
    t_half = cu.time_to_halve_gap(r0, phi, g)
    sim = cu.simulate_catch_up(1 - r0, 1.0, phi, g, t_max=30, dt=0.001)
    first = sim.t[np.argmax(sim.gap <= r0 / 2)]
    assert first == pytest.approx(t_half, abs=0.02)


def test_gap_never_halves_when_steady_state_too_high():
    # r* = 0.5 > r0 / 2 = 0.3
    assert cu.time_to_halve_gap(0.6, 0.1, 0.1) == np.inf
    out = cu.time_to_halve_gap(0.9, np.array([0.1, 0.8]), 0.1)  # r* = 0.5 and 1/9
    assert np.isinf(out[0]) and np.isfinite(out[1])


def test_diffusion_rate_product():
    assert cu.diffusion_rate(0.5, 0.4) == pytest.approx(0.2)
    np.testing.assert_allclose(cu.diffusion_rate([0.5, 1.0], 0.5), [0.25, 0.5])


def test_higher_absorptive_capacity_shrinks_steady_gap():
    phis = cu.diffusion_rate(np.array([0.1, 0.2, 0.4]), 1.0)
    gaps = cu.steady_state_gap(phis, 0.05)
    assert np.all(np.diff(gaps) < 0)


def test_no_learning_and_no_growth_is_frozen():
    assert cu.follower_capability(10.0, 0.3, 1.0, 0.0, 0.0) == pytest.approx(0.3)


@pytest.mark.parametrize(
    "call",
    [
        lambda: cu.steady_state_gap(-0.1, 0.05),
        lambda: cu.steady_state_gap(0.1, -0.05),
        lambda: cu.steady_state_gap(0.0, 0.0),
        lambda: cu.steady_state_gap(np.nan, 0.1),
        lambda: cu.diffusion_rate(0.5, 1.2),
        lambda: cu.diffusion_rate(-0.5, 0.2),
        lambda: cu.leader_frontier(-1.0, 1.0, 0.1),
        lambda: cu.leader_frontier(1.0, 0.0, 0.1),
        lambda: cu.follower_capability(1.0, -0.1, 1.0, 0.2, 0.1),
        lambda: cu.relative_gap(1.0, 1.5, 0.2, 0.1),
        lambda: cu.time_to_halve_gap(0.0, 0.2, 0.1),
        lambda: cu.half_life(0.0, 0.0),
        lambda: cu.simulate_catch_up(0.1, 1.0, 0.5, 0.05, t_max=10, dt=3.0),  # phi dt > 1
        lambda: cu.simulate_catch_up(0.1, 1.0, 0.5, 0.05, t_max=0.0),
        lambda: cu.simulate_catch_up(0.1, 1.0, 0.5, 0.05, t_max=1.0, dt=2.0),
        lambda: cu.simulate_catch_up(0.1, 1.0, [0.1, 0.2], [0.1, 0.2, 0.3], t_max=1.0),
        lambda: cu.simulate_catch_up([], 1.0, 0.1, 0.1, t_max=1.0),
    ],
)
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
