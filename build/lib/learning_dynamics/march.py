"""March's (1991) mutual-learning model of an organisational code and its members.

Source
------
March, J. G. (1991). Exploration and exploitation in organizational learning.
*Organization Science*, 2(1), 71-87.

The model (March's assumptions (1)-(4), footnote 1, and the turnover and turbulence
extensions later in the paper):

* **Reality** is a vector of ``m`` dimensions, each +1 or -1 with probability 1/2.
* **Members** (``n`` of them) and the **organisational code** each hold a belief in
  {-1, 0, +1} on every dimension. Members start with beliefs drawn uniformly from
  {-1, 0, +1}; the code starts at 0 everywhere.
* **Socialisation (p1).** On every dimension where the code is non-zero and a member's
  belief differs from it, the member moves towards the code with probability ``p1``.
* **Code learning (p2).** The code learns from the *superior group*: the members who know
  more about reality than the code does. Where the code differs from the majority view of
  that group on a dimension, it adopts the majority view with probability
  ``1 - (1 - p2)**k``, where ``k`` measures how large the majority is.
* **Turnover (p3).** Each period each member leaves with probability ``p3`` and is
  replaced by a newcomer with beliefs drawn uniformly from {-1, 0, +1}.
* **Turbulence (p4).** Each period each dimension of reality flips sign with
  probability ``p4``.
* **Knowledge** is the fraction of the ``m`` dimensions on which a belief vector
  matches reality.

Ambiguities and the reading chosen as default
---------------------------------------------
March's text leaves several details open, and public replications fill them in
differently. Every open point is an option of :func:`simulate`. The **defaults follow
the Python replication by Maciej Workiewicz** (ESSEC):

    Workiewicz, M. (2019; revised 2023). *March_1991_Original: a recreation of March's
    1991 model of exploration and exploitation* [Python source code]. GitHub repository
    ``Mac13kW/March_1991_Original``, file ``Recreation_of_March_1991_original_algorithm.py``.

Why this one: it is the best-documented public replication we found. Each step of its
code quotes the passage of March (1991) it implements and flags every place where it
departs from the text; it states the sources of the missing steps (Rodan, S. (2005).
Exploration and exploitation revisited: Extending March's model of mutual learning.
*Scandinavian Journal of Management*, 21(4), 407-428; and an unpublished note by Michael
Christensen, 2015); and it ships its output for 10,000 replications per setting, which
our default reproduces (``tests/models/test_march.py`` checks this). The other
well-documented replication, Christopher Watts's NetLogo model for Watts, C. and Gilbert,
N. (2014), *Simulating Innovation: Computer-based Tools for Rethinking Innovation*
(Edward Elgar), is based on a BASIC program "mostly by March" supplied by Rodan; its own
notes say it matches March's figures qualitatively but not in scale. Its reading is
``superior="beliefs", code_step="gradual"`` (other options at their defaults).

================ ============================== ==============================================
option           default (Workiewicz)           alternatives
================ ============================== ==============================================
``superior``     ``"actions"``: each member     ``"beliefs"``: belief score
                 acts, flipping a fair coin     ``sum(belief * reality)`` above the code's
                 where its belief is 0; members (Watts & Gilbert); ``"knowledge"``: more
                 whose action score             dimensions *matching* reality than the code
                 ``sum(action * reality)``      (the literal text). Under both the code
                 exceeds the code's score       learns from beliefs, not actions.
                 ``sum(code * reality)`` are
                 superior; the code learns
                 from their actions
``member_step``  ``"gradual"``: an opposite     ``"immediate"``: the belief jumps to the
                 belief first becomes 0, a 0    code's value
                 becomes the code's value
``code_step``    ``"immediate"``: the code      ``"gradual"`` (opposite -> 0 -> majority,
                 jumps to the majority view     as in Watts & Gilbert)
``k_rule``       ``"net"``: ``k = |#(+1) -      ``"differ"``: literal footnote 1, ``k`` =
                 #(-1)|`` in the superior       superior members differing from the code on
                 group (0-beliefs abstain)      the dimension minus those who do not; the
                                                code changes only if ``k > 0``
``schedule``     ``"synchronous"``: the code    ``"sequential"``: members are socialised
                 learns from what members held  first, then the superior group is formed
                 at the start of the period     from the updated beliefs
``scoring``      ``"match"``: fraction of       ``"score"``: ``sum(x * reality) / m`` in
                 dimensions equal to reality    [-1, 1], the measure Workiewicz reports
                 (March's definition)
================ ============================== ==============================================

Order of events in a period: turbulence, turnover, superior group (actions are taken
here), socialisation, code learning. With ``schedule="synchronous"`` the order of
socialisation and code learning does not matter.

Equilibrium. With ``p3 = p4 = 0`` the process has absorbing states. With
``until_equilibrium=True`` each replication stops at the first period at whose start
no member and not the code can change any more: a member can change if its ``p1 > 0``
and it differs from a non-zero code somewhere; the code can change if ``p2 > 0`` and
some dimension has a non-zero majority view in the superior group that differs from it
(with ``k > 0``), or, under ``superior="actions"``, if some member *could* outscore the
code (``sum(belief * reality) + #zero beliefs > code score``; Workiewicz's test). Once
this holds nothing can change again, so the stop is exact.

Vectorisation. All replications (and, in :func:`sweep`, all parameter settings) run at
once on int8 arrays shaped ``(R, n, m)``; finished replications are dropped from the
working set. Scores use float32 batched matrix products, exact for these small
integers. A per-member loop implementation for checking and benchmarking is in
:mod:`learning_dynamics.march_loop`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "MarchResult",
    "simulate",
    "mixed_p1",
    "sweep",
    "figure1_sweep",
    "SUPERIOR_RULES",
    "STEP_RULES",
    "K_RULES",
    "SCHEDULES",
    "SCORINGS",
]

SUPERIOR_RULES = ("beliefs", "knowledge", "actions")
STEP_RULES = ("gradual", "immediate")
K_RULES = ("net", "differ")
SCHEDULES = ("synchronous", "sequential")
SCORINGS = ("match", "score")

#: Largest number of belief cells (replications x n x m) per block in sweep(); about a
#: million keeps the working arrays in cache (measured on the 2-core project machine).
#: Blocks draw from one random stream in turn, so changing this changes sweep() results.
_MAX_CELLS_PER_BATCH = 1_000_000


@dataclass(frozen=True)
class MarchResult:
    """Output of :func:`simulate`.

    Attributes
    ----------
    code_knowledge : ndarray, shape (R, T + 1), float
        Knowledge of the code at the end of each period; column 0 is the initial state.
        With ``scoring="match"`` values are in [0, 1]; with ``"score"`` in [-1, 1].
        A replication that reached equilibrium keeps its final value in later columns.
    member_knowledge : ndarray, shape (R, T + 1), float
        Average knowledge of the ``n`` members, same conventions.
    converged : ndarray, shape (R,), bool
        True where the replication reached an absorbing state (only possible with
        ``until_equilibrium=True``).
    periods : ndarray, shape (R,), int
        Number of periods simulated for each replication (the equilibrium period when
        ``converged``).
    beliefs : ndarray, shape (R, n, m), int8
        Final member beliefs in {-1, 0, 1}.
    code : ndarray, shape (R, m), int8
        Final code in {-1, 0, 1}.
    reality : ndarray, shape (R, m), int8
        Final reality in {-1, 1}.
    """

    code_knowledge: np.ndarray
    member_knowledge: np.ndarray
    converged: np.ndarray
    periods: np.ndarray
    beliefs: np.ndarray
    code: np.ndarray
    reality: np.ndarray

    @property
    def final_code_knowledge(self) -> np.ndarray:
        """Code knowledge at the last simulated period of each replication, shape (R,)."""
        return self.code_knowledge[:, -1]

    @property
    def final_member_knowledge(self) -> np.ndarray:
        """Average member knowledge at the last simulated period, shape (R,)."""
        return self.member_knowledge[:, -1]


# ----------------------------------------------------------------------------- validation


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_prob_array(name: str, value) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a probability or an array of probabilities") from exc
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if np.any(arr < 0.0) or np.any(arr > 1.0):
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}")
    return arr


def _per_replication(name: str, value, R: int) -> np.ndarray:
    """Scalar or shape (R,) probability -> array shape (R,)."""
    arr = _check_prob_array(name, value)
    if arr.ndim == 0:
        return np.full(R, float(arr))
    if arr.shape != (R,):
        raise ValueError(f"{name} must be a scalar or have shape ({R},) (one per replication), got {arr.shape}")
    return arr.copy()


def _p1_matrix(p1, R: int, n: int) -> np.ndarray:
    """p1 as scalar, (n,) per member, or 2-D broadcastable to (R, n) -> array (R, n)."""
    arr = _check_prob_array("p1", p1)
    if arr.ndim == 0:
        return np.full((R, n), float(arr))
    if arr.ndim == 1:
        if arr.shape != (n,):
            raise ValueError(
                f"a 1-D p1 gives one rate per member and must have shape ({n},), got {arr.shape}; "
                "use shape (R, 1) for one rate per replication"
            )
        return np.broadcast_to(arr, (R, n)).copy()
    if arr.ndim == 2:
        try:
            return np.broadcast_to(arr, (R, n)).copy()
        except ValueError as exc:
            raise ValueError(f"a 2-D p1 must broadcast to (R, n) = ({R}, {n}), got {arr.shape}") from exc
    raise ValueError(f"p1 must be a scalar, shape (n,), or 2-D broadcastable to (R, n); got ndim={arr.ndim}")


def _make_rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(seed)
    raise ValueError(f"seed must be None, an int or a numpy.random.Generator, got {seed!r}")


def mixed_p1(n: int, p1_slow: float, p1_fast: float, fraction_fast: float) -> np.ndarray:
    """Per-member socialisation rates for a mix of slow and fast learners.

    March (1991) compares populations in which a fraction of members learn from the code
    quickly and the rest slowly. Pass the result as ``p1`` to :func:`simulate`.

    Parameters
    ----------
    n : int, >= 1
        Number of members.
    p1_slow, p1_fast : float in [0, 1]
        Socialisation rates of the slow and of the fast members.
    fraction_fast : float in [0, 1]
        Share of fast members; the number of fast members is ``floor(fraction_fast * n)``
        (as in Watts & Gilbert's NetLogo model), rounded to absorb floating-point error.

    Returns
    -------
    ndarray, shape (n,), float
        The first ``floor(fraction_fast * n)`` entries are ``p1_fast``, the rest ``p1_slow``.

    Raises
    ------
    ValueError
        If ``n < 1`` or any rate or the fraction lies outside [0, 1].
    """
    n = _check_int("n", n, 1)
    slow = float(_check_prob_array("p1_slow", p1_slow))
    fast = float(_check_prob_array("p1_fast", p1_fast))
    frac = float(_check_prob_array("fraction_fast", fraction_fast))
    n_fast = int(np.floor(frac * n + 1e-9))
    out = np.full(n, slow)
    out[:n_fast] = fast
    return out


# ----------------------------------------------------------------------------- model core


def _knowledge(x: np.ndarray, reality: np.ndarray, scoring: str) -> np.ndarray:
    """Knowledge of belief arrays x (..., m) against reality broadcast to x; mean over last axis."""
    if scoring == "match":
        return (x == reality).mean(axis=-1)
    # Mean in float32: the precision of "score" results since states were float32.
    return (x * reality).mean(axis=-1, dtype=np.float32)


def _superior_stats(beliefs, code, reality, superior, rng):
    """Superior group and what the code learns from.

    ``beliefs`` (A, n, m), ``code`` and ``reality`` (A, m) are int8 arrays. Returns
    ``(S, sup, source)``: the signed sum ``S`` (A, m), float32, of the superior members'
    beliefs or actions, the boolean superior mask ``sup`` (A, n), and ``source`` (A, n, m),
    float32, the beliefs or (for ``superior="actions"``) the actions the code learns from.
    Scores and ``S`` use float32 batched matmul (BLAS): it holds these small integers
    exactly and is much faster than integer reductions for these shapes.
    """
    if superior == "actions":
        # Act: a member with belief 0 on a dimension flips a fair coin there.
        actions = beliefs.copy()
        zeros = np.flatnonzero(beliefs == 0)
        if zeros.size:
            heads = rng.random(zeros.size) < 0.5
            actions.reshape(-1)[zeros] = 2 * heads.view(np.int8) - 1  # +1 or -1
        source = actions.astype(np.float32)
    else:
        source = beliefs.astype(np.float32)
    score = np.matmul(source, reality.astype(np.float32)[:, :, None])[..., 0]  # (A, n)
    if superior == "knowledge":
        # dimensions matching reality = (score + number of non-zero beliefs) / 2
        member_val = (score + np.einsum("anm,anm->an", source, source)) / 2
        code_val = (code == reality).sum(axis=-1)
    else:
        member_val = score
        code_val = (code * reality).sum(axis=-1, dtype=np.int32)
    sup = member_val > code_val[:, None]
    S = np.matmul(sup.astype(np.float32)[:, None, :], source)[:, 0, :]
    return S, sup, source


def _code_change_prob(S, sup, source, code, p2, k_rule):
    """Probability (A, m), float64, that the code changes towards the superior majority
    this period, and the majority's sign (A, m), int8."""
    sign = np.sign(S).astype(np.int8)
    differs = (sign != 0) & (sign != code)
    if k_rule == "net":
        k = np.abs(S)
    else:  # "differ": members differing from the code minus those agreeing with it
        n_sup = sup.sum(axis=1, dtype=np.int32)[:, None]
        agree = np.matmul(sup.astype(np.float32)[:, None, :], (source == code[:, None, :]).astype(np.float32))[:, 0, :]
        k = (n_sup - agree) - agree
    # Only votes for a change count: k = 0 (so prob = 0) where the code does not differ
    # from the majority or the majority is not positive.
    k = k * (differs & (k > 0))
    prob = 1.0 - (1.0 - p2[:, None]) ** k
    return prob, sign


def _code_can_change(rows, beliefs, code, reality, p2, superior, k_rule, prob=None):
    """For replications ``rows`` whose members cannot change, can the code still change?

    Returns a boolean array shaped like ``rows``. Exact for the deterministic superior
    rules; for ``"actions"`` it asks whether any member could *possibly* outscore the
    code (belief score plus one point per 0-belief), which is necessary for any change.
    """
    if prob is not None:
        return (prob[rows] > 0).any(axis=1)
    b, c, r = beliefs[rows], code[rows], reality[rows]
    if superior == "actions":
        b32 = b.astype(np.float32)
        score = np.matmul(b32, r.astype(np.float32)[:, :, None])[..., 0]
        best = score + (b.shape[-1] - np.einsum("anm,anm->an", b32, b32))  # + number of 0s
        return (best > (c * r).sum(axis=-1, dtype=np.int32)[:, None]).any(axis=1) & (p2[rows] > 0)
    S, sup, source = _superior_stats(b, c, r, superior, None)
    pr, _ = _code_change_prob(S, sup, source, c, p2[rows], k_rule)
    return (pr > 0).any(axis=1)


def simulate(
    *,
    m: int = 30,
    n: int = 50,
    p1=0.5,
    p2=0.5,
    p3=0.0,
    p4=0.0,
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
    history: bool = True,
    seed=None,
) -> MarchResult:
    """Simulate March's (1991) mutual-learning model for many replications at once.

    Source: March (1991), Organization Science 2(1): 71-87, model assumptions (1)-(4),
    footnote 1 (code learning probability ``1 - (1 - p2)**k``), and the turnover (p3) and
    turbulence (p4) extensions. Defaults for the points the paper leaves open follow
    Workiewicz's Python replication; see the module docstring.

    Parameters
    ----------
    m : int, >= 1
        Number of dimensions of reality (March: 30).
    n : int, >= 1
        Number of members (March: 50).
    p1 : float in [0, 1], or array
        Socialisation rate. Scalar; shape ``(n,)`` for one rate per member (see
        :func:`mixed_p1`); or 2-D broadcastable to ``(R, n)``, e.g. ``(R, 1)`` for one rate
        per replication.
    p2, p3, p4 : float in [0, 1], or array shape (R,)
        Code learning rate, turnover rate, turbulence rate (per period).
    replications : int, >= 1
        Number of independent replications R.
    periods : int, >= 0
        Number of periods to run when ``until_equilibrium`` is False.
    until_equilibrium : bool
        If True, run each replication until it reaches an absorbing state (see module
        docstring), at most ``max_periods`` periods. Requires ``p3 == p4 == 0``.
    max_periods : int, >= 1
        Cap on periods when ``until_equilibrium`` is True; ``converged`` says which
        replications reached equilibrium before the cap.
    superior, member_step, code_step, k_rule, schedule, scoring : str
        Readings of the ambiguous parts of the paper; see the module docstring for the
        meaning of each value.
    history : bool
        If False, only the initial and final knowledge are returned (shape ``(R, 2)``),
        which saves memory for very many replications.
    seed : None, int or numpy.random.Generator
        Source of randomness; the same int gives the same result.

    Returns
    -------
    MarchResult
        Per-period code and average member knowledge, shape ``(R, T + 1)``, and final
        states; see :class:`MarchResult`.

    Raises
    ------
    ValueError
        If ``m < 1``, ``n < 1``, ``replications < 1``, a probability lies outside [0, 1],
        an array parameter has the wrong shape, an option is not one of the allowed
        values, or ``until_equilibrium`` is requested with ``p3 > 0`` or ``p4 > 0``.
    """
    m = _check_int("m", m, 1)
    n = _check_int("n", n, 1)
    R = _check_int("replications", replications, 1)
    periods = _check_int("periods", periods, 0)
    max_periods = _check_int("max_periods", max_periods, 1)
    _check_choice("superior", superior, SUPERIOR_RULES)
    _check_choice("member_step", member_step, STEP_RULES)
    _check_choice("code_step", code_step, STEP_RULES)
    _check_choice("k_rule", k_rule, K_RULES)
    _check_choice("schedule", schedule, SCHEDULES)
    _check_choice("scoring", scoring, SCORINGS)
    if not isinstance(until_equilibrium, (bool, np.bool_)):
        raise ValueError(f"until_equilibrium must be True or False, got {until_equilibrium!r}")
    p1m = _p1_matrix(p1, R, n)
    p2v = _per_replication("p2", p2, R)
    p3v = _per_replication("p3", p3, R)
    p4v = _per_replication("p4", p4, R)
    if until_equilibrium and (np.any(p3v > 0) or np.any(p4v > 0)):
        raise ValueError(
            "until_equilibrium=True needs p3 == 0 and p4 == 0: with turnover or turbulence "
            "the process has no absorbing state; use a fixed number of periods instead"
        )
    rng = _make_rng(seed)

    # Initial state, int8 (-1/0/+1): a quarter of the memory traffic of float32.
    reality = np.where(rng.random((R, m)) < 0.5, 1, -1).astype(np.int8)
    beliefs = rng.integers(0, 3, size=(R, n, m)).astype(np.int8) - 1
    code = np.zeros((R, m), dtype=np.int8)

    T_max = max_periods if until_equilibrium else periods
    ck0 = _knowledge(code, reality, scoring)
    mk0 = _knowledge(beliefs, reality[:, None, :], scoring).mean(axis=1)
    ck_hist = [ck0]
    mk_hist = [mk0]
    idx_hist = [np.arange(R)]

    final_ck = ck0.copy()
    final_mk = mk0.copy()
    converged = np.zeros(R, dtype=bool)
    n_periods = np.zeros(R, dtype=np.int64)
    out_beliefs = np.empty((R, n, m), dtype=np.int8)
    out_code = np.empty((R, m), dtype=np.int8)
    out_reality = np.empty((R, m), dtype=np.int8)

    active = np.arange(R)  # original indices of the replications in the working arrays
    any_p3 = bool(np.any(p3v > 0))
    any_p4 = bool(np.any(p4v > 0))
    any_p1_zero = bool(np.any(p1m == 0))
    p1_uniform_within = bool(np.all(p1m == p1m[:, :1]))  # one rate per replication
    p1_varies = bool(np.any(p1m != p1m.flat[0]))

    def retire(keep_mask: np.ndarray) -> None:
        """Store final states of replications not in keep_mask and drop them."""
        nonlocal active, beliefs, code, reality, p1m, p2v, p3v, p4v
        gone = ~keep_mask
        gi = active[gone]
        out_beliefs[gi] = beliefs[gone]
        out_code[gi] = code[gone]
        out_reality[gi] = reality[gone]
        if not history:
            final_mk[gi] = _knowledge(beliefs[gone], reality[gone][:, None, :], scoring).mean(axis=1)
        active = active[keep_mask]
        beliefs = beliefs[keep_mask]
        code = code[keep_mask]
        reality = reality[keep_mask]
        p1m = p1m[keep_mask]
        p2v = p2v[keep_mask]
        p3v = p3v[keep_mask]
        p4v = p4v[keep_mask]

    t = 0
    while t < T_max and active.size:
        A = active.size
        # --- turbulence: each dimension of reality flips with probability p4
        if any_p4:
            flip = rng.random((A, m)) < p4v[:, None]
            reality = np.where(flip, -reality, reality)
        # --- turnover: each member is replaced with probability p3
        if any_p3:
            leave = rng.random((A, n)) < p3v[:, None]
            if leave.any():
                fresh = rng.integers(0, 3, size=(A, n, m)).astype(np.int8) - 1
                beliefs = np.where(leave[:, :, None], fresh, beliefs)

        # --- members who may change: code non-zero and belief differs from it
        # (code * (belief - code) < 0 holds exactly when code != 0 and belief != code).
        # The code is repeated for each member: contiguous (A, n, m) operands are much
        # faster than broadcasting (A, 1, m) over n.
        code_rows = np.repeat(code, n, axis=0).reshape(A, n, m)
        eligible = code_rows * (beliefs - code_rows) < 0
        if any_p1_zero:
            eligible &= p1m[:, :, None] > 0
        cells = np.flatnonzero(eligible)  # sorted flat indices into (A, n, m)
        # eligible cells per replication (cells is sorted, so a binary search suffices)
        n_cells = np.diff(np.searchsorted(cells, np.arange(A + 1) * (n * m)))

        if schedule == "synchronous":
            S, sup, source = _superior_stats(beliefs, code, reality, superior, rng)
            prob, sign = _code_change_prob(S, sup, source, code, p2v, k_rule)

        if until_equilibrium:
            # Stop a replication when neither its members nor its code can change.
            cand = np.flatnonzero(n_cells == 0)
            if cand.size:
                code_can = _code_can_change(
                    cand, beliefs, code, reality, p2v, superior, k_rule,
                    prob if (schedule == "synchronous" and superior != "actions") else None,
                )
                done = np.zeros(A, dtype=bool)
                done[cand[~code_can]] = True
                if done.any():
                    gi = active[done]
                    converged[gi] = True
                    n_periods[gi] = t
                    keep = ~done
                    # Finished replications have no eligible cells; the others' flat
                    # indices move down by n * m per finished replication before them.
                    shift = np.cumsum(done) * (n * m)
                    cells = cells - np.repeat(shift, n_cells)
                    n_cells = n_cells[keep]
                    retire(keep)
                    if not active.size:
                        break
                    if schedule == "synchronous":
                        prob, sign = prob[keep], sign[keep]
                    code_rows = code_rows[keep]
                    A = active.size

        # --- socialisation: draw only for eligible cells
        if cells.size:
            if p1_uniform_within:
                thresh = np.repeat(p1m[:, 0], n_cells) if p1_varies else p1m[0, 0]
            else:
                thresh = p1m.reshape(-1)[cells // m]
            hit = rng.random(cells.size) < thresh
            # Apply the hits with whole-array int8 arithmetic (no gather of targets).
            moved = np.zeros(A * n * m, dtype=np.int8)
            moved[cells] = hit.view(np.int8)
            moved = moved.reshape(A, n, m)
            if member_step == "gradual":
                beliefs += moved * code_rows  # -c -> 0, 0 -> c
            else:
                beliefs += moved * (code_rows - beliefs)  # b -> c

        if schedule == "sequential":
            S, sup, source = _superior_stats(beliefs, code, reality, superior, rng)
            prob, sign = _code_change_prob(S, sup, source, code, p2v, k_rule)

        # --- code learning from the superior group's majority view
        learn = rng.random((A, m)) < prob
        if learn.any():
            if code_step == "gradual":
                code = np.where(learn, code + sign, code)  # -s -> 0, 0 -> s
            else:
                code = np.where(learn, sign, code)

        t += 1
        n_periods[active] = t
        ck = _knowledge(code, reality, scoring)
        final_ck[active] = ck
        if history:
            mk = _knowledge(beliefs, reality[:, None, :], scoring).mean(axis=1)
            final_mk[active] = mk
            ck_hist.append(ck)
            mk_hist.append(mk)
            idx_hist.append(active.copy())

    if active.size:
        retire(np.zeros(active.size, dtype=bool))

    if history:
        T = len(ck_hist) - 1
        code_k = np.empty((R, T + 1))
        mem_k = np.empty((R, T + 1))
        code_k[:, 0] = ck_hist[0]
        mem_k[:, 0] = mk_hist[0]
        for j in range(1, T + 1):
            code_k[:, j] = code_k[:, j - 1]
            mem_k[:, j] = mem_k[:, j - 1]
            code_k[idx_hist[j], j] = ck_hist[j]
            mem_k[idx_hist[j], j] = mk_hist[j]
    else:
        code_k = np.column_stack([ck0, final_ck])
        mem_k = np.column_stack([mk0, final_mk])

    return MarchResult(
        code_knowledge=code_k,
        member_knowledge=mem_k,
        converged=converged,
        periods=n_periods,
        beliefs=out_beliefs,
        code=out_code,
        reality=out_reality,
    )


# ----------------------------------------------------------------------------- sweeps


def _as_values(name: str, values) -> list[float]:
    arr = np.atleast_1d(_check_prob_array(name, values))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a scalar or a 1-D sequence of probabilities")
    return [float(v) for v in arr]


def sweep(
    *,
    p1: Iterable[float] | float = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
    p2: Iterable[float] | float = (0.1, 0.5, 0.9),
    p3: Iterable[float] | float = 0.0,
    p4: Iterable[float] | float = 0.0,
    replications: int = 80,
    m: int = 30,
    n: int = 50,
    until_equilibrium: bool = True,
    periods: int = 100,
    max_periods: int = 10_000,
    per_replication: bool = False,
    seed=None,
    **options,
) -> pd.DataFrame:
    """Run :func:`simulate` over a grid of (p1, p2, p3, p4) and summarise each setting.

    All settings are run together, vectorised over settings and replications, in blocks
    of at most ``_MAX_CELLS_PER_BATCH`` belief cells (replications x n x m).

    Parameters
    ----------
    p1, p2, p3, p4 : float or sequence of floats in [0, 1]
        Values to cross; every combination is a setting.
    replications : int, >= 1
        Replications per setting (March used 80).
    m, n : int, >= 1
        Dimensions and members.
    until_equilibrium : bool
        Run to equilibrium (default; needs p3 = p4 = 0) or for ``periods`` periods.
    periods, max_periods : int
        As in :func:`simulate`.
    per_replication : bool
        If True, return one row per replication instead of one per setting.
    seed : None, int or numpy.random.Generator
        Randomness; the same int gives the same table.
    **options
        ``superior``, ``member_step``, ``code_step``, ``k_rule``, ``schedule``,
        ``scoring``: passed to :func:`simulate`.

    Returns
    -------
    pandas.DataFrame
        One row per setting with columns ``p1, p2, p3, p4, replications,
        code_knowledge`` (mean final code knowledge), ``code_knowledge_sd``,
        ``code_knowledge_se``, ``member_knowledge`` (mean final average member
        knowledge), ``mean_periods`` and ``share_converged``. With ``per_replication``:
        columns ``p1, p2, p3, p4, replication, code_knowledge, member_knowledge,
        periods, converged``.

    Raises
    ------
    ValueError
        For any invalid value (see :func:`simulate`) or an unknown option name.
    """
    allowed = {"superior", "member_step", "code_step", "k_rule", "schedule", "scoring"}
    unknown = set(options) - allowed
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    reps = _check_int("replications", replications, 1)
    m = _check_int("m", m, 1)
    n = _check_int("n", n, 1)
    grid = list(itertools.product(_as_values("p1", p1), _as_values("p2", p2), _as_values("p3", p3), _as_values("p4", p4)))
    rng = _make_rng(seed)

    # One row per (setting, replication); run in blocks of at most _MAX_CELLS_PER_BATCH
    # belief cells (blocks of about a million cells make the best use of CPU caches).
    rows = np.repeat(np.asarray(grid, dtype=float), reps, axis=0)  # (len(grid) * reps, 4)
    rep_ids = np.tile(np.arange(reps), len(grid))
    block = max(1, _MAX_CELLS_PER_BATCH // (n * m))
    frames = []
    for start in range(0, rows.shape[0], block):
        P = rows[start : start + block]
        res = simulate(
            m=m,
            n=n,
            p1=P[:, 0:1],
            p2=P[:, 1],
            p3=P[:, 2],
            p4=P[:, 3],
            replications=P.shape[0],
            periods=periods,
            until_equilibrium=until_equilibrium,
            max_periods=max_periods,
            history=False,
            seed=rng,
            **options,
        )
        frames.append(
            pd.DataFrame(
                {
                    "p1": P[:, 0],
                    "p2": P[:, 1],
                    "p3": P[:, 2],
                    "p4": P[:, 3],
                    "replication": rep_ids[start : start + block],
                    "code_knowledge": res.final_code_knowledge,
                    "member_knowledge": res.final_member_knowledge,
                    "periods": res.periods,
                    "converged": res.converged,
                }
            )
        )
    raw = pd.concat(frames, ignore_index=True)
    if per_replication:
        return raw
    keys = ["p1", "p2", "p3", "p4"]
    g = raw.groupby(keys, sort=False)
    table = g.agg(
        replications=("code_knowledge", "size"),
        code_knowledge=("code_knowledge", "mean"),
        code_knowledge_sd=("code_knowledge", "std"),
        member_knowledge=("member_knowledge", "mean"),
        mean_periods=("periods", "mean"),
        share_converged=("converged", "mean"),
    ).reset_index()
    table["code_knowledge_se"] = table["code_knowledge_sd"] / np.sqrt(table["replications"])
    cols = keys + [
        "replications",
        "code_knowledge",
        "code_knowledge_sd",
        "code_knowledge_se",
        "member_knowledge",
        "mean_periods",
        "share_converged",
    ]
    return table[cols]


def figure1_sweep(replications: int = 80, seed=None, **options) -> pd.DataFrame:
    """Equilibrium code knowledge over p1 = 0.1..0.9 and p2 in {0.1, 0.5, 0.9}.

    The design of March's (1991) Figure 1 (m = 30, n = 50, p3 = p4 = 0, 80 replications,
    knowledge at equilibrium). Extra keyword options go to :func:`sweep`.

    Returns
    -------
    pandas.DataFrame
        27 rows; see :func:`sweep` for the columns.

    Raises
    ------
    ValueError
        For invalid arguments (see :func:`sweep`).
    """
    return sweep(
        p1=np.round(np.arange(1, 10) / 10, 1),
        p2=(0.1, 0.5, 0.9),
        replications=replications,
        until_equilibrium=True,
        seed=seed,
        **options,
    )
