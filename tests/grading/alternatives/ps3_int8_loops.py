# Our own model code (the course authors'), not a student's: an alternative correct solution of ps3.
# It differs from the source solutions only where the problem set's text leaves freedom: int8
# arrays, numpy.float64 knowledge, explicit loops over cells, no call to rng.random when there is
# nothing to draw (no zero belief, no eligible cell), counts given as numpy integers accepted.
# test_assignments.py grades it with the hidden tests through the instructor pipeline and
# asserts full autograded marks.

# %% initialise
def _is_count(value, minimum):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) \
        and value >= minimum


def initialise(m, n, rng):
    if not (_is_count(m, 1) and _is_count(n, 1)):
        raise ValueError("m and n must be integers >= 1")
    u = rng.random(m)
    reality = np.ones(m, dtype=np.int8)
    reality[u >= 0.5] = -1
    beliefs = (rng.integers(0, 3, size=(n, m)) - 1).astype(np.int8)
    return reality, beliefs, np.zeros(m, dtype=np.int8)

# %% knowledge
def knowledge(x, reality):
    x, reality = np.asarray(x), np.asarray(reality)
    if x.shape[-1] != reality.shape[0]:
        raise ValueError("dimensions differ")
    matches = np.sum(x == reality, axis=-1)
    return matches / np.float64(reality.shape[0])

# %% actions_superior
def take_actions(beliefs, rng):
    beliefs = np.asarray(beliefs)
    actions = beliefs.astype(np.int8).copy()
    rows, cols = np.nonzero(beliefs == 0)  # row-major order
    if rows.size:
        u = rng.random(rows.size)
        for r, c, draw in zip(rows, cols, u):
            actions[r, c] = 1 if draw < 0.5 else -1
    return actions


def superior_group(actions, code, reality):
    scores = np.einsum("ij,j->i", np.asarray(actions, dtype=np.int64), np.asarray(reality))
    return scores > int(np.dot(np.asarray(code, dtype=np.int64), np.asarray(reality)))

# %% socialise
def socialise(beliefs, code, p1, rng):
    if p1 < 0 or p1 > 1:
        raise ValueError("p1 must lie in [0, 1]")
    beliefs = np.asarray(beliefs)
    new = beliefs.astype(np.int8).copy()
    if p1 == 0:
        return new
    code = np.asarray(code)
    cells = [(i, d) for i in range(beliefs.shape[0]) for d in range(beliefs.shape[1])
             if code[d] != 0 and beliefs[i, d] != code[d]]
    if not cells:
        return new
    u = rng.random(len(cells))
    for (i, d), draw in zip(cells, u):
        if draw < p1:
            new[i, d] += code[d]
    return new

# %% learn_code
def learn_code(code, actions, superior, p2, rng):
    if p2 < 0 or p2 > 1:
        raise ValueError("p2 must lie in [0, 1]")
    code = np.asarray(code)
    actions = np.asarray(actions, dtype=np.int64)
    votes = actions[np.asarray(superior, dtype=bool)].sum(axis=0) if np.any(superior) \
        else np.zeros(code.shape[0], dtype=np.int64)
    u = rng.random(code.shape[0])
    new = code.astype(np.int8).copy()
    for d in range(code.shape[0]):
        view = int(np.sign(votes[d]))
        if view != 0 and view != code[d] and u[d] < 1 - (1 - p2) ** abs(int(votes[d])):
            new[d] = view
    return new

# %% simulate
def simulate(m, n, p1, p2, periods, rng):
    if not _is_count(periods, 0):
        raise ValueError("periods must be an integer >= 0")
    reality, beliefs, code = initialise(m, n, rng)
    table = pd.DataFrame(index=range(periods + 1), columns=["period", "code_knowledge",
                                                            "member_knowledge"], dtype=float)
    table["period"] = np.arange(periods + 1)
    table.loc[0, ["code_knowledge", "member_knowledge"]] = [knowledge(code, reality),
                                                           knowledge(beliefs, reality).mean()]
    for t in range(1, periods + 1):
        actions = take_actions(beliefs, rng)
        superior = superior_group(actions, code, reality)
        beliefs, code = socialise(beliefs, code, p1, rng), learn_code(code, actions, superior, p2, rng)
        table.loc[t, ["code_knowledge", "member_knowledge"]] = [knowledge(code, reality),
                                                               knowledge(beliefs, reality).mean()]
    return table

# %% sweep
def sweep(p1_values, p2, replications, periods, seed, m=30, n=50):
    if not _is_count(replications, 1):
        raise ValueError("replications must be an integer >= 1")
    rng = np.random.default_rng(seed)
    finals = []
    for p1 in p1_values:
        for _ in range(replications):
            last = simulate(m, n, p1, p2, periods, rng).iloc[-1]
            finals.append((p1, last["code_knowledge"], last["member_knowledge"]))
    frame = pd.DataFrame(finals, columns=["p1", "code_knowledge", "member_knowledge"])
    return frame.groupby("p1", sort=False).mean().reset_index()
