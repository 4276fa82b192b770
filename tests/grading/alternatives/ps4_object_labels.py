# Our own model code (the course authors'), not a student's: an alternative correct solution of ps4.
# It differs from the source solutions only where the problem set's text leaves freedom: labels in
# an object array of Python strings, a numpy integer switching period, a Python float fidelity for
# two numbers, an extra key in the result dict, rows built from lists. test_assignments.py grades
# it with the hidden tests through the instructor pipeline and asserts full autograded marks.

# %% cps_fidelity
def cps_fidelity(base_fidelity, cps):
    f0, c = np.broadcast_arrays(np.asarray(base_fidelity, dtype=float), np.asarray(cps, dtype=float))
    if not (np.isfinite(f0).all() and np.isfinite(c).all()):
        raise ValueError("values must be finite")
    if f0.min(initial=0.0) < 0 or f0.max(initial=0.0) > 1 or c.min(initial=0.0) < 0 or c.max(initial=0.0) > 1:
        raise ValueError("values must lie in [0, 1]")
    out = f0 + c - c * f0
    return float(out) if out.ndim == 0 else out

# %% simulate_mutual
def simulate_mutual(producer0, customer0, periods, absorptive_producer=0.5, absorptive_customer=0.5,
                    base_fidelity=0.3, cps=0.0, growth_producer=0.02, growth_customer=0.02):
    if type(periods) is bool or not isinstance(periods, (int, np.integer)) or periods < 1:
        raise ValueError("periods must be an integer >= 1")
    p = np.array(producer0, dtype=float)
    c = np.array(customer0, dtype=float)
    if p.ndim != 1 or p.shape != c.shape or len(p) == 0:
        raise ValueError("capabilities must be 1-D of one length")
    if not (np.isfinite(p).all() and np.isfinite(c).all() and (p > 0).all() and (c > 0).all()):
        raise ValueError("capabilities must be positive and finite")
    domains = len(p)

    def rate(value):
        arr = np.array(value, dtype=float)
        if arr.shape not in ((), (domains,)):
            raise ValueError("a rate is one number or one value per domain")
        if not np.isfinite(arr).all() or (arr < 0).any() or (arr > 1).any():
            raise ValueError("rates must lie in [0, 1]")
        return arr * np.ones(domains)

    a_p, a_c = rate(absorptive_producer), rate(absorptive_customer)
    g_p, g_c = rate(growth_producer), rate(growth_customer)
    f = rate(cps_fidelity(rate(base_fidelity), rate(cps)))
    producers, customers, to_ps, to_cs = [p], [c], [], []
    for _ in range(periods):
        to_p = a_p * f * np.clip(c - p, 0.0, None)
        to_c = a_c * f * np.clip(p - c, 0.0, None)
        p, c = (p + to_p) * (1 + g_p), (c + to_c) * (1 + g_c)
        producers.append(p)
        customers.append(c)
        to_ps.append(to_p)
        to_cs.append(to_c)
    return {"producer": np.array(producers), "customer": np.array(customers),
            "to_producer": np.array(to_ps), "to_customer": np.array(to_cs), "fidelity": f,
            "periods": periods}

# %% regimes
def classify_periods(result):
    labels = []
    for p, c in zip(np.asarray(result["producer"])[:-1], np.asarray(result["customer"])[:-1]):
        p_leads, c_leads = bool(np.any(p > c)), bool(np.any(c > p))
        labels.append({(False, True): "unilateral", (True, True): "mutual",
                       (True, False): "reverse", (False, False): "none"}[(p_leads, c_leads)])
    return np.array(labels, dtype=object)


def switching_period(result):
    labels = classify_periods(result)
    both_ways = np.isin(labels, ["mutual", "reverse"])
    return np.argmax(both_ways) if both_ways.any() else np.int64(-1)

# %% cps_sweep
def cps_sweep(producer0, customer0, cps_values, periods, **params):
    columns = ["cps", "fidelity", "switch_period", "mutual_share", "producer_final", "customer_final"]
    table = pd.DataFrame(columns=columns)
    for i, value in enumerate(cps_values):
        run = simulate_mutual(producer0, customer0, periods, cps=value, **params)
        table.loc[i] = [float(value), float(cps_fidelity(params.get("base_fidelity", 0.3), value)),
                        switching_period(run), float((classify_periods(run) == "mutual").sum() / periods),
                        run["producer"][-1].mean(), run["customer"][-1].mean()]
    table["switch_period"] = table["switch_period"].astype(int)
    return table.astype({c: float for c in columns if c != "switch_period"})
