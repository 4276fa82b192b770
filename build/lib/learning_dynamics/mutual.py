"""Unilateral and recursive mutual learning between a producer and its customer.

**This is our own teaching model, not a model from the literature.** It turns the
argument of Herrigel, Wittke and Voskamp (2013) into a few lines of dynamics so that
students can see when one-way learning turns into two-way learning. Nothing in it has
been estimated from data; the parameters are illustrative.

Sources it draws on
-------------------
* Herrigel, G., Wittke, V. and Voskamp, U. (2013). The process of Chinese manufacturing
  upgrading: Transitioning from unilateral to recursive mutual learning relations.
  *Global Strategy Journal*, 3, 109-125. DOI 10.1111/j.2042-5805.2012.01046.x.
* Cohen, W. M. and Levinthal, D. A. (1990). Absorptive capacity: A new perspective on
  learning and innovation. *Administrative Science Quarterly*, 35(1), 128-152.
* Winter, S. G. and Szulanski, G. (2001). Replication as strategy. *Organization
  Science*, 12(6), 730-743. DOI 10.1287/orsc.12.6.730.10084.

The model
---------
Two parties, a Chinese producer ``P`` and a multinational (MNC) customer ``C``, hold
capability levels in ``D`` knowledge domains (positive numbers, arbitrary units), for
``S`` parameter sets at once: arrays shaped ``(S, D)``. In each period ``t``:

1. **Learning** flows in each domain from whoever leads to whoever lags, at a rate
   proportional to the gap, the learner's absorptive capacity and the transfer
   fidelity::

       to_P[d] = a_P * f * max(C[d] - P[d], 0)
       to_C[d] = a_C * f * max(P[d] - C[d], 0)

   with ``a_P, a_C, f`` in [0, 1], so the learner closes at most the whole gap and never
   overshoots: learning alone never lets the lagging party overtake.
2. **Innovation**: each party also improves on its own, in every domain, at its own
   growth rates (per domain if given as arrays)::

       P_next = (P + to_P) * (1 + g_P)
       C_next = (C + to_C) * (1 + g_C)

3. **Fidelity** of transfer combines a base level with a corporate production system
   (CPS), a codified routine (template) that raises fidelity::

       f = f_base + cps * (1 - f_base),   cps in [0, 1]

Optionally (``absorptive="prior_knowledge"``) the learner's absorptive capacity is
scaled by its prior knowledge in the domain relative to the leader's,
``a * learner[d] / leader[d]``, following Cohen and Levinthal's (1990) view that
absorptive capacity is largely a function of prior related knowledge.

Learning regimes
----------------
At the start of each period, :func:`classify_periods` labels the relation by who leads:
``"unilateral"`` (the customer leads in every domain where the two differ, so learning
can only flow to the producer: apprenticeship), ``"mutual"`` (each party leads in at
least one domain, so learning can flow both ways), ``"reverse"`` (only the producer
leads) or ``"none"`` (equal everywhere). Because learning never overshoots, the producer
can leave the unilateral regime only by out-innovating the customer in some domain:
the switch happens exactly when the producer first overtakes in some domain, and
:func:`switching_period` returns that period. The new regime is mutual if the customer
still leads elsewhere (the usual case) and "reverse" if the producer overtook everywhere
at once.

How the parameters tie to Herrigel, Wittke and Voskamp (2013)
------------------------------------------------------------
Supported by the article's abstract:

* The unilateral regime is the abstract's first phase: indigenous producers "upgraded
  by apprenticing themselves to their foreign customers".
* The mutual regime is the new phase in which "apprenticeship disappears and Chinese
  and foreign players learn from one another".
* ``cps`` represents the abstract's "core claim" that the new mutual learning "is
  facilitated by the globalization of formal learning systems, such as corporate
  production systems (CPSs)".

Our interpretation (not claims of the article):

* Modelling a CPS as raising *transfer fidelity*, by analogy with the replication of
  templates in Winter and Szulanski (2001).
* ``a_P`` and ``a_C`` as absorptive capacity in the sense of Cohen and Levinthal (1990).
* ``g_P`` above ``g_C`` in some domains as a stand-in for the producer's own upgrading
  in domains close to the increasingly sophisticated Chinese market (the abstract
  mentions that sophistication but not this mechanism).
* Capability as one number per domain, learning proportional to the gap, and a fixed
  set of domains are simplifications chosen for teaching.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "MutualResult",
    "cps_fidelity",
    "simulate_mutual",
    "classify_periods",
    "switching_period",
    "sweep_mutual",
    "REGIMES",
]

#: Labels returned by :func:`classify_periods`.
REGIMES = ("unilateral", "mutual", "reverse", "none")

_ABSORPTIVE_MODES = ("fixed", "prior_knowledge")


@dataclass(frozen=True)
class MutualResult:
    """Output of :func:`simulate_mutual`.

    Attributes
    ----------
    producer, customer : ndarray, shape (S, T + 1, D)
        Capability of the producer and of the customer in each domain; index 0 along the
        time axis is the initial state.
    to_producer, to_customer : ndarray, shape (S, T, D)
        Capability learnt from the partner in each period (before innovation).
    fidelity : ndarray, shape (S, D)
        Transfer fidelity used, ``f_base + cps * (1 - f_base)``.
    """

    producer: np.ndarray
    customer: np.ndarray
    to_producer: np.ndarray
    to_customer: np.ndarray
    fidelity: np.ndarray

    @property
    def periods(self) -> int:
        """Number of simulated periods T."""
        return self.to_producer.shape[1]


def _as_float(name: str, value) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric") from exc
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    if arr.ndim > 2:
        raise ValueError(f"{name} must be a scalar, shape (D,) or shape (S, D) / (S, 1); got ndim={arr.ndim}")
    return arr


def _unit_interval(name: str, value) -> np.ndarray:
    arr = _as_float(name, value)
    if np.any(arr < 0) or np.any(arr > 1):
        raise ValueError(f"{name} must lie in [0, 1]")
    return arr


def cps_fidelity(base_fidelity, cps) -> np.ndarray:
    """Transfer fidelity raised by a corporate production system (our model).

    ``f = base_fidelity + cps * (1 - base_fidelity)``: with no CPS (``cps = 0``) fidelity
    is the base level; a fully effective CPS (``cps = 1``) gives perfect fidelity.
    Interpretation by analogy with template replication (Winter and Szulanski 2001).

    Parameters
    ----------
    base_fidelity, cps : float or array in [0, 1]
        Broadcast against each other.

    Returns
    -------
    ndarray
        Fidelity in [0, 1], broadcast shape of the inputs.

    Raises
    ------
    ValueError
        If an input lies outside [0, 1], is not finite, or the shapes do not broadcast.
    """
    b = _unit_interval("base_fidelity", base_fidelity)
    c = _unit_interval("cps", cps)
    try:
        return b + c * (1.0 - b)
    except ValueError as exc:
        raise ValueError(f"base_fidelity {b.shape} and cps {c.shape} do not broadcast") from exc


def simulate_mutual(
    producer0,
    customer0,
    *,
    periods: int = 60,
    absorptive_producer=0.5,
    absorptive_customer=0.5,
    base_fidelity=0.3,
    cps=0.0,
    growth_producer=0.02,
    growth_customer=0.02,
    absorptive: str = "fixed",
) -> MutualResult:
    """Simulate producer-customer learning across D domains for S parameter sets (our model).

    See the module docstring for the equations. The model is deterministic.

    Parameters
    ----------
    producer0, customer0 : array_like, shape (D,) or (S, D), values > 0
        Initial capability levels (arbitrary units) per domain.
    periods : int, >= 1
        Number of periods T.
    absorptive_producer, absorptive_customer : float or array in [0, 1]
        Absorptive capacities ``a_P`` and ``a_C`` (Cohen and Levinthal 1990).
    base_fidelity : float or array in [0, 1]
        Transfer fidelity without a CPS.
    cps : float or array in [0, 1]
        Strength of the corporate production system; raises fidelity (see
        :func:`cps_fidelity`).
    growth_producer, growth_customer : float or array in [0, 1]
        Own innovation rate per period, ``g_P`` and ``g_C`` (0.02 = 2 % per period).
    absorptive : {"fixed", "prior_knowledge"}
        Whether absorptive capacity is fixed or scaled by the learner's prior knowledge
        relative to the leader's in that domain.

    All array inputs broadcast together with numpy rules to a common shape ``(S, D)``:
    a 1-D array gives one value per *domain*; use shape ``(S, 1)`` for one value per
    parameter set, or ``(S, D)`` for both. With only 1-D and scalar inputs, S = 1.

    Returns
    -------
    MutualResult
        Capability paths shaped ``(S, T + 1, D)`` and learning flows ``(S, T, D)``.

    Raises
    ------
    ValueError
        If capabilities are not positive and finite, a rate lies outside [0, 1],
        ``periods < 1``, ``absorptive`` is unknown, or the shapes do not broadcast.
    """
    if isinstance(periods, bool) or not isinstance(periods, (int, np.integer)) or periods < 1:
        raise ValueError(f"periods must be an integer >= 1, got {periods!r}")
    if absorptive not in _ABSORPTIVE_MODES:
        raise ValueError(f"absorptive must be one of {_ABSORPTIVE_MODES}, got {absorptive!r}")
    P0 = _as_float("producer0", producer0)
    C0 = _as_float("customer0", customer0)
    for name, arr in (("producer0", P0), ("customer0", C0)):
        if arr.ndim == 0:
            raise ValueError(f"{name} must have at least one domain axis, shape (D,) or (S, D)")
        if np.any(arr <= 0):
            raise ValueError(f"{name} must be positive")
    aP = _unit_interval("absorptive_producer", absorptive_producer)
    aC = _unit_interval("absorptive_customer", absorptive_customer)
    gP = _unit_interval("growth_producer", growth_producer)
    gC = _unit_interval("growth_customer", growth_customer)
    f = cps_fidelity(base_fidelity, cps)
    try:
        shape = np.broadcast_shapes(P0.shape, C0.shape, aP.shape, aC.shape, gP.shape, gC.shape, f.shape)
    except ValueError as exc:
        raise ValueError(
            "inputs do not broadcast to a common (S, D) shape: "
            f"producer0 {P0.shape}, customer0 {C0.shape}, absorptive {aP.shape}/{aC.shape}, "
            f"growth {gP.shape}/{gC.shape}, fidelity {f.shape}"
        ) from exc
    if len(shape) == 1:
        shape = (1,) + shape
    S, D = shape
    P0, C0, aP, aC, gP, gC, f = (np.broadcast_to(x, shape).astype(float) for x in (P0, C0, aP, aC, gP, gC, f))

    T = int(periods)
    P = np.empty((S, T + 1, D))
    C = np.empty((S, T + 1, D))
    toP = np.empty((S, T, D))
    toC = np.empty((S, T, D))
    P[:, 0] = P0
    C[:, 0] = C0
    rateP = aP * f
    rateC = aC * f
    for t in range(T):
        p, c = P[:, t], C[:, t]
        gap = c - p
        lagP = np.maximum(gap, 0.0)
        lagC = np.maximum(-gap, 0.0)
        if absorptive == "prior_knowledge":
            flowP = rateP * (p / c) * lagP  # p / c < 1 wherever lagP > 0
            flowC = rateC * (c / p) * lagC
        else:
            flowP = rateP * lagP
            flowC = rateC * lagC
        toP[:, t] = flowP
        toC[:, t] = flowC
        P[:, t + 1] = (p + flowP) * (1.0 + gP)
        C[:, t + 1] = (c + flowC) * (1.0 + gC)
    return MutualResult(producer=P, customer=C, to_producer=toP, to_customer=toC, fidelity=f.copy())


def classify_periods(result: MutualResult) -> np.ndarray:
    """Label each period by the direction in which learning can flow (our model).

    The label of period ``t`` uses the capabilities at its start, ``producer[:, t]`` and
    ``customer[:, t]``: ``"unilateral"`` if the customer leads in some domain and the
    producer in none; ``"mutual"`` if each leads in at least one domain; ``"reverse"``
    if only the producer leads; ``"none"`` if they are equal in every domain. Learning
    flows in a direction exactly when the corresponding party leads somewhere and the
    learner's absorptive capacity and the fidelity are positive.

    Parameters
    ----------
    result : MutualResult

    Returns
    -------
    ndarray of str, shape (S, T)

    Raises
    ------
    ValueError
        If ``result`` is not a :class:`MutualResult`.
    """
    if not isinstance(result, MutualResult):
        raise ValueError("result must be a MutualResult from simulate_mutual")
    P = result.producer[:, :-1]
    C = result.customer[:, :-1]
    prod_leads = (P > C).any(axis=-1)
    cust_leads = (C > P).any(axis=-1)
    labels = np.full(prod_leads.shape, "none", dtype="<U10")
    labels[cust_leads & ~prod_leads] = "unilateral"
    labels[cust_leads & prod_leads] = "mutual"
    labels[prod_leads & ~cust_leads] = "reverse"
    return labels


def switching_period(result: MutualResult) -> np.ndarray:
    """First period in which learning can flow from the producer to the customer (our model).

    This is the end of the apprenticeship phase: the first period ``t`` at whose start the
    producer leads in at least one domain. Usually the relation is then ``"mutual"``; if
    the producer overtakes in every domain at once it is ``"reverse"`` instead (check with
    :func:`classify_periods`).

    Returns
    -------
    ndarray of int, shape (S,)
        Index ``t`` of that period (0 if the producer leads somewhere from the start), or
        -1 where the producer never leads within the horizon.

    Raises
    ------
    ValueError
        If ``result`` is not a :class:`MutualResult`.
    """
    labels = classify_periods(result)
    producer_leads = (labels == "mutual") | (labels == "reverse")
    first = np.argmax(producer_leads, axis=1)
    return np.where(producer_leads.any(axis=1), first, -1)


def sweep_mutual(producer0, customer0, *, periods: int = 60, **grid) -> pd.DataFrame:
    """Cross scalar parameter values and simulate all combinations in one batch.

    Parameters
    ----------
    producer0, customer0 : array_like, shape (D,), values > 0
        Initial capabilities, shared by every combination.
    periods : int, >= 1
        Horizon T.
    **grid
        Any keyword of :func:`simulate_mutual` except the two capability vectors and
        ``periods``, each given a scalar or a 1-D sequence of scalars to cross, e.g.
        ``cps=[0, 0.5, 1], growth_producer=[0.02, 0.04]``. Per-domain arrays cannot be
        swept here; call :func:`simulate_mutual` with ``(S, D)`` arrays instead.
        ``absorptive`` may be given as a single string.

    Returns
    -------
    pandas.DataFrame
        One row per combination: the swept parameters, ``switch_period`` (see
        :func:`switching_period`; -1 if never),
        ``mutual_share`` (fraction of periods labelled mutual), ``producer_final`` and
        ``customer_final`` (mean capability over domains at T), and
        ``producer_leads_final`` (share of domains the producer leads at T).

    Raises
    ------
    ValueError
        For unknown parameter names or invalid values (see :func:`simulate_mutual`).
    """
    allowed = {
        "absorptive_producer",
        "absorptive_customer",
        "base_fidelity",
        "cps",
        "growth_producer",
        "growth_customer",
    }
    mode = grid.pop("absorptive", "fixed")
    unknown = set(grid) - allowed
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)}; allowed: {sorted(allowed)} and 'absorptive'")
    P0 = _as_float("producer0", producer0)
    C0 = _as_float("customer0", customer0)
    if P0.ndim != 1 or C0.ndim != 1:
        raise ValueError("producer0 and customer0 must be 1-D (one value per domain) in sweep_mutual")
    names = sorted(grid)
    values = []
    for name in names:
        v = _as_float(name, grid[name])
        if v.ndim > 1:
            raise ValueError(f"{name} must be a scalar or a 1-D sequence of values")
        values.append(np.atleast_1d(v))
    combos = list(itertools.product(*values)) if names else [()]
    kwargs = {name: np.array([c[i] for c in combos])[:, None] for i, name in enumerate(names)}
    res = simulate_mutual(P0, C0, periods=periods, absorptive=mode, **kwargs)
    labels = classify_periods(res)
    table = pd.DataFrame({name: [c[i] for c in combos] for i, name in enumerate(names)})
    table["switch_period"] = switching_period(res)
    table["mutual_share"] = (labels == "mutual").mean(axis=1)
    table["producer_final"] = res.producer[:, -1].mean(axis=-1)
    table["customer_final"] = res.customer[:, -1].mean(axis=-1)
    table["producer_leads_final"] = (res.producer[:, -1] > res.customer[:, -1]).mean(axis=-1)
    return table
