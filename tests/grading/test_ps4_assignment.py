"""Problem set 4 (from unilateral to recursive mutual learning): the answer key agrees with the
reference package.

Release, validation, exact grades, alternative solutions and feedback of every problem set are
checked in test_assignments.py; the planted mistake is ``SPECS["ps4"].planted``
(tests/grading/conftest.py).
"""

from __future__ import annotations

import numpy as np

from grading.conftest import SPECS, solution_namespace

ASSIGNMENT = "ps4"
PLANTED = SPECS[ASSIGNMENT].planted


def _solution_namespace(edit: tuple[str, str] | None = None) -> dict:
    """The source's setup and solution cells run in a fresh namespace; ``edit`` plants a mistake."""
    return solution_namespace(ASSIGNMENT, {"simulate_mutual": edit} if edit else None)


def test_answer_key_matches_reference_package():
    from learning_dynamics import mutual

    ns = _solution_namespace()
    f_ref = mutual.cps_fidelity(np.array([[0.1], [0.5]]), np.array([0.0, 0.3, 1.0]))
    assert np.allclose(ns["cps_fidelity"](np.array([[0.1], [0.5]]), np.array([0.0, 0.3, 1.0])), f_ref)

    cases = [
        dict(producer0=[0.5, 0.3, 0.4], customer0=[1.0, 1.0, 1.0], **ns["PARAMS"], cps=0.5),
        dict(producer0=[1.2, 0.4], customer0=[1.0, 0.9], absorptive_producer=[0.9, 0.2],
             absorptive_customer=0.3, base_fidelity=[0.1, 0.6], cps=[0.0, 0.8],
             growth_producer=0.01, growth_customer=[0.04, 0.0]),
    ]
    for kw in cases:
        mine = ns["simulate_mutual"](periods=35, **kw)
        kw_ref = {k: (np.asarray(v) if isinstance(v, list) else v) for k, v in kw.items()}
        ref = mutual.simulate_mutual(periods=35, **kw_ref)
        for key in ("producer", "customer", "to_producer", "to_customer", "fidelity"):
            assert np.allclose(mine[key], getattr(ref, key)[0]), key
        assert list(ns["classify_periods"](mine)) == list(mutual.classify_periods(ref)[0])
        assert ns["switching_period"](mine) == int(mutual.switching_period(ref)[0])

    # The sweep agrees with the reference sweep (scalar rates, which sweep_mutual requires) ...
    p0, c0 = [0.5, 0.3, 0.4], [1.0, 1.0, 1.0]
    cps_values = [0.0, 0.3, 0.6, 0.9]
    mine = ns["cps_sweep"](p0, c0, cps_values, 50, base_fidelity=0.15, growth_producer=0.03,
                           growth_customer=0.02)
    ref = mutual.sweep_mutual(p0, c0, periods=50, cps=cps_values, base_fidelity=0.15,
                              growth_producer=0.03, growth_customer=0.02)
    for col in ("cps", "switch_period", "mutual_share", "producer_final", "customer_final"):
        assert np.allclose(mine[col].to_numpy(float), ref[col].to_numpy(float)), col
    # ... and, for the notebook's scenario with per-domain rates, the batch simulation.
    table = ns["cps_sweep"](ns["P0"], ns["C0"], ns["CPS_VALUES"], ns["PERIODS"], **ns["PARAMS"])
    res = mutual.simulate_mutual(ns["P0"], ns["C0"], periods=ns["PERIODS"], **ns["PARAMS"],
                                 cps=np.array(ns["CPS_VALUES"])[:, None])
    assert list(table["switch_period"]) == list(mutual.switching_period(res))
    assert np.allclose(table["mutual_share"], (mutual.classify_periods(res) == "mutual").mean(axis=1))
    assert np.allclose(table["producer_final"], res.producer[:, -1].mean(axis=1))


def test_answer_key_comparison_can_fail():
    """A key with the planted mistake disagrees with the reference package."""
    from learning_dynamics import mutual

    ns = _solution_namespace(PLANTED["simulate_mutual"])
    mine = ns["simulate_mutual"]([0.5, 0.3], [1.0, 1.0], 20, growth_producer=0.05)
    ref = mutual.simulate_mutual([0.5, 0.3], [1.0, 1.0], periods=20, growth_producer=0.05)
    assert not np.allclose(mine["producer"], ref.producer[0])
