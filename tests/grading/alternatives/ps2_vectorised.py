# Our own model code (the course authors'), not a student's: an alternative correct solution of ps2.
# It differs from the source solutions only where the problem set's text leaves freedom: 0-d numpy
# arrays for single numbers, the halving condition written as r0 > 2 r*, the simulation written
# with numpy arrays updated in place, the sweep computed on whole arrays. test_ps2_assignment.py
# grades it with the hidden tests through the instructor pipeline and asserts full autograded marks.

# %% steady_state
def diffusion_rate(absorptive_capacity, exposure):
    a, e = np.asarray(absorptive_capacity) + 0.0, np.asarray(exposure) + 0.0
    if np.any(a < 0) or np.any((e < 0) | (e > 1)):
        raise ValueError("bad absorptive capacity or exposure")
    return np.multiply(a, e)


def steady_state_gap(phi, g):
    phi, g = np.asarray(phi) + 0.0, np.asarray(g) + 0.0
    if np.any(phi < 0) or np.any(g < 0) or np.any(phi + g <= 0):
        raise ValueError("bad rates")
    return np.divide(g, g + phi)

# %% relative_gap
def relative_gap(t, initial_gap, phi, g):
    t = np.asarray(t) + 0.0
    if np.any(t < 0) or initial_gap > 1:
        raise ValueError("bad time or initial gap")
    r_star = steady_state_gap(phi, g)
    decay = np.exp(-(np.asarray(phi) + np.asarray(g)) * t)
    return initial_gap * decay + r_star * (1 - decay)

# %% time_to_halve
def time_to_halve_gap(initial_gap, phi, g):
    if not 0 < initial_gap <= 1:
        raise ValueError("initial_gap must lie in (0, 1]")
    r_star = float(steady_state_gap(phi, g))
    if not initial_gap > 2 * r_star:
        return np.inf
    return np.float64(np.log((initial_gap - r_star) / (initial_gap / 2 - r_star)) / (phi + g))

# %% simulate
def simulate_catch_up(follower_initial, leader_initial, phi, g, t_max, dt=0.01):
    if follower_initial < 0 or leader_initial <= 0 or phi < 0 or g < 0:
        raise ValueError("bad levels or rates")
    if t_max <= 0 or dt <= 0 or dt > t_max or phi * dt > 1:
        raise ValueError("bad horizon or step")
    n_steps = int(round(t_max / dt))
    state = np.zeros((n_steps + 1, 2))
    state[0] = leader_initial, follower_initial
    for k in range(n_steps):
        lead, follow = state[k]
        state[k + 1] = lead * (1 + g * dt), follow + phi * dt * (lead - follow)
    out = pd.DataFrame(state, columns=["leader", "follower"])
    out.insert(0, "t", dt * np.arange(n_steps + 1))
    out["gap"] = 1 - out["follower"] / out["leader"]
    return out

# %% sweep
def absorptive_capacity_sweep(capacities, exposure, g, initial_gap, horizon):
    caps = np.array(capacities, dtype=float)
    phi = diffusion_rate(caps, exposure)
    return pd.DataFrame({
        "absorptive_capacity": caps,
        "phi": phi,
        "steady_state_gap": steady_state_gap(phi, g),
        "gap_at_horizon": [float(relative_gap(horizon, initial_gap, p, g)) for p in phi],
        "years_to_halve_gap": [time_to_halve_gap(initial_gap, p, g) for p in phi],
    })
