"""Catch-up under unilateral learning: a follower closing the gap to a moving frontier.

Model
-----
A leader's capability frontier grows exponentially,

    A_l(t) = A_l0 * exp(g t),                     g >= 0 (per unit time),

and a follower absorbs part of the gap each period (Nelson-Phelps style diffusion),

    dA_f/dt = phi * (A_l(t) - A_f(t)),            phi >= 0 (per unit time).

We read the diffusion rate as ``phi = absorptive_capacity * exposure``: how well the
follower can recognise and use outside knowledge (Cohen and Levinthal's *absorptive
capacity*) times how much of the leader's practice it is exposed to (for example the
share of its output made to a foreign customer's specification). That product form is
our stylisation, not an equation from either paper. Learning is *unilateral*: the
follower learns from the leader, the leader learns nothing from the follower (``g`` does
not depend on ``A_f``).

Closed form (derived here; check by differentiating). With ``K = phi/(phi+g)``,

    A_f(t) = K A_l0 e^{g t} + (A_f0 - K A_l0) e^{-phi t}.

Relative gap ``r(t) = (A_l - A_f)/A_l``. Writing ``q = A_f/A_l`` gives
``dq/dt = phi - (phi+g) q``, hence

    r(t) = r* + (r0 - r*) e^{-(phi+g) t},      r* = g/(g+phi),   r0 = 1 - A_f0/A_l0.

So the relative gap converges to the steady state ``r* = g/(g+phi)``: with a moving
frontier (``g > 0``) catch-up is never complete; the follower settles at a constant
proportional distance that shrinks as absorptive capacity or exposure rises. The
deviation from steady state halves every ``ln 2/(phi+g)`` time units
(:func:`half_life`). The time for the relative gap itself to halve from ``r0`` to
``r0/2`` is ``ln((r0-r*)/(r0/2-r*))/(phi+g)`` if ``r0/2 > r*`` and infinite otherwise
(:func:`time_to_halve_gap`); with a static leader (``g = 0``) it equals ``ln 2/phi``.

Discrete time. :func:`simulate_catch_up` iterates

    A_l[k+1] = A_l[k] (1 + g dt),
    A_f[k+1] = A_f[k] + phi dt (A_l[k] - A_f[k]),

which converges to the continuous solution as ``dt -> 0`` and, for any ``dt`` with
``phi dt <= 1``, has exactly the same steady-state relative gap ``g/(g+phi)`` (set
``q[k+1] = q[k]`` in ``q[k+1] = (q[k] + phi dt (1 - q[k]))/(1 + g dt)``).

Sources
-------
R. R. Nelson and E. S. Phelps (1966), "Investment in humans, technological diffusion,
and economic growth", *American Economic Review* 56(1/2): 69-75 (diffusion of a moving
theoretical frontier into practice at a rate that rises with education; we keep the
structure, not their notation or their dependence on education).
W. M. Cohen and D. A. Levinthal (1990), "Absorptive capacity: a new perspective on
learning and innovation", *Administrative Science Quarterly* 35(1): 128-152 (the
concept only; they give no such equation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learning_dynamics._validation import finite_array

__all__ = [
    "CatchUpSimulation",
    "diffusion_rate",
    "leader_frontier",
    "follower_capability",
    "relative_gap",
    "steady_state_gap",
    "half_life",
    "time_to_halve_gap",
    "simulate_catch_up",
]


_arr = finite_array  # shared check: learning_dynamics._validation


def _nonneg(values, name: str) -> np.ndarray:
    arr = _arr(values, name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0")
    return arr


def _positive(values, name: str) -> np.ndarray:
    arr = _arr(values, name)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0")
    return arr


def _out(result: np.ndarray, *inputs) -> float | np.ndarray:
    """Float for all-scalar inputs, array otherwise."""
    if all(np.ndim(v) == 0 for v in inputs):
        return float(result)
    return result


def _broadcast(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    try:
        return np.broadcast_arrays(*arrays)
    except ValueError as exc:
        raise ValueError(f"parameter shapes do not broadcast: {exc}") from exc


def diffusion_rate(absorptive_capacity, exposure) -> float | np.ndarray:
    """Diffusion rate ``phi = absorptive_capacity * exposure`` (our stylisation).

    Parameters
    ----------
    absorptive_capacity : float or array_like
        Rate (per unit time, ``>= 0``) at which the follower could close the gap if
        fully exposed to the leader's practice; a stand-in for Cohen and Levinthal's
        (1990) absorptive capacity.
    exposure : float or array_like
        Share of the leader's practice the follower is exposed to, dimensionless, in
        ``[0, 1]`` (e.g. share of output made to a foreign customer's specification).

    Returns
    -------
    float or numpy.ndarray
        ``phi`` per unit time, broadcast shape of the inputs; float for scalar inputs.

    Raises
    ------
    ValueError
        If an input is empty, non-numeric or not finite; if ``absorptive_capacity < 0``;
        if ``exposure`` is outside ``[0, 1]``; or if the shapes do not broadcast.

    Source
    ------
    Product form is ours; concept from Cohen and Levinthal (1990), ASQ 35(1): 128-152.
    """
    a = _nonneg(absorptive_capacity, "absorptive_capacity")
    e = _arr(exposure, "exposure")
    if np.any((e < 0) | (e > 1)):
        raise ValueError("exposure must lie in [0, 1]")
    a, e = _broadcast(a, e)
    return _out(a * e, absorptive_capacity, exposure)


def leader_frontier(t, leader_initial, g) -> float | np.ndarray:
    """Leader's frontier ``A_l(t) = A_l0 exp(g t)``.

    Parameters
    ----------
    t : float or array_like
        Time(s), ``>= 0``, in the unit in which ``g`` is a rate (e.g. years).
    leader_initial : float or array_like
        ``A_l0 > 0`` (capability index, arbitrary unit).
    g : float or array_like
        Frontier growth rate per unit time, ``>= 0``.

    Returns
    -------
    float or numpy.ndarray
        Broadcast shape of the inputs; float if all inputs are scalars.

    Raises
    ------
    ValueError
        On empty/NaN/non-numeric input, ``t < 0``, ``A_l0 <= 0``, ``g < 0`` or shapes
        that do not broadcast.

    Source
    ------
    Exponential frontier as in Nelson and Phelps (1966), AER 56(1/2): 69-75.
    """
    tt = _nonneg(t, "t")
    al0 = _positive(leader_initial, "leader_initial")
    gg = _nonneg(g, "g")
    tt, al0, gg = _broadcast(tt, al0, gg)
    return _out(al0 * np.exp(gg * tt), t, leader_initial, g)


def follower_capability(t, follower_initial, leader_initial, phi, g) -> float | np.ndarray:
    """Closed-form follower capability ``A_f(t)`` for ``dA_f/dt = phi (A_l - A_f)``.

    ``A_f(t) = K A_l0 e^{g t} + (A_f0 - K A_l0) e^{-phi t}`` with ``K = phi/(phi+g)``;
    when ``phi = g = 0`` nothing moves and ``A_f(t) = A_f0``.

    Parameters
    ----------
    t : float or array_like
        Time(s), ``>= 0``.
    follower_initial : float or array_like
        ``A_f0 >= 0`` (same unit as ``leader_initial``). ``A_f0 > A_l0`` is allowed
        (a follower ahead of the leader falls back towards the frontier path).
    leader_initial : float or array_like
        ``A_l0 > 0``.
    phi : float or array_like
        Diffusion rate per unit time, ``>= 0``.
    g : float or array_like
        Frontier growth rate per unit time, ``>= 0``.

    Returns
    -------
    float or numpy.ndarray
        Broadcast shape of all inputs; float if all are scalars.

    Raises
    ------
    ValueError
        On empty/NaN/non-numeric input, negative ``t``, ``A_f0``, ``phi`` or ``g``,
        ``A_l0 <= 0``, or shapes that do not broadcast.

    Source
    ------
    Solution of the linear ODE above (derived in the module docstring); model after
    Nelson and Phelps (1966), AER 56(1/2): 69-75.
    """
    tt = _nonneg(t, "t")
    af0 = _nonneg(follower_initial, "follower_initial")
    al0 = _positive(leader_initial, "leader_initial")
    ph = _nonneg(phi, "phi")
    gg = _nonneg(g, "g")
    tt, af0, al0, ph, gg = _broadcast(tt, af0, al0, ph, gg)
    denom = ph + gg
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(denom > 0, ph / np.where(denom > 0, denom, 1.0), 0.0)
    result = k * al0 * np.exp(gg * tt) + (af0 - k * al0) * np.exp(-ph * tt)
    return _out(result, t, follower_initial, leader_initial, phi, g)


def steady_state_gap(phi, g) -> float | np.ndarray:
    """Steady-state relative gap ``r* = g/(g + phi)``.

    Parameters
    ----------
    phi : float or array_like
        Diffusion rate per unit time, ``>= 0``.
    g : float or array_like
        Frontier growth rate per unit time, ``>= 0``.

    Returns
    -------
    float or numpy.ndarray
        ``r*`` in ``[0, 1]``. ``g = 0, phi > 0`` gives 0 (full catch-up);
        ``phi = 0, g > 0`` gives 1 (the follower's share of the frontier vanishes).

    Raises
    ------
    ValueError
        On bad input, or if ``phi = g = 0`` somewhere (then the gap never moves and no
        unique steady state exists).

    Source
    ------
    Derived in the module docstring from ``dq/dt = phi - (phi+g) q``, ``q = A_f/A_l``;
    the same ratio ``phi/(phi+g)`` appears in textbook treatments of Nelson and Phelps
    (1966).
    """
    ph = _nonneg(phi, "phi")
    gg = _nonneg(g, "g")
    ph, gg = _broadcast(ph, gg)
    if np.any(ph + gg == 0):
        raise ValueError("steady state undefined when phi = g = 0 (the gap never changes)")
    return _out(gg / (gg + ph), phi, g)


def relative_gap(t, initial_gap, phi, g) -> float | np.ndarray:
    """Closed-form relative gap ``r(t) = r* + (r0 - r*) exp(-(phi+g) t)``.

    Parameters
    ----------
    t : float or array_like
        Time(s), ``>= 0``.
    initial_gap : float or array_like
        ``r0 = (A_l0 - A_f0)/A_l0``, dimensionless, ``<= 1`` (``r0 < 0`` means the
        follower starts ahead).
    phi, g : float or array_like
        Diffusion rate and frontier growth rate per unit time, ``>= 0``, not both 0.

    Returns
    -------
    float or numpy.ndarray
        Relative gap at ``t``; broadcast shape of the inputs.

    Raises
    ------
    ValueError
        On bad input, ``initial_gap > 1``, or ``phi = g = 0``.

    Source
    ------
    Derived in the module docstring.
    """
    tt = _nonneg(t, "t")
    r0 = _arr(initial_gap, "initial_gap")
    if np.any(r0 > 1):
        raise ValueError("initial_gap = 1 - A_f0/A_l0 cannot exceed 1")
    rstar = np.asarray(steady_state_gap(phi, g))
    ph = _nonneg(phi, "phi")
    gg = _nonneg(g, "g")
    tt, r0, rstar, ph, gg = _broadcast(tt, r0, rstar, ph, gg)
    result = rstar + (r0 - rstar) * np.exp(-(ph + gg) * tt)
    return _out(result, t, initial_gap, phi, g)


def half_life(phi, g) -> float | np.ndarray:
    """Time for the deviation of the relative gap from its steady state to halve.

    ``ln 2 / (phi + g)``, in the time unit of the rates.

    Parameters
    ----------
    phi, g : float or array_like
        Non-negative rates per unit time, not both 0.

    Returns
    -------
    float or numpy.ndarray

    Raises
    ------
    ValueError
        On bad input or ``phi = g = 0``.

    Source
    ------
    Derived in the module docstring.
    """
    ph = _nonneg(phi, "phi")
    gg = _nonneg(g, "g")
    ph, gg = _broadcast(ph, gg)
    if np.any(ph + gg == 0):
        raise ValueError("half-life undefined when phi = g = 0")
    return _out(np.log(2.0) / (ph + gg), phi, g)


def time_to_halve_gap(initial_gap, phi, g) -> float | np.ndarray:
    """Time until the relative gap falls from ``r0`` to ``r0/2``.

    ``T = ln((r0 - r*)/(r0/2 - r*)) / (phi + g)`` if ``r0/2 > r*``, else ``inf``
    (with a moving frontier a follower that starts too close to the steady-state gap
    never halves its gap). For ``g = 0`` this is ``ln 2 / phi``.

    Parameters
    ----------
    initial_gap : float or array_like
        ``r0`` in ``(0, 1]``.
    phi, g : float or array_like
        Non-negative rates per unit time, not both 0.

    Returns
    -------
    float or numpy.ndarray
        Time in the unit of the rates; ``numpy.inf`` where the halved gap is below the
        steady state.

    Raises
    ------
    ValueError
        On bad input, ``r0`` outside ``(0, 1]``, or ``phi = g = 0``.

    Source
    ------
    Derived in the module docstring.
    """
    r0 = _arr(initial_gap, "initial_gap")
    if np.any((r0 <= 0) | (r0 > 1)):
        raise ValueError("initial_gap must lie in (0, 1]")
    rstar = np.asarray(steady_state_gap(phi, g))
    ph = _nonneg(phi, "phi")
    gg = _nonneg(g, "g")
    r0, rstar, ph, gg = _broadcast(r0, rstar, ph, gg)
    reachable = r0 / 2 > rstar
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reachable, (r0 - rstar) / np.where(reachable, r0 / 2 - rstar, 1.0), 1.0)
        result = np.where(reachable, np.log(ratio) / (ph + gg), np.inf)
    return _out(result, initial_gap, phi, g)


@dataclass(frozen=True)
class CatchUpSimulation:
    """Output of :func:`simulate_catch_up`.

    Attributes
    ----------
    t : numpy.ndarray, shape (n_steps + 1,)
        Times ``0, dt, ..., n_steps*dt``.
    leader : numpy.ndarray, shape (n_steps + 1, *S)
        Leader frontier; ``S`` is the broadcast shape of the parameters.
    follower : numpy.ndarray, shape (n_steps + 1, *S)
        Follower capability.

    The property ``gap`` gives ``(leader - follower)/leader`` with the same shape.
    """

    t: np.ndarray
    leader: np.ndarray
    follower: np.ndarray

    @property
    def gap(self) -> np.ndarray:
        return (self.leader - self.follower) / self.leader


def simulate_catch_up(
    follower_initial, leader_initial, phi, g, t_max: float, dt: float = 0.01
) -> CatchUpSimulation:
    """Discrete-time catch-up simulation, vectorised over parameter arrays.

    Iterates ``A_l[k+1] = A_l[k](1 + g dt)`` and
    ``A_f[k+1] = A_f[k] + phi dt (A_l[k] - A_f[k])`` for ``n_steps = round(t_max/dt)``
    steps. All four parameters broadcast together, so a grid of ``phi`` and ``g``
    values (e.g. ``phi[:, None]`` and ``g[None, :]``) is simulated in one call.

    Parameters
    ----------
    follower_initial : float or array_like
        ``A_f0 >= 0``.
    leader_initial : float or array_like
        ``A_l0 > 0``.
    phi : float or array_like
        Diffusion rate per unit time, ``>= 0`` with ``phi * dt <= 1`` (otherwise the
        follower would overshoot the frontier within one step).
    g : float or array_like
        Frontier growth rate per unit time, ``>= 0``.
    t_max : float
        Horizon, ``> 0``, same time unit as the rates.
    dt : float, default 0.01
        Step length, ``0 < dt <= t_max``. Error against the continuous solution is
        of order ``dt``.

    Returns
    -------
    CatchUpSimulation
        ``t`` of shape ``(n_steps+1,)``; ``leader`` and ``follower`` of shape
        ``(n_steps+1, *S)``, ``S`` the broadcast parameter shape.

    Raises
    ------
    ValueError
        On empty/NaN/non-numeric input; negative ``A_f0``, ``phi`` or ``g``;
        ``A_l0 <= 0``; ``t_max <= 0``; ``dt <= 0`` or ``dt > t_max``;
        ``phi * dt > 1``; shapes that do not broadcast; or more than 10**6 steps.

    Source
    ------
    Euler-type discretisation of the Nelson and Phelps (1966) style diffusion equation;
    the steady-state relative gap ``g/(g+phi)`` is exact for this map (module docstring).
    """
    af0 = _nonneg(follower_initial, "follower_initial")
    al0 = _positive(leader_initial, "leader_initial")
    ph = _nonneg(phi, "phi")
    gg = _nonneg(g, "g")
    t_max_a = _positive(t_max, "t_max")
    dt_a = _positive(dt, "dt")
    if t_max_a.ndim or dt_a.ndim:
        raise ValueError("t_max and dt must be scalars")
    t_max_f, dt_f = float(t_max_a), float(dt_a)
    if dt_f > t_max_f:
        raise ValueError("dt must not exceed t_max")
    if np.any(ph * dt_f > 1):
        raise ValueError("phi * dt must be <= 1; reduce dt")
    n_steps = int(round(t_max_f / dt_f))
    if n_steps > 1_000_000:
        raise ValueError("too many steps (> 10**6); increase dt or reduce t_max")
    af0, al0, ph, gg = _broadcast(af0, al0, ph, gg)
    shape = af0.shape
    leader = np.empty((n_steps + 1, *shape))
    follower = np.empty((n_steps + 1, *shape))
    leader[0], follower[0] = al0, af0
    growth = 1.0 + gg * dt_f
    absorb = ph * dt_f
    for k in range(n_steps):
        follower[k + 1] = follower[k] + absorb * (leader[k] - follower[k])
        leader[k + 1] = leader[k] * growth
    t = np.arange(n_steps + 1) * dt_f
    return CatchUpSimulation(t=t, leader=leader, follower=follower)
