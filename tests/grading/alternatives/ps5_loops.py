# Our own model code (the course authors'), not a student's: an alternative correct solution of ps5.
# It differs from the source solutions only where the problem set's text leaves freedom: no draw for
# a one-node network, loops over pairs, int32 adjacency, DeGroot rounds from matrix powers, nested
# conditions instead of a lookup table, pandas apply and a groupby with named functions.
# test_assignments.py grades it with the hidden tests through the instructor pipeline and
# asserts full autograded marks.

# %% network
def _is_count(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value >= 0


def core_periphery_network(n_core, n_periphery, p_core_core, p_core_periphery, p_periphery_periphery, rng):
    if not (_is_count(n_core) and _is_count(n_periphery)):
        raise ValueError("counts must be non-negative integers")
    for p in (p_core_core, p_core_periphery, p_periphery_periphery):
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)) \
                or not 0 <= p <= 1:
            raise ValueError("probabilities must lie in [0, 1]")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy Generator")
    n = n_core + n_periphery
    if n == 0:
        raise ValueError("empty network")
    adjacency = np.zeros((n, n), dtype=np.int32)
    if n == 1:
        return adjacency  # no pair: nothing to draw
    draws = rng.random((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            if i < n_core and j < n_core:
                p = p_core_core
            elif i >= n_core and j >= n_core:
                p = p_periphery_periphery
            else:
                p = p_core_periphery
            if draws[i, j] < p:
                adjacency[i, j] = adjacency[j, i] = 1
    if n_core >= 1:
        for node in range(n_core, n):
            if adjacency[node, :n_core].sum() == 0:
                partner = rng.integers(n_core)
                adjacency[node, partner] = adjacency[partner, node] = 1
    return adjacency

# %% trust_matrix
def trust_matrix(adjacency, self_weight=0.5):
    a = np.asarray(adjacency, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.size == 0:
        raise ValueError("adjacency must be a non-empty square matrix")
    if not np.isfinite(a).all() or (a < 0).any():
        raise ValueError("adjacency must be finite and non-negative")
    if self_weight < 0 or self_weight > 1:
        raise ValueError("self_weight must lie in [0, 1]")
    n = a.shape[0]
    w = np.zeros((n, n))
    for i in range(n):
        row = a[i].copy()
        row[i] = 0.0
        total = row.sum()
        if total == 0:
            w[i, i] = 1.0
        else:
            w[i] = (1 - self_weight) * row / total
            w[i, i] = self_weight
    return w

# %% degroot
def degroot(w, initial_beliefs, steps):
    w = np.array(w, dtype=float)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] == 0:
        raise ValueError("w must be square")
    if (w < 0).any() or (np.abs(w.sum(axis=1) - 1) > 1e-9).any():
        raise ValueError("w must be row-stochastic")
    if type(steps) is bool or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError("steps must be a non-negative integer")
    b = np.array(initial_beliefs, dtype=float)
    if b.ndim not in (1, 2) or b.shape[0] != w.shape[0] or not np.isfinite(b).all():
        raise ValueError("bad beliefs")
    return np.array([np.linalg.matrix_power(w, k) @ b for k in range(steps + 1)])

# %% newcomer
def newcomer_trajectory(steps, initial_tie=0.05, max_tie=0.5, participation_sensitivity=0.5,
                        initial_knowledge=0.0, core_knowledge=1.0):
    if type(steps) is bool or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError("steps must be a non-negative integer")
    if not (0 <= initial_tie <= max_tie <= 1):
        raise ValueError("need 0 <= initial_tie <= max_tie <= 1")
    if not (participation_sensitivity >= 0 and np.isfinite(participation_sensitivity)):
        raise ValueError("participation_sensitivity must be finite and >= 0")
    rows = []
    x, participation = float(initial_knowledge), 0.0
    for k in range(steps + 1):
        tie = max_tie - (max_tie - initial_tie) * np.exp(-participation_sensitivity * participation)
        rows.append({"period": k, "tie_strength": tie, "participation": participation, "knowledge": x,
                     "knowledge_gap": abs(core_knowledge - x)})
        x, participation = (1 - tie) * x + tie * core_knowledge, participation + tie
    return pd.DataFrame(rows)

# %% key_table
def key_determinants_table():
    return pd.DataFrame(
        {"complexity_of_transactions": ["low", "high", "high", "high", "high"],
         "ability_to_codify_transactions": ["high", "high", "low", "high", "low"],
         "capabilities_in_supply_base": ["high", "high", "high", "low", "low"],
         "coordination_rank": [1, 2, 3, 4, 5]},
        index=pd.Index(["market", "modular", "relational", "captive", "hierarchy"], name="governance_type"))

# %% classify
def classify(complexity, codifiability, capability):
    ratings = []
    for value in (complexity, codifiability, capability):
        if not isinstance(value, str):
            raise ValueError(f"a rating must be 'high' or 'low', not {value!r}")
        value = value.strip().lower()
        if value not in ("high", "low"):
            raise ValueError(f"a rating must be 'high' or 'low', not {value!r}")
        ratings.append(value == "high")
    cx, cd, cp = ratings
    if not cx:
        if not cd:
            return "not expected to occur"
        return "market" if cp else "exclusion from the value chain"
    if cd:
        return "modular" if cp else "captive"
    return "relational" if cp else "hierarchy"

# %% governance_tables
def classify_links(links):
    missing = [c for c in ("complexity", "codifiability", "capability") if c not in links]
    if missing:
        raise ValueError(f"missing rating columns: {missing}")
    types = links.apply(lambda row: classify(row["complexity"], row["codifiability"], row["capability"]),
                        axis=1)
    ranks = key_determinants_table()["coordination_rank"]
    return links.assign(governance_type=types.astype(object),
                        coordination_rank=[float(ranks[t]) if t in ranks.index else np.nan for t in types])


def summarise_by_sector(classified):
    types = ["market", "modular", "relational", "captive", "hierarchy"]
    rows = {}
    for sector, group in classified.groupby("sector"):
        kind = group["governance_type"]
        rows[sector] = {"n_links": len(group), "share_governed": kind.isin(types).mean(),
                        "share_captive": (kind == "captive").mean(),
                        "share_relational": (kind == "relational").mean(),
                        "mean_coordination_rank": group.loc[kind.isin(types), "coordination_rank"].mean()}
    summary = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    summary.index.name = "sector"
    return summary
