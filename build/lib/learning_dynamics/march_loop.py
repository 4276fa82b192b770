"""Per-member loop implementation of March's (1991) model, for checking and benchmarking.

This is a deliberately plain reference: one replication at a time, one member and one
dimension at a time, Python lists and scalar random draws. It implements the same model
and the same options as :func:`learning_dynamics.march.simulate` (see that module for
the model, its sources and the meaning of each option), but it draws its random numbers
in a different order, so the two agree in distribution, not draw for draw. It is used
only by ``benchmarks/bench_march.py`` and by the statistical agreement test in
``tests/models/test_march.py``; use :mod:`learning_dynamics.march` for real work.

Source: March, J. G. (1991). Exploration and exploitation in organizational learning.
Organization Science, 2(1), 71-87.
"""

from __future__ import annotations

import numpy as np

from .march import (
    K_RULES,
    SCHEDULES,
    SCORINGS,
    STEP_RULES,
    SUPERIOR_RULES,
    _check_choice,
    _check_int,
    _check_prob_array,
    _make_rng,
)

__all__ = ["simulate_loop", "sweep_loop"]


def _run_one(m, n, p1_members, p2, p3, p4, periods, until_equilibrium, max_periods, opts, rng):
    superior, member_step, code_step, k_rule, schedule, scoring = opts
    rand = rng.random
    reality = [1 if rand() < 0.5 else -1 for _ in range(m)]
    beliefs = [[int(v) - 1 for v in rng.integers(0, 3, size=m)] for _ in range(n)]
    code = [0] * m

    def knowledge(vec):
        if scoring == "match":
            return sum(1 for d in range(m) if vec[d] == reality[d]) / m
        return sum(vec[d] * reality[d] for d in range(m)) / m

    def superior_view():
        """(sums, differ, agree, sources of superior members) for the code-learning step."""
        if superior == "actions":
            sources = [[b if b != 0 else (1 if rand() < 0.5 else -1) for b in row] for row in beliefs]
        else:
            sources = beliefs
        if superior == "knowledge":
            code_val = sum(1 for d in range(m) if code[d] == reality[d])
        else:
            code_val = sum(code[d] * reality[d] for d in range(m))
        sup = []
        for row in sources:
            if superior == "knowledge":
                val = sum(1 for d in range(m) if row[d] == reality[d])
            else:
                val = sum(row[d] * reality[d] for d in range(m))
            if val > code_val:
                sup.append(row)
        return sup

    def code_probabilities(sup):
        probs = [0.0] * m
        signs = [0] * m
        for d in range(m):
            total = sum(row[d] for row in sup)
            sign = (total > 0) - (total < 0)
            signs[d] = sign
            if sign == 0 or sign == code[d]:
                continue
            if k_rule == "net":
                k = abs(total)
            else:
                agree = sum(1 for row in sup if row[d] == code[d])
                k = (len(sup) - agree) - agree
            if k > 0:
                probs[d] = 1.0 - (1.0 - p2) ** k
        return probs, signs

    def member_can_change():
        for i in range(n):
            if p1_members[i] <= 0:
                continue
            row = beliefs[i]
            for d in range(m):
                if code[d] != 0 and row[d] != code[d]:
                    return True
        return False

    def code_can_change():
        if p2 <= 0:
            return False
        if superior == "actions":
            code_score = sum(code[d] * reality[d] for d in range(m))
            for row in beliefs:
                best = sum(row[d] * reality[d] for d in range(m)) + sum(1 for b in row if b == 0)
                if best > code_score:
                    return True
            return False
        probs, _ = code_probabilities(superior_view())
        return any(p > 0 for p in probs)

    code_hist = [knowledge(code)]
    member_hist = [sum(knowledge(row) for row in beliefs) / n]
    limit = max_periods if until_equilibrium else periods
    converged = False
    t = 0
    while t < limit:
        if until_equilibrium and not member_can_change() and not code_can_change():
            converged = True
            break
        # turbulence
        if p4 > 0:
            for d in range(m):
                if rand() < p4:
                    reality[d] = -reality[d]
        # turnover
        if p3 > 0:
            for i in range(n):
                if rand() < p3:
                    beliefs[i] = [int(v) - 1 for v in rng.integers(0, 3, size=m)]
        if schedule == "synchronous":
            probs, signs = code_probabilities(superior_view())
        # socialisation, member by member, dimension by dimension
        for i in range(n):
            row = beliefs[i]
            rate = p1_members[i]
            for d in range(m):
                c = code[d]
                if c != 0 and row[d] != c and rand() < rate:
                    if member_step == "gradual":
                        row[d] = row[d] + c
                    else:
                        row[d] = c
        if schedule == "sequential":
            probs, signs = code_probabilities(superior_view())
        # code learning
        for d in range(m):
            if probs[d] > 0 and rand() < probs[d]:
                if code_step == "gradual":
                    code[d] = code[d] + signs[d]
                else:
                    code[d] = signs[d]
        t += 1
        code_hist.append(knowledge(code))
        member_hist.append(sum(knowledge(row) for row in beliefs) / n)
    return code_hist, member_hist, converged, t


def simulate_loop(
    *,
    m: int = 30,
    n: int = 50,
    p1=0.5,
    p2: float = 0.5,
    p3: float = 0.0,
    p4: float = 0.0,
    replications: int = 80,
    periods: int = 100,
    until_equilibrium: bool = False,
    max_periods: int = 10_000,
    superior: str = "actions",
    member_step: str = "gradual",
    code_step: str = "immediate",
    k_rule: str = "net",
    schedule: str = "synchronous",
    scoring: str = "match",
    seed=None,
) -> dict:
    """Loop version of :func:`learning_dynamics.march.simulate` (same model and options).

    Parameters are as in :func:`learning_dynamics.march.simulate`, except that ``p2``,
    ``p3`` and ``p4`` must be scalars and ``p1`` a scalar or a shape ``(n,)`` array of
    per-member rates.

    Returns
    -------
    dict
        ``final_code_knowledge`` and ``final_member_knowledge`` (ndarray, shape (R,)),
        ``periods`` (int ndarray, shape (R,)), ``converged`` (bool ndarray, shape (R,)),
        and ``code_knowledge`` / ``member_knowledge``: lists of R per-period lists
        (lengths differ when runs stop at equilibrium).

    Raises
    ------
    ValueError
        For the same invalid inputs as the vectorised version.
    """
    m = _check_int("m", m, 1)
    n = _check_int("n", n, 1)
    R = _check_int("replications", replications, 1)
    periods = _check_int("periods", periods, 0)
    max_periods = _check_int("max_periods", max_periods, 1)
    opts = (
        _check_choice("superior", superior, SUPERIOR_RULES),
        _check_choice("member_step", member_step, STEP_RULES),
        _check_choice("code_step", code_step, STEP_RULES),
        _check_choice("k_rule", k_rule, K_RULES),
        _check_choice("schedule", schedule, SCHEDULES),
        _check_choice("scoring", scoring, SCORINGS),
    )
    p1a = _check_prob_array("p1", p1)
    if p1a.ndim == 0:
        p1_members = [float(p1a)] * n
    elif p1a.shape == (n,):
        p1_members = [float(v) for v in p1a]
    else:
        raise ValueError(f"p1 must be a scalar or have shape ({n},), got {p1a.shape}")
    scalars = []
    for name, val in (("p2", p2), ("p3", p3), ("p4", p4)):
        arr = _check_prob_array(name, val)
        if arr.ndim != 0:
            raise ValueError(f"{name} must be a scalar in the loop implementation")
        scalars.append(float(arr))
    p2, p3, p4 = scalars
    if until_equilibrium and (p3 > 0 or p4 > 0):
        raise ValueError("until_equilibrium=True needs p3 == 0 and p4 == 0")
    rng = _make_rng(seed)

    code_k, member_k, conv, per = [], [], [], []
    for _ in range(R):
        ch, mh, c, t = _run_one(m, n, p1_members, p2, p3, p4, periods, until_equilibrium, max_periods, opts, rng)
        code_k.append(ch)
        member_k.append(mh)
        conv.append(c)
        per.append(t)
    return {
        "final_code_knowledge": np.array([h[-1] for h in code_k]),
        "final_member_knowledge": np.array([h[-1] for h in member_k]),
        "periods": np.array(per, dtype=np.int64),
        "converged": np.array(conv, dtype=bool),
        "code_knowledge": code_k,
        "member_knowledge": member_k,
    }


def sweep_loop(*, p1_values, p2_values, replications: int = 80, m: int = 30, n: int = 50, seed=None, **options) -> list[dict]:
    """Figure-1-style sweep with the loop implementation, run to equilibrium.

    Returns a list of dicts with keys ``p1``, ``p2`` and ``code_knowledge`` (mean final
    code knowledge over ``replications``), one per (p1, p2) pair, in p1-major order.

    Raises
    ------
    ValueError
        For invalid inputs (see :func:`simulate_loop`).
    """
    rng = _make_rng(seed)
    rows = []
    for p1 in p1_values:
        for p2 in p2_values:
            res = simulate_loop(
                m=m, n=n, p1=p1, p2=p2, replications=replications, until_equilibrium=True, seed=rng, **options
            )
            rows.append({"p1": float(p1), "p2": float(p2), "code_knowledge": float(res["final_code_knowledge"].mean())})
    return rows
