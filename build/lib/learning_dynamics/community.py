"""Knowledge diffusion in a transnational community of practice (a stylised model).

Three small pieces, all on an undirected buyer-supplier network with a *core* (foreign
customers and experienced suppliers) and a *periphery* (newer indigenous suppliers):

1. :func:`core_periphery_network` draws a random core-periphery network with a seeded
   :class:`numpy.random.Generator`. Nodes ``0 .. n_core-1`` are the core.
2. DeGroot averaging (:func:`trust_matrix`, :func:`degroot`, :func:`consensus_weights`):
   each firm's view of good practice (a number, or a vector of numbers) is replaced
   every round by a trust-weighted average of its own and its neighbours' views,

       b(k+1) = W b(k),     W row-stochastic (W_ij >= 0, sum_j W_ij = 1).

   If ``W`` is irreducible (connected network) and aperiodic (e.g. every firm puts
   some weight on itself), ``W^k`` converges to ``1 pi^T`` where ``pi`` is the unique
   stationary distribution (``pi^T W = pi^T``), so all beliefs converge to the
   consensus ``pi^T b(0)``. Beliefs never leave the convex hull of the initial beliefs.
   Source: M. H. DeGroot (1974), "Reaching a consensus", *Journal of the American
   Statistical Association* 69(345): 118-121.
3. A threshold contagion (:func:`threshold_contagion`): a practice is adopted by a
   firm once the share of its neighbours that have adopted reaches the firm's
   threshold; adoption is never undone. Deterministic given seeds and thresholds.
4. Newcomers moving from peripheral towards full participation
   (:func:`newcomer_trajectory`). Lave and Wenger (1991) describe learning as
   *legitimate peripheral participation*: newcomers take part in a community's
   practice, at first peripherally, and their participation deepens over time. Our
   stylisation, not theirs: a newcomer's tie strength to the core ``w`` grows with
   accumulated participation ``P``,

       w(k) = w_max - (w_max - w0) exp(-lam * P(k)),     P(k+1) = P(k) + w(k),

   and its knowledge ``x`` moves towards the core's practice ``x_core`` as a DeGroot
   update with weight ``w`` on the core: ``x(k+1) = (1 - w(k)) x(k) + w(k) x_core``.
   Participation is proportional to current access, so access and learning reinforce
   each other. Lave and Wenger give no equations; every functional form here is ours.

Sources
-------
DeGroot (1974), JASA 69(345): 118-121 (linear consensus model). J. Lave and E. Wenger
(1991), *Situated Learning: Legitimate Peripheral Participation*, Cambridge University
Press (the concept only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "as_generator",
    "core_periphery_network",
    "is_connected",
    "trust_matrix",
    "degroot",
    "consensus_weights",
    "threshold_contagion",
    "newcomer_trajectory",
]

_ROW_TOL = 1e-9


def as_generator(seed) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` from an int seed or a Generator.

    Parameters
    ----------
    seed : int or numpy.random.Generator
        Non-negative integer seed, or an existing Generator (returned unchanged).

    Raises
    ------
    ValueError
        If ``seed`` is None, negative, a bool, or of another type. (We refuse None so
        that every result in the course is reproducible.)
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be a non-negative int or numpy Generator; got {seed!r}")
    if seed < 0:
        raise ValueError("seed must be >= 0")
    return np.random.default_rng(int(seed))


def _probability(value, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number in [0, 1]; got {value!r}") from exc
    if not np.isfinite(v) or v < 0 or v > 1:
        raise ValueError(f"{name} must be a probability in [0, 1]; got {value!r}")
    return v


def _count(value, name: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def core_periphery_network(
    n_core: int,
    n_periphery: int,
    p_core_core: float = 0.8,
    p_core_periphery: float = 0.2,
    p_periphery_periphery: float = 0.02,
    seed=0,
    attach_periphery: bool = True,
) -> np.ndarray:
    """Random undirected core-periphery network (a stochastic block model with two blocks).

    Each unordered pair of distinct nodes is linked independently with probability
    ``p_core_core`` (both core), ``p_core_periphery`` (one of each) or
    ``p_periphery_periphery`` (both periphery). If ``attach_periphery`` is true and
    ``n_core >= 1``, every periphery node left without a core tie is then linked to
    one core node drawn uniformly (every supplier has at least one customer in the
    core). The result is *not* guaranteed to be connected; check with
    :func:`is_connected`.

    Parameters
    ----------
    n_core : int
        Number of core nodes, ``>= 0``. Nodes ``0 .. n_core-1`` are core.
    n_periphery : int
        Number of periphery nodes, ``>= 0``; ``n_core + n_periphery >= 1``.
    p_core_core, p_core_periphery, p_periphery_periphery : float
        Tie probabilities in ``[0, 1]``.
    seed : int or numpy.random.Generator, default 0
        Seed for reproducibility (see :func:`as_generator`).
    attach_periphery : bool, default True
        Guarantee each periphery node at least one core tie.

    Returns
    -------
    numpy.ndarray of int, shape (n, n), n = n_core + n_periphery
        Symmetric 0/1 adjacency matrix with zero diagonal.

    Raises
    ------
    ValueError
        On non-integer or negative counts, an empty network, probabilities outside
        ``[0, 1]`` or NaN, or a bad seed.

    Source
    ------
    Our construction (standard two-block random graph), used to stylise the
    buyer-supplier communities of practice in Herrigel, Wittke and Voskamp (2013).
    """
    nc = _count(n_core, "n_core", 0)
    npp = _count(n_periphery, "n_periphery", 0)
    n = nc + npp
    if n < 1:
        raise ValueError("the network needs at least one node")
    pcc = _probability(p_core_core, "p_core_core")
    pcp = _probability(p_core_periphery, "p_core_periphery")
    ppp = _probability(p_periphery_periphery, "p_periphery_periphery")
    rng = as_generator(seed)

    is_core = np.arange(n) < nc
    prob = np.where(
        is_core[:, None] & is_core[None, :],
        pcc,
        np.where(is_core[:, None] | is_core[None, :], pcp, ppp),
    )
    draws = rng.random((n, n))
    upper = np.triu(draws < prob, k=1)
    adj = (upper | upper.T).astype(int)
    if attach_periphery and nc >= 1 and npp >= 1:
        no_core_tie = ~adj[nc:, :nc].any(axis=1)
        for j in np.flatnonzero(no_core_tie):
            c = int(rng.integers(nc))
            adj[nc + j, c] = adj[c, nc + j] = 1
    return adj


def _square_matrix(matrix, name: str) -> np.ndarray:
    try:
        m = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric matrix") from exc
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix; got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return m


def is_connected(adjacency) -> bool:
    """True if the undirected graph with this adjacency matrix is connected.

    Parameters
    ----------
    adjacency : array_like, shape (n, n)
        Non-negative weights; an edge exists where ``A_ij > 0`` or ``A_ji > 0``.

    Raises
    ------
    ValueError
        If not a non-empty finite square matrix, or if any weight is negative.
    """
    a = _square_matrix(adjacency, "adjacency")
    if np.any(a < 0):
        raise ValueError("adjacency weights must be >= 0")
    linked = (a > 0) | (a.T > 0)
    n = a.shape[0]
    seen = np.zeros(n, dtype=bool)
    seen[0] = True
    frontier = seen.copy()
    while frontier.any():
        nxt = linked[frontier].any(axis=0) & ~seen
        seen |= nxt
        frontier = nxt
    return bool(seen.all())


def trust_matrix(adjacency, self_weight: float = 0.5) -> np.ndarray:
    """Row-stochastic trust matrix from a (weighted) adjacency matrix.

    ``W = s I + (1 - s) D^{-1} A`` where ``D`` is the diagonal of row sums of ``A``
    (after setting the diagonal of ``A`` to zero) and ``s = self_weight``. A node with
    no ties keeps its own view: its row is the unit vector. With ``s > 0`` the
    chain is aperiodic.

    Parameters
    ----------
    adjacency : array_like, shape (n, n)
        Non-negative tie strengths (0/1 or weights); need not be symmetric.
    self_weight : float, default 0.5
        Weight each firm keeps on its own view, in ``[0, 1]``.

    Returns
    -------
    numpy.ndarray, shape (n, n)
        Non-negative matrix whose rows sum to 1.

    Raises
    ------
    ValueError
        If ``adjacency`` is not a non-empty finite square matrix, has negative entries,
        or ``self_weight`` is outside ``[0, 1]``.

    Source
    ------
    Weighting scheme is ours; the row-stochastic form is DeGroot (1974), JASA 69(345).
    """
    a = _square_matrix(adjacency, "adjacency").copy()
    if np.any(a < 0):
        raise ValueError("adjacency weights must be >= 0")
    s = _probability(self_weight, "self_weight")
    np.fill_diagonal(a, 0.0)
    deg = a.sum(axis=1)
    n = a.shape[0]
    w = np.zeros((n, n))
    has = deg > 0
    w[has] = (1.0 - s) * a[has] / deg[has, None]
    w[np.arange(n), np.arange(n)] += np.where(has, s, 1.0)
    return w


def _check_row_stochastic(w) -> np.ndarray:
    m = _square_matrix(w, "W")
    if np.any(m < 0):
        raise ValueError("W must be non-negative")
    if not np.allclose(m.sum(axis=1), 1.0, atol=_ROW_TOL, rtol=0):
        raise ValueError("W must be row-stochastic (each row sums to 1)")
    return m


def degroot(w, initial_beliefs, steps: int) -> np.ndarray:
    """Iterate DeGroot averaging ``b(k+1) = W b(k)``.

    Parameters
    ----------
    w : array_like, shape (n, n)
        Row-stochastic trust matrix (non-negative, rows sum to 1 within 1e-9).
    initial_beliefs : array_like, shape (n,) or (n, m)
        Initial views; with shape ``(n, m)`` each of the ``m`` columns is averaged
        separately (``m`` topics).
    steps : int
        Number of rounds, ``>= 0``.

    Returns
    -------
    numpy.ndarray, shape (steps + 1, n) or (steps + 1, n, m)
        Beliefs after each round, starting with ``initial_beliefs``.

    Raises
    ------
    ValueError
        If ``w`` is not square, non-negative and row-stochastic; if the beliefs are
        empty, non-finite or have a first dimension other than ``n``; if ``steps`` is
        not a non-negative integer.

    Source
    ------
    DeGroot (1974), "Reaching a consensus", JASA 69(345): 118-121.
    """
    m = _check_row_stochastic(w)
    try:
        b0 = np.asarray(initial_beliefs, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("initial_beliefs must be numeric") from exc
    if b0.ndim not in (1, 2) or b0.shape[0] != m.shape[0]:
        raise ValueError(
            f"initial_beliefs must have shape (n,) or (n, m) with n = {m.shape[0]}; got {b0.shape}"
        )
    if b0.size == 0 or not np.all(np.isfinite(b0)):
        raise ValueError("initial_beliefs must be non-empty and finite")
    k = _count(steps, "steps", 0)
    out = np.empty((k + 1, *b0.shape))
    out[0] = b0
    for i in range(k):
        out[i + 1] = m @ out[i]
    return out


def consensus_weights(w) -> np.ndarray:
    """Stationary distribution ``pi`` of a row-stochastic ``W`` (``pi^T W = pi^T``).

    For an irreducible, aperiodic ``W`` the DeGroot consensus is ``pi @ b(0)``, so
    ``pi_i`` is firm ``i``'s influence on the community's eventual shared view.

    Parameters
    ----------
    w : array_like, shape (n, n)
        Row-stochastic matrix.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Non-negative weights summing to 1.

    Raises
    ------
    ValueError
        If ``w`` is not row-stochastic, or if the eigenvalue 1 is not simple (e.g. a
        disconnected network), in which case no unique consensus exists.

    Source
    ------
    DeGroot (1974), JASA 69(345): 118-121 (consensus as a weighted average of the
    initial opinions).
    """
    m = _check_row_stochastic(w)
    vals, vecs = np.linalg.eig(m.T)
    near_one = np.isclose(vals, 1.0, atol=1e-8)
    if near_one.sum() != 1:
        raise ValueError("eigenvalue 1 is not simple: no unique consensus (is the network connected?)")
    v = np.real(vecs[:, np.flatnonzero(near_one)[0]])
    v = v / v.sum()
    v[np.abs(v) < 1e-15] = 0.0
    if np.any(v < -1e-10):
        raise ValueError("stationary vector has negative entries; W is not irreducible")
    return np.clip(v, 0.0, None) / np.clip(v, 0.0, None).sum()


def threshold_contagion(adjacency, seeds, thresholds, max_steps: int = 100) -> np.ndarray:
    """Deterministic fractional-threshold contagion of a practice on a network.

    At each round every non-adopter ``i`` with at least one neighbour adopts if the
    share of its neighbours (by tie weight) that have adopted is ``>= thresholds[i]``.
    Adopters stay adopters. Updates are synchronous and exactly ``max_steps`` rounds
    are run; once no firm changes, the state simply repeats.

    Parameters
    ----------
    adjacency : array_like, shape (n, n)
        Non-negative tie weights; neighbour shares use row ``i``.
    seeds : array_like of bool, shape (n,), or of int indices
        Initial adopters.
    thresholds : float or array_like, shape (n,)
        Adoption thresholds in ``[0, 1]``.
    max_steps : int, default 100
        Number of rounds, ``>= 0``.

    Returns
    -------
    numpy.ndarray of bool, shape (max_steps + 1, n)
        Adoption state after each round.

    Raises
    ------
    ValueError
        On a bad matrix, negative weights, seeds of wrong shape or out-of-range
        indices, thresholds outside ``[0, 1]`` or NaN, or a negative ``max_steps``.

    Source
    ------
    A standard threshold contagion rule, included as a contrast to DeGroot averaging;
    parameterisation ours.
    """
    a = _square_matrix(adjacency, "adjacency").copy()
    if np.any(a < 0):
        raise ValueError("adjacency weights must be >= 0")
    np.fill_diagonal(a, 0.0)
    n = a.shape[0]
    s = np.asarray(seeds)
    if s.dtype == bool:
        if s.shape != (n,):
            raise ValueError(f"boolean seeds must have shape ({n},); got {s.shape}")
        state = s.copy()
    else:
        try:
            idx = np.asarray(s, dtype=int).ravel()
        except (TypeError, ValueError) as exc:
            raise ValueError("seeds must be a boolean mask or integer indices") from exc
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise ValueError(f"seed indices must lie in [0, {n - 1}]")
        state = np.zeros(n, dtype=bool)
        state[idx] = True
    try:
        th = np.broadcast_to(np.asarray(thresholds, dtype=float), (n,)).copy()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"thresholds must be a number or shape ({n},)") from exc
    if not np.all(np.isfinite(th)) or np.any((th < 0) | (th > 1)):
        raise ValueError("thresholds must lie in [0, 1]")
    k = _count(max_steps, "max_steps", 0)
    deg = a.sum(axis=1)
    out = np.empty((k + 1, n), dtype=bool)
    out[0] = state
    for step in range(k):
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(deg > 0, (a @ state) / np.where(deg > 0, deg, 1.0), 0.0)
        new = state | ((deg > 0) & (share >= th))
        out[step + 1] = new
        state = new
    return out


def newcomer_trajectory(
    steps: int,
    initial_tie: float = 0.05,
    max_tie: float = 0.5,
    participation_sensitivity: float = 0.5,
    initial_knowledge: float = 0.0,
    core_knowledge: float = 1.0,
) -> pd.DataFrame:
    """Stylised legitimate peripheral participation: a newcomer's path towards the core.

    Recursion (module docstring, part 4), for ``k = 0 .. steps-1``::

        w(k)   = w_max - (w_max - w0) * exp(-lam * P(k)),   P(0) = 0
        x(k+1) = (1 - w(k)) x(k) + w(k) x_core
        P(k+1) = P(k) + w(k)

    Parameters
    ----------
    steps : int
        Number of periods, ``>= 0``.
    initial_tie : float, default 0.05
        ``w0``: tie strength to the core on arrival, in ``[0, 1]``.
    max_tie : float, default 0.5
        ``w_max``: tie strength of a full participant, in ``[initial_tie, 1]``.
    participation_sensitivity : float, default 0.5
        ``lam >= 0``: how fast accumulated participation deepens the tie (per unit of
        participation). ``0`` freezes the newcomer at the periphery.
    initial_knowledge : float, default 0.0
        ``x(0)``, the newcomer's initial practice index.
    core_knowledge : float, default 1.0
        ``x_core``, the core's (fixed) practice index.

    Returns
    -------
    pandas.DataFrame, ``steps + 1`` rows
        Columns ``period``, ``tie_strength`` (w), ``participation`` (P),
        ``knowledge`` (x) and ``knowledge_gap`` (``|x_core - x|``).

    Raises
    ------
    ValueError
        If ``steps`` is not a non-negative int; ties outside ``[0, 1]`` or
        ``max_tie < initial_tie``; negative or NaN ``participation_sensitivity``;
        non-finite knowledge levels.

    Source
    ------
    Our stylisation of Lave and Wenger (1991), *Situated Learning: Legitimate
    Peripheral Participation* (concept only), combined with a DeGroot (1974) update.
    """
    k = _count(steps, "steps", 0)
    w0 = _probability(initial_tie, "initial_tie")
    wmax = _probability(max_tie, "max_tie")
    if wmax < w0:
        raise ValueError("max_tie must be >= initial_tie")
    try:
        lam = float(participation_sensitivity)
        x0 = float(initial_knowledge)
        xc = float(core_knowledge)
    except (TypeError, ValueError) as exc:
        raise ValueError("participation_sensitivity and knowledge levels must be numbers") from exc
    if not np.isfinite(lam) or lam < 0:
        raise ValueError("participation_sensitivity must be a finite number >= 0")
    if not (np.isfinite(x0) and np.isfinite(xc)):
        raise ValueError("knowledge levels must be finite")

    tie = np.empty(k + 1)
    part = np.empty(k + 1)
    know = np.empty(k + 1)
    part[0], know[0] = 0.0, x0
    for i in range(k + 1):
        tie[i] = wmax - (wmax - w0) * np.exp(-lam * part[i])
        if i < k:
            know[i + 1] = (1.0 - tie[i]) * know[i] + tie[i] * xc
            part[i + 1] = part[i] + tie[i]
    return pd.DataFrame(
        {
            "period": np.arange(k + 1),
            "tie_strength": tie,
            "participation": part,
            "knowledge": know,
            "knowledge_gap": np.abs(xc - know),
        }
    )
