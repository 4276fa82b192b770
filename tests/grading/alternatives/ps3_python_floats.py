# Our own model code (the course authors'), not a student's: an alternative correct solution of ps3.
# It differs from the source solutions only where the problem set's text leaves freedom: Python
# float knowledge for one vector, int32 arrays, np.random.Generator.random called with a tuple-free
# size, superior group from a matrix product, a list of rows for the simulation table.
# test_assignments.py grades it with the hidden tests through the instructor pipeline and
# asserts full autograded marks.

# %% initialise
def initialise(m, n, rng):
    for value in (m, n):
        if type(value) is bool or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError("m and n must be integers >= 1")
    reality = np.where(rng.random(m) < 0.5, 1, -1).astype(np.int32)
    beliefs = (rng.integers(0, 3, size=(n, m)) - 1).astype(np.int32)
    return reality, beliefs, np.zeros(m, dtype=np.int32)

# %% knowledge
def knowledge(x, reality):
    x = np.asarray(x)
    if x.shape[-1] != len(reality):
        raise ValueError("the last dimension of x must be len(reality)")
    shares = (x == np.asarray(reality)).mean(axis=-1)
    return float(shares) if x.ndim == 1 else shares

# %% actions_superior
def take_actions(beliefs, rng):
    flat = np.asarray(beliefs, dtype=np.int32).ravel().copy()
    zeros = flat == 0
    flat[zeros] = np.where(rng.random(int(zeros.sum())) < 0.5, 1, -1)
    return flat.reshape(np.shape(beliefs))


def superior_group(actions, code, reality):
    reality = np.asarray(reality)
    return (np.asarray(actions) @ reality) > (np.asarray(code) @ reality)

# %% socialise
def socialise(beliefs, code, p1, rng):
    if not 0 <= p1 <= 1:
        raise ValueError("p1 must lie in [0, 1]")
    new = np.array(beliefs, dtype=np.int32)
    if p1 == 0:
        return new
    code = np.broadcast_to(np.asarray(code, dtype=np.int32), new.shape)
    eligible = (code != 0) & (new != code)
    u = rng.random(size=int(eligible.sum()))
    move = np.zeros(new.shape, dtype=bool)
    move[eligible] = u < p1
    return new + np.where(move, code, 0)

# %% learn_code
def learn_code(code, actions, superior, p2, rng):
    if not 0 <= p2 <= 1:
        raise ValueError("p2 must lie in [0, 1]")
    code = np.asarray(code, dtype=np.int32)
    votes = np.asarray(superior, dtype=np.int32) @ np.asarray(actions, dtype=np.int32)
    view = np.sign(votes)
    u = rng.random(size=code.size)
    adopt = (view != 0) & (view != code) & (u < 1 - (1 - p2) ** np.abs(votes))
    return np.where(adopt, view, code)

# %% simulate
def simulate(m, n, p1, p2, periods, rng):
    if type(periods) is bool or not isinstance(periods, (int, np.integer)) or periods < 0:
        raise ValueError("periods must be an integer >= 0")
    reality, beliefs, code = initialise(m, n, rng)
    rows = []
    for period in range(periods + 1):
        if period:
            actions = take_actions(beliefs, rng)
            superior = superior_group(actions, code, reality)
            old_code = code
            beliefs = socialise(beliefs, old_code, p1, rng)
            code = learn_code(old_code, actions, superior, p2, rng)
        rows.append({"period": period, "code_knowledge": knowledge(code, reality),
                     "member_knowledge": float(np.mean(knowledge(beliefs, reality)))})
    return pd.DataFrame(rows)

# %% sweep
def sweep(p1_values, p2, replications, periods, seed, m=30, n=50):
    if type(replications) is bool or not isinstance(replications, (int, np.integer)) \
            or replications < 1:
        raise ValueError("replications must be an integer >= 1")
    rng = np.random.default_rng(seed)
    rows = []
    for p1 in p1_values:
        runs = pd.DataFrame([simulate(m, n, p1, p2, periods, rng).iloc[-1] for _ in range(replications)])
        rows.append({"p1": p1, "code_knowledge": runs["code_knowledge"].mean(),
                     "member_knowledge": runs["member_knowledge"].mean()})
    return pd.DataFrame(rows, columns=["p1", "code_knowledge", "member_knowledge"])
