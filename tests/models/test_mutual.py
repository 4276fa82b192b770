"""Tests for learning_dynamics.mutual (our producer-customer mutual-learning model)."""

import numpy as np
import pandas as pd
import pytest

from learning_dynamics.mutual import (
    REGIMES,
    MutualResult,
    classify_periods,
    cps_fidelity,
    simulate_mutual,
    sweep_mutual,
    switching_period,
)

P0 = np.array([0.3, 0.4, 0.5, 0.6])
C0 = np.ones(4)
# The producer out-innovates the customer in domain 0 only; the customer keeps the lead in domains 2-3.
G_P = np.array([0.05, 0.02, 0.02, 0.01])
G_C = np.array([0.02, 0.02, 0.03, 0.03])


def _random_sets(rng, S, D, producer_edge: bool):
    """Random parameter sets, shape (S, D); the producer starts behind in every domain."""
    C = rng.uniform(1.0, 2.0, (S, D))
    P = C * rng.uniform(0.2, 0.95, (S, D))
    gC = rng.uniform(0.0, 0.05, (S, D))
    if producer_edge:
        gP = rng.uniform(0.0, 0.08, (S, D))
    else:
        gP = gC * rng.uniform(0.0, 1.0, (S, D))  # never faster than the customer
    return dict(
        producer0=P,
        customer0=C,
        growth_producer=gP,
        growth_customer=gC,
        absorptive_producer=rng.uniform(0, 1, (S, 1)),
        absorptive_customer=rng.uniform(0, 1, (S, 1)),
        base_fidelity=rng.uniform(0, 1, (S, 1)),
        cps=rng.uniform(0, 1, (S, 1)),
    )


# ----------------------------------------------------------------------------- basics


def test_deterministic_and_shapes():
    a = simulate_mutual(P0, C0, periods=30, growth_producer=G_P, growth_customer=G_C)
    b = simulate_mutual(P0, C0, periods=30, growth_producer=G_P, growth_customer=G_C)
    np.testing.assert_array_equal(a.producer, b.producer)
    assert a.producer.shape == (1, 31, 4) and a.customer.shape == (1, 31, 4)
    assert a.to_producer.shape == (1, 30, 4) and a.periods == 30
    s = simulate_mutual(P0, C0, periods=5, cps=np.array([[0.0], [0.5], [1.0]]))
    assert s.producer.shape == (3, 6, 4)
    assert s.fidelity.shape == (3, 4)


def test_cps_fidelity_formula():
    np.testing.assert_allclose(cps_fidelity(0.3, [0.0, 0.5, 1.0]), [0.3, 0.65, 1.0])
    np.testing.assert_allclose(cps_fidelity(0.0, 0.25), 0.25)


def test_invariants_positive_no_overshoot_nonnegative_flows():
    rng = np.random.default_rng(1)
    kw = _random_sets(rng, 300, 5, producer_edge=True)
    for mode in ("fixed", "prior_knowledge"):
        r = simulate_mutual(periods=40, absorptive=mode, **kw)
        assert np.all(r.producer > 0) and np.all(r.customer > 0)
        assert np.all(r.to_producer >= 0) and np.all(r.to_customer >= 0)
        P, C = r.producer[:, :-1], r.customer[:, :-1]
        # Learning never carries the learner past the leader.
        assert np.all(P + r.to_producer <= np.maximum(C, P) + 1e-12)
        assert np.all(C + r.to_customer <= np.maximum(C, P) + 1e-12)
        # Flows only go from leader to lagger.
        assert np.all(r.to_producer[C <= P] == 0) and np.all(r.to_customer[P <= C] == 0)


def test_gap_closes_geometrically_without_innovation():
    """With g = 0, the producer's gap shrinks by the factor (1 - a_P * f) each period."""
    aP, base, cps = 0.6, 0.3, 0.5
    f = base + cps * (1 - base)
    r = simulate_mutual(P0, C0, periods=12, absorptive_producer=aP, base_fidelity=base, cps=cps,
                        growth_producer=0.0, growth_customer=0.0)
    gap = r.customer[0] - r.producer[0]
    expected = (C0 - P0)[None, :] * (1 - aP * f) ** np.arange(13)[:, None]
    np.testing.assert_allclose(gap, expected, rtol=1e-12)
    np.testing.assert_allclose(r.customer[0], np.ones((13, 4)))  # nothing flows to the leader


def test_zero_absorptive_capacity_blocks_learning():
    r = simulate_mutual(P0, C0, periods=10, absorptive_producer=0.0, growth_producer=0.0, growth_customer=0.0)
    np.testing.assert_array_equal(r.producer[0], np.tile(P0, (11, 1)))
    assert np.all(r.to_producer == 0)


def test_prior_knowledge_mode_learns_less_when_far_behind():
    fixed = simulate_mutual(P0, C0, periods=1)
    prior = simulate_mutual(P0, C0, periods=1, absorptive="prior_knowledge")
    np.testing.assert_allclose(prior.to_producer[0, 0], fixed.to_producer[0, 0] * P0 / C0)
    assert np.all(prior.to_producer < fixed.to_producer)


# ----------------------------------------------------------------------------- regimes


def test_labels_cover_all_regimes():
    r = simulate_mutual(np.array([[1.0, 1.0], [0.5, 0.5], [2.0, 0.5], [2.0, 2.0]]),
                        np.ones(2), periods=1, growth_producer=0.0, growth_customer=0.0)
    assert list(classify_periods(r)[:, 0]) == ["none", "unilateral", "mutual", "reverse"]
    assert set(REGIMES) == {"none", "unilateral", "mutual", "reverse"}


def test_no_switch_without_an_innovation_edge():
    """Learning alone never lets the producer overtake: with g_P <= g_C everywhere, the
    relation stays unilateral for the whole horizon, for 400 random parameter sets."""
    rng = np.random.default_rng(7)
    r = simulate_mutual(periods=80, **_random_sets(rng, 400, 6, producer_edge=False))
    labels = classify_periods(r)
    assert np.all(labels == "unilateral")
    assert np.all(switching_period(r) == -1)


def test_switch_happens_iff_producer_overtakes_somewhere():
    """The switching period equals the first period at whose start the producer leads in
    some domain (computed here directly from the paths), and the relation is labelled
    mutual from then on whenever the customer still leads in another domain."""
    rng = np.random.default_rng(8)
    kw = _random_sets(rng, 500, 4, producer_edge=True)
    r = simulate_mutual(periods=60, **kw)
    P, C = r.producer[:, :-1], r.customer[:, :-1]
    overtakes = (P > C).any(-1)
    still_lags = (C > P).any(-1)
    expected = np.where(overtakes.any(1), np.argmax(overtakes, axis=1), -1)
    np.testing.assert_array_equal(switching_period(r), expected)
    labels = classify_periods(r)
    np.testing.assert_array_equal(labels == "mutual", overtakes & still_lags)
    np.testing.assert_array_equal(labels == "unilateral", ~overtakes & still_lags)
    # Both outcomes occur in this sample, so the check is not vacuous.
    assert (expected >= 0).any() and (expected == -1).any()
    # Overtaking needs an innovation edge: in every domain the producer leads at the end,
    # its growth rate exceeds the customer's.
    lead_end = r.producer[:, -1] > r.customer[:, -1]
    assert np.all(kw["growth_producer"][lead_end] > kw["growth_customer"][lead_end])


def test_flows_run_both_ways_exactly_in_mutual_periods():
    r = simulate_mutual(P0, C0, periods=60, growth_producer=G_P, growth_customer=G_C, cps=0.5)
    labels = classify_periods(r)[0]
    two_way = (r.to_producer[0] > 0).any(-1) & (r.to_customer[0] > 0).any(-1)
    np.testing.assert_array_equal(two_way, labels == "mutual")
    assert labels[0] == "unilateral" and "mutual" in labels


def test_higher_cps_fidelity_shortens_time_to_switch():
    """Switching period is non-increasing in CPS strength and clearly shorter at cps = 1."""
    cps = np.linspace(0, 1, 11)[:, None]
    r = simulate_mutual(P0, C0, periods=100, growth_producer=G_P, growth_customer=G_C, cps=cps, base_fidelity=0.2)
    sw = switching_period(r)
    assert np.all(sw >= 0)
    assert np.all(np.diff(sw) <= 0)
    assert sw[-1] < sw[0] - 3


def test_sweep_mutual_table():
    df = sweep_mutual(P0, C0, periods=50, cps=[0.0, 0.5, 1.0], growth_producer=[0.01, 0.05])
    assert isinstance(df, pd.DataFrame) and len(df) == 6
    assert {"cps", "growth_producer", "switch_period", "mutual_share", "producer_final",
            "customer_final", "producer_leads_final"} <= set(df.columns)
    slow = df[df["growth_producer"] == 0.01]
    assert (slow["switch_period"] == -1).all()  # g_P = 0.01 < g_C = 0.02 everywhere: no switch
    fast = df[df["growth_producer"] == 0.05].sort_values("cps")
    assert (fast["switch_period"] >= 0).all() and fast["switch_period"].is_monotonic_decreasing
    # With an edge in every domain the producer can overtake everywhere at once.
    assert (fast["producer_leads_final"] == 1.0).all()


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs",
    [
        {"producer0": np.array([0.3, -0.1, 0.5, 0.6])},
        {"producer0": np.array([0.3, 0.0, 0.5, 0.6])},
        {"customer0": np.array([1.0, np.nan, 1.0, 1.0])},
        {"customer0": np.ones(3)},  # does not broadcast with 4 domains
        {"producer0": 0.5},  # needs a domain axis
        {"producer0": np.ones((2, 2, 4))},
        {"absorptive_producer": 1.2},
        {"absorptive_customer": -0.1},
        {"base_fidelity": 2.0},
        {"cps": -0.5},
        {"growth_producer": 1.5},
        {"growth_customer": -0.01},
        {"cps": np.array([[0.1], [0.2]]), "growth_producer": np.array([[0.1], [0.2], [0.3]])},
        {"periods": 0},
        {"periods": 2.5},
        {"absorptive": "learned"},
        {"cps": "high"},
    ],
)
def test_bad_input_raises_value_error(kwargs):
    base = dict(producer0=P0, customer0=C0, periods=5)
    base.update(kwargs)
    with pytest.raises(ValueError):
        simulate_mutual(**base)


def test_bad_input_helpers():
    with pytest.raises(ValueError):
        cps_fidelity(0.5, 1.5)
    with pytest.raises(ValueError):
        classify_periods("not a result")
    with pytest.raises(ValueError):
        switching_period(None)
    with pytest.raises(ValueError):
        sweep_mutual(P0, C0, speed=[1, 2])
    with pytest.raises(ValueError):
        sweep_mutual(np.ones((2, 4)), C0, cps=[0.1])
    assert isinstance(simulate_mutual(P0, C0, periods=1), MutualResult)
