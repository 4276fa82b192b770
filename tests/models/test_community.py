"""Tests for learning_dynamics.community (DeGroot, contagion, peripheral participation)."""

import numpy as np
import pandas as pd
import pytest

from learning_dynamics import community as cm


def test_network_is_symmetric_binary_without_loops():
    a = cm.core_periphery_network(6, 30, seed=4)
    assert a.shape == (36, 36)
    assert np.array_equal(a, a.T)
    assert set(np.unique(a)) <= {0, 1}
    assert np.all(np.diag(a) == 0)
    # every periphery node has a core tie when attach_periphery=True
    assert np.all(a[6:, :6].sum(axis=1) >= 1)


def test_network_deterministic_under_seed():
    a1 = cm.core_periphery_network(5, 20, seed=123)
    a2 = cm.core_periphery_network(5, 20, seed=123)
    a3 = cm.core_periphery_network(5, 20, seed=124)
    assert np.array_equal(a1, a2)
    assert not np.array_equal(a1, a3)
    g = np.random.default_rng(9)
    assert np.array_equal(
        cm.core_periphery_network(5, 20, seed=g), cm.core_periphery_network(5, 20, seed=np.random.default_rng(9))
    )


def test_network_block_densities():
    a = cm.core_periphery_network(40, 160, 0.9, 0.3, 0.0, seed=1, attach_periphery=False)
    core = a[:40, :40][np.triu_indices(40, 1)].mean()
    cross = a[:40, 40:].mean()
    per = a[40:, 40:].sum()
    assert core == pytest.approx(0.9, abs=0.04)
    assert cross == pytest.approx(0.3, abs=0.03)
    assert per == 0


def test_trust_matrix_rows_sum_to_one():
    a = cm.core_periphery_network(4, 12, seed=2)
    w = cm.trust_matrix(a, self_weight=0.3)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    assert np.all(w >= 0)
    np.testing.assert_allclose(np.diag(w), 0.3)


def test_isolated_node_keeps_its_view():
    a = np.zeros((3, 3))
    a[0, 1] = a[1, 0] = 1
    w = cm.trust_matrix(a)
    assert w[2, 2] == 1.0
    b = cm.degroot(w, [0.0, 1.0, 5.0], 50)
    assert b[-1, 2] == 5.0


def test_degroot_stays_in_convex_hull_and_converges():
    a = cm.core_periphery_network(5, 25, seed=7)
    assert cm.is_connected(a)
    w = cm.trust_matrix(a, 0.5)
    rng = np.random.default_rng(0)
    b0 = rng.uniform(-2, 3, size=30)
    hist = cm.degroot(w, b0, 400)
    assert hist.shape == (401, 30)
    assert hist.min() >= b0.min() - 1e-12
    assert hist.max() <= b0.max() + 1e-12
    spread = hist.max(axis=1) - hist.min(axis=1)
    assert np.all(np.diff(spread) <= 1e-12)  # spread never grows
    pi = cm.consensus_weights(w)
    np.testing.assert_allclose(hist[-1], pi @ b0, atol=1e-8)


def test_consensus_weights_stationary():
    a = cm.core_periphery_network(4, 10, seed=6)
    assert cm.is_connected(a)
    w = cm.trust_matrix(a)
    pi = cm.consensus_weights(w)
    assert pi.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(pi @ w, pi, atol=1e-12)
    # for symmetric ties with equal self-weight, influence is proportional to degree
    deg = a.sum(axis=1)
    np.testing.assert_allclose(pi, deg / deg.sum(), atol=1e-10)


def test_consensus_weights_rejects_disconnected():
    a = np.zeros((4, 4))
    a[0, 1] = a[1, 0] = a[2, 3] = a[3, 2] = 1
    with pytest.raises(ValueError):
        cm.consensus_weights(cm.trust_matrix(a))


def test_degroot_multiple_topics():
    w = cm.trust_matrix(cm.core_periphery_network(2, 5, seed=1))
    hist = cm.degroot(w, np.eye(7)[:, :2], 3)
    assert hist.shape == (4, 7, 2)


@pytest.mark.parametrize(
    "call",
    [
        lambda: cm.degroot(np.array([[0.5, 0.6], [0.5, 0.5]]), [1, 2], 3),  # not row-stochastic
        lambda: cm.degroot(np.array([[1.5, -0.5], [0.5, 0.5]]), [1, 2], 3),  # negative
        lambda: cm.degroot(np.eye(3), [1, 2], 3),  # wrong length
        lambda: cm.degroot(np.eye(2), [1, np.nan], 3),
        lambda: cm.degroot(np.eye(2), [1, 2], -1),
        lambda: cm.degroot(np.ones((2, 3)) / 3, [1, 2], 1),
        lambda: cm.trust_matrix(np.array([[0, -1], [1, 0]])),
        lambda: cm.trust_matrix(np.eye(2), self_weight=1.5),
        lambda: cm.core_periphery_network(3, 5, p_core_core=1.2),
        lambda: cm.core_periphery_network(3, 5, p_core_periphery=np.nan),
        lambda: cm.core_periphery_network(-1, 5),
        lambda: cm.core_periphery_network(0, 0),
        lambda: cm.core_periphery_network(2.5, 5),
        lambda: cm.core_periphery_network(3, 5, seed=None),
        lambda: cm.core_periphery_network(3, 5, seed=-3),
    ],
)
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()


def test_threshold_contagion_line_graph():
    # path 0-1-2-3-4; threshold 0.5 lets a seed at 0 spread one node per round
    n = 5
    a = np.zeros((n, n), dtype=int)
    for i in range(n - 1):
        a[i, i + 1] = a[i + 1, i] = 1
    hist = cm.threshold_contagion(a, [0], 0.5, max_steps=6)
    assert hist.shape == (7, 5)
    assert hist.sum(axis=1).tolist() == [1, 2, 3, 4, 5, 5, 5]
    # threshold above 0.5 blocks spread beyond node 1 (node 1 has 2 neighbours)
    blocked = cm.threshold_contagion(a, np.array([True, False, False, False, False]), 0.6, max_steps=4)
    assert blocked[-1].sum() == 1


def test_threshold_contagion_monotone_and_deterministic():
    a = cm.core_periphery_network(5, 40, seed=11)
    th = np.random.default_rng(1).uniform(0.1, 0.5, 45)
    h1 = cm.threshold_contagion(a, [0, 1], th, 30)
    h2 = cm.threshold_contagion(a, [0, 1], th, 30)
    assert np.array_equal(h1, h2)
    assert np.all(h1[1:] >= h1[:-1])  # adopters never revert


def test_threshold_contagion_bad_input():
    a = np.ones((3, 3))
    with pytest.raises(ValueError):
        cm.threshold_contagion(a, [5], 0.5)
    with pytest.raises(ValueError):
        cm.threshold_contagion(a, [0], 1.5)
    with pytest.raises(ValueError):
        cm.threshold_contagion(a, np.array([True, False]), 0.5)


def test_newcomer_trajectory_moves_from_periphery_to_core():
    df = cm.newcomer_trajectory(60, initial_tie=0.05, max_tie=0.5, participation_sensitivity=0.5)
    assert isinstance(df, pd.DataFrame) and len(df) == 61
    assert df["tie_strength"].iloc[0] == pytest.approx(0.05)
    assert np.all(np.diff(df["tie_strength"]) > 0)
    assert df["tie_strength"].iloc[-1] == pytest.approx(0.5, abs=1e-3)
    assert np.all(np.diff(df["knowledge_gap"]) < 0)
    # exact recursion check for the first step
    assert df["knowledge"].iloc[1] == pytest.approx(0.05 * 1.0)
    assert df["participation"].iloc[1] == pytest.approx(0.05)


def test_newcomer_without_participation_effect_learns_slower():
    frozen = cm.newcomer_trajectory(20, participation_sensitivity=0.0)
    growing = cm.newcomer_trajectory(20, participation_sensitivity=1.0)
    assert np.allclose(frozen["tie_strength"], 0.05)
    # closed form when the tie is frozen: gap = (1 - w0)^k
    np.testing.assert_allclose(frozen["knowledge_gap"], 0.95 ** np.arange(21))
    assert growing["knowledge_gap"].iloc[-1] < frozen["knowledge_gap"].iloc[-1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"steps": -1},
        {"steps": 5, "initial_tie": -0.1},
        {"steps": 5, "max_tie": 1.2},
        {"steps": 5, "initial_tie": 0.6, "max_tie": 0.5},
        {"steps": 5, "participation_sensitivity": -1.0},
        {"steps": 5, "participation_sensitivity": np.nan},
        {"steps": 5, "core_knowledge": np.inf},
    ],
)
def test_newcomer_bad_input(kwargs):
    with pytest.raises(ValueError):
        cm.newcomer_trajectory(**kwargs)
