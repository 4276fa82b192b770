"""ps3 (March's exploration and exploitation): the answer key agrees with the reference package.

The answer key is compared draw for draw with learning_dynamics.march.simulate at its default
options, which ps3's conventions copy. Release, validation, exact grades, alternative solutions and
feedback of every problem set are checked in test_assignments.py; the planted mistake is
``SPECS["ps3"].planted`` (tests/grading/conftest.py).
"""

from __future__ import annotations

import numpy as np

from grading.conftest import SPECS, solution_namespace
from learning_dynamics import march

ASSIGNMENT = "ps3"
PLANTED = SPECS[ASSIGNMENT].planted


# ----------------------------------------------------------------------------- answer key


def _solution_namespace(edits: dict[str, tuple[str, str]] | None = None) -> dict:
    return solution_namespace(ASSIGNMENT, edits, skip=("show_table",))


SETTINGS = [(30, 50, 0.1, 0.9), (30, 50, 0.9, 0.9), (30, 50, 0.5, 0.1), (30, 50, 1.0, 1.0),
            (30, 50, 0.0, 0.5), (12, 7, 0.3, 0.6)]


def _key_disagreements(ns: dict, seeds=range(6), periods: int = 25) -> list[str]:
    """Settings where the key's simulate differs from march.simulate (defaults) with the same seed."""
    bad = []
    for m, n, p1, p2 in SETTINGS:
        for seed in seeds:
            ours = ns["simulate"](m, n, p1, p2, periods, np.random.default_rng(seed))
            ref = march.simulate(m=m, n=n, p1=p1, p2=p2, replications=1, periods=periods, seed=seed)
            if not (np.allclose(ours["code_knowledge"], ref.code_knowledge[0])
                    and np.allclose(ours["member_knowledge"], ref.member_knowledge[0])):
                bad.append(f"simulate{(m, n, p1, p2, seed)}")
    return bad


def test_ps3_key_matches_reference_package_draw_for_draw():
    ns = _solution_namespace()
    assert _key_disagreements(ns) == []
    # The initial state is the reference model's initial state (a run of zero periods).
    for seed in range(4):
        reality, beliefs, code = ns["initialise"](30, 50, np.random.default_rng(seed))
        ref = march.simulate(m=30, n=50, replications=1, periods=0, seed=seed)
        assert np.array_equal(reality, ref.reality[0])
        assert np.array_equal(beliefs, ref.beliefs[0])
        assert np.array_equal(code, ref.code[0])
        assert np.isclose(ns["knowledge"](beliefs, reality).mean(), ref.member_knowledge[0, 0])


def test_ps3_sweep_matches_reference_runs_on_one_generator():
    ns = _solution_namespace()
    table = ns["sweep"]([0.1, 0.9], 0.9, 4, 15, 1991)
    rng = np.random.default_rng(1991)
    for row, p1 in zip(table.itertuples(), [0.1, 0.9]):
        runs = [march.simulate(p1=p1, p2=0.9, replications=1, periods=15, seed=rng) for _ in range(4)]
        assert np.isclose(row.code_knowledge, np.mean([r.final_code_knowledge[0] for r in runs]))
        assert np.isclose(row.member_knowledge, np.mean([r.final_member_knowledge[0] for r in runs]))


def test_ps3_step_rules_match_reference_probabilities():
    """learn_code's adoption probability is march's 1 - (1 - p2)**k with k = |net votes|."""
    ns = _solution_namespace()
    rng = np.random.default_rng(3)
    for _ in range(20):
        actions = np.where(rng.random((9, 12)) < 0.5, 1, -1)
        reality = np.where(rng.random(12) < 0.5, 1, -1)
        code = rng.integers(0, 3, size=12) - 1
        sup_ours = ns["superior_group"](actions, code, reality)
        S, sup_ref, source = march._superior_stats(actions[None].astype(np.float32),
                                                   code[None].astype(np.float32),
                                                   reality[None].astype(np.float32), "beliefs", None)
        assert np.array_equal(sup_ours, sup_ref[0])
        prob, _ = march._code_change_prob(S, sup_ref, source, code[None].astype(np.float32),
                                          np.array([0.3]), "net")
        # A fake generator returning u just below / just above each dimension's probability
        # (never below 0, as a real generator's draws).
        for u, expect_change in [(np.maximum(prob[0] - 1e-9, 0.0), True), (prob[0] + 1e-9, False)]:
            class Draws:
                def random(self, size=None, _u=u):
                    return np.asarray(_u, dtype=float)

            new = ns["learn_code"](code, actions, sup_ours, 0.3, Draws())
            changed = new != code
            can = prob[0] > 0
            assert np.array_equal(changed, can & expect_change)


def test_key_comparison_catches_the_planted_mistake():
    """The comparison can fail: one-step socialisation (the partly wrong submission) is caught."""
    bad = _key_disagreements(_solution_namespace(PLANTED), seeds=range(2))
    assert any("0.9, 0.9" in b for b in bad)
    # With p1 = 0 nobody is socialised, so the mistake cannot show there.
    assert not any(", 0.0, 0.5," in b for b in bad)
