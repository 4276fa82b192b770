# Our own model code (the course authors'), not a student's: an alternative correct solution of ps2.
# It differs from the source solutions only where the problem set's text leaves freedom: Python
# floats for single numbers, r* written as 1 - phi / (phi + g) (other rounding), math.inf, times
# accumulated step by step in the simulation, checks in another order. test_assignments.py grades
# it with the hidden tests through the instructor pipeline and asserts full autograded marks.

# %% steady_state
import math


def _out(x):
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


def diffusion_rate(absorptive_capacity, exposure):
    a = np.asarray(absorptive_capacity, dtype=float)
    e = np.asarray(exposure, dtype=float)
    if (e < 0).any() or (e > 1).any():
        raise ValueError("exposure must lie in [0, 1]")
    if (a < 0).any():
        raise ValueError("absorptive capacity must be non-negative")
    return _out(a * e)


def steady_state_gap(phi, g):
    phi, g = np.broadcast_arrays(np.asarray(phi, dtype=float), np.asarray(g, dtype=float))
    if (phi < 0).any() or (g < 0).any() or ((phi == 0) & (g == 0)).any():
        raise ValueError("need phi, g >= 0, not both 0")
    return _out(1.0 - phi / (phi + g))

# %% relative_gap
def relative_gap(t, initial_gap, phi, g):
    if initial_gap > 1:
        raise ValueError("initial_gap cannot exceed 1")
    times = np.asarray(t, dtype=float)
    if (times < 0).any():
        raise ValueError("negative time")
    r_star = steady_state_gap(phi, g)
    return _out(r_star + (initial_gap - r_star) * np.exp(-(phi + g) * times))

# %% time_to_halve
def time_to_halve_gap(initial_gap, phi, g):
    r_star = steady_state_gap(phi, g)
    if initial_gap <= 0 or initial_gap > 1:
        raise ValueError("initial_gap must lie in (0, 1]")
    target = initial_gap / 2 - r_star
    if target <= 0:
        return math.inf
    return math.log((initial_gap - r_star) / target) / (phi + g)

# %% simulate
def simulate_catch_up(follower_initial, leader_initial, phi, g, t_max, dt=0.01):
    checks = [follower_initial >= 0, leader_initial > 0, phi >= 0, g >= 0, t_max > 0, dt > 0,
              dt <= t_max, phi * dt <= 1]
    if not all(checks):
        raise ValueError("invalid input to simulate_catch_up")
    n_steps = round(t_max / dt)
    rows = []
    t, leader, follower = 0.0, float(leader_initial), float(follower_initial)
    for k in range(n_steps + 1):
        rows.append((t, leader, follower, (leader - follower) / leader))
        follower, leader = follower + phi * dt * (leader - follower), leader * (1 + g * dt)
        t += dt
    return pd.DataFrame(rows, columns=["t", "leader", "follower", "gap"])

# %% sweep
def absorptive_capacity_sweep(capacities, exposure, g, initial_gap, horizon):
    table = pd.DataFrame({"absorptive_capacity": np.asarray(capacities, dtype=float)})
    table["phi"] = [diffusion_rate(a, exposure) for a in table["absorptive_capacity"]]
    table["steady_state_gap"] = [steady_state_gap(p, g) for p in table["phi"]]
    table["gap_at_horizon"] = [relative_gap(horizon, initial_gap, p, g) for p in table["phi"]]
    table["years_to_halve_gap"] = [time_to_halve_gap(initial_gap, p, g) for p in table["phi"]]
    return table
