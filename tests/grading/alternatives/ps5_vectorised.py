# Our own model code (the course authors'), not a student's: an alternative correct solution of ps5.
# It differs from the source solutions only where the problem set's text leaves freedom: the 1 x 1
# draw made for a one-node network, a boolean matrix turned into int8, the trust matrix from
# np.divide with where=, DeGroot rounds accumulated in a list, a merge with the key table, pivot-free
# groupby on flags. test_assignments.py grades it with the hidden tests through the instructor
# pipeline and asserts full autograded marks.

# %% network
def core_periphery_network(n_core, n_periphery, p_core_core, p_core_periphery, p_periphery_periphery, rng):
    counts = (n_core, n_periphery)
    if any(type(c) is bool or not isinstance(c, (int, np.integer)) or c < 0 for c in counts):
        raise ValueError("counts must be non-negative integers")
    probs = np.array([p_core_core, p_core_periphery, p_periphery_periphery], dtype=float)
    if not ((probs >= 0) & (probs <= 1)).all():
        raise ValueError("probabilities must lie in [0, 1]")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator")
    n = int(n_core) + int(n_periphery)
    if n < 1:
        raise ValueError("at least one node is needed")
    block = (np.arange(n) >= n_core).astype(int)  # 0 core, 1 periphery
    table = np.array([[p_core_core, p_core_periphery], [p_core_periphery, p_periphery_periphery]])
    prob = table[block[:, None], block[None, :]]
    draws = rng.random((n, n))
    linked = np.triu(draws < prob, 1)
    adjacency = (linked | linked.T).astype(np.int8)
    for node in range(n_core, n) if n_core else []:
        if not adjacency[node, :n_core].any():
            k = rng.integers(n_core)
            adjacency[node, k] = 1
            adjacency[k, node] = 1
    return adjacency

# %% trust_matrix
def trust_matrix(adjacency, self_weight=0.5):
    a = np.array(adjacency, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise ValueError("adjacency must be a non-empty square matrix")
    if np.isnan(a).any() or np.isinf(a).any() or a.min() < 0:
        raise ValueError("adjacency must be finite and non-negative")
    if not 0 <= self_weight <= 1:
        raise ValueError("self_weight must lie in [0, 1]")
    a[np.diag_indices_from(a)] = 0
    degree = a.sum(axis=1, keepdims=True)
    spread = np.divide(a, degree, out=np.zeros_like(a), where=degree > 0)
    isolated = degree[:, 0] == 0
    return (1 - self_weight) * spread + np.diag(np.where(isolated, 1.0, self_weight))

# %% degroot
def degroot(w, initial_beliefs, steps):
    w = np.asarray(w, dtype=float)
    b = np.asarray(initial_beliefs, dtype=float)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError("steps must be a non-negative integer")
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.size == 0 or (w < 0).any() \
            or not np.allclose(w.sum(axis=1), 1, rtol=0, atol=1e-9):
        raise ValueError("w must be a row-stochastic square matrix")
    if b.ndim not in (1, 2) or len(b) != len(w) or not np.isfinite(b).all():
        raise ValueError("initial_beliefs must be finite, shape (n,) or (n, m)")
    rounds = [b]
    for _ in range(steps):
        rounds.append(w @ rounds[-1])
    return np.stack(rounds)

# %% newcomer
def newcomer_trajectory(steps, initial_tie=0.05, max_tie=0.5, participation_sensitivity=0.5,
                        initial_knowledge=0.0, core_knowledge=1.0):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError("steps must be a non-negative integer")
    if not (0 <= initial_tie <= 1 and 0 <= max_tie <= 1 and initial_tie <= max_tie):
        raise ValueError("bad ties")
    if not np.isfinite(participation_sensitivity) or participation_sensitivity < 0:
        raise ValueError("bad participation_sensitivity")
    period = np.arange(steps + 1)
    tie, part, know = np.zeros(steps + 1), np.zeros(steps + 1), np.zeros(steps + 1)
    know[0] = initial_knowledge
    for k in period:
        tie[k] = max_tie - (max_tie - initial_tie) * np.exp(-participation_sensitivity * part[k])
        if k < steps:
            part[k + 1] = part[k] + tie[k]
            know[k + 1] = know[k] + tie[k] * (core_knowledge - know[k])
    frame = pd.DataFrame({"period": period, "tie_strength": tie, "participation": part, "knowledge": know})
    frame["knowledge_gap"] = (core_knowledge - frame["knowledge"]).abs()
    return frame

# %% key_table
def key_determinants_table():
    rows = {"market": ("low", "high", "high", 1), "modular": ("high", "high", "high", 2),
            "relational": ("high", "low", "high", 3), "captive": ("high", "high", "low", 4),
            "hierarchy": ("high", "low", "low", 5)}
    table = pd.DataFrame.from_dict(rows, orient="index",
                                   columns=["complexity_of_transactions", "ability_to_codify_transactions",
                                            "capabilities_in_supply_base", "coordination_rank"])
    return table.rename_axis("governance_type")

# %% classify
def classify(complexity, codifiability, capability):
    clean = []
    for rating in (complexity, codifiability, capability):
        word = rating.strip().lower() if isinstance(rating, str) else None
        if word not in ("high", "low"):
            raise ValueError(f"expected 'high' or 'low', got {rating!r}")
        clean.append(word)
    key = key_determinants_table()
    match = key[(key["complexity_of_transactions"] == clean[0])
                & (key["ability_to_codify_transactions"] == clean[1])
                & (key["capabilities_in_supply_base"] == clean[2])]
    if len(match):
        return str(match.index[0])
    if clean[:2] == ["low", "high"]:
        return "exclusion from the value chain"
    return "not expected to occur"

# %% governance_tables
def classify_links(links):
    if not {"complexity", "codifiability", "capability"} <= set(links.columns):
        raise ValueError("links needs the columns complexity, codifiability and capability")
    out = links.copy()
    out["governance_type"] = [classify(*row) for row in
                              out[["complexity", "codifiability", "capability"]].itertuples(index=False)]
    rank = key_determinants_table()["coordination_rank"].to_dict()
    out["coordination_rank"] = out["governance_type"].map(rank).astype("float64")
    return out


def summarise_by_sector(classified):
    kind = classified["governance_type"]
    flags = pd.DataFrame({
        "sector": classified["sector"],
        "n_links": 1,
        "share_governed": kind.isin(["market", "modular", "relational", "captive", "hierarchy"]).astype(float),
        "share_captive": kind.eq("captive").astype(float),
        "share_relational": kind.eq("relational").astype(float),
        "mean_coordination_rank": classified["coordination_rank"],
    })
    summary = flags.groupby("sector").agg({"n_links": "sum", "share_governed": "mean", "share_captive": "mean",
                                           "share_relational": "mean", "mean_coordination_rank": "mean"})
    return summary.sort_index()
