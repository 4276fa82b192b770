# Our own model code (the course authors'), not a student's: an alternative correct solution of ps4.
# It differs from the source solutions only where the problem set's text leaves freedom: a loop over
# domains inside the loop over periods, fixed-width string labels, a Python int switching period
# found with a loop, checks in another order. test_assignments.py grades it with the hidden tests
# through the instructor pipeline and asserts full autograded marks.

# %% cps_fidelity
def cps_fidelity(base_fidelity, cps):
    f0 = np.array(base_fidelity, dtype=np.float64)
    c = np.array(cps, dtype=np.float64)
    for arr in (f0, c):
        if np.isnan(arr).any() or not ((arr >= 0) & (arr <= 1)).all():
            raise ValueError("values must lie in [0, 1]")
    return f0 + c * (1 - f0)

# %% simulate_mutual
def simulate_mutual(producer0, customer0, periods, absorptive_producer=0.5, absorptive_customer=0.5,
                    base_fidelity=0.3, cps=0.0, growth_producer=0.02, growth_customer=0.02):
    p0, c0 = np.asarray(producer0, dtype=float), np.asarray(customer0, dtype=float)
    if p0.ndim != 1 or c0.ndim != 1 or p0.size != c0.size or p0.size < 1:
        raise ValueError("bad capability shapes")
    if not (np.all(p0 > 0) and np.all(c0 > 0) and np.all(np.isfinite(p0)) and np.all(np.isfinite(c0))):
        raise ValueError("capabilities must be positive and finite")
    d = p0.size
    rates = []
    for value in (absorptive_producer, absorptive_customer, growth_producer, growth_customer,
                  base_fidelity, cps):
        arr = np.asarray(value, dtype=float)
        if arr.ndim > 1 or (arr.ndim == 1 and arr.size != d):
            raise ValueError("a rate has the wrong shape")
        if not np.all((arr >= 0) & (arr <= 1)):
            raise ValueError("rates must lie in [0, 1]")
        rates.append(np.broadcast_to(arr, (d,)))
    if isinstance(periods, bool) or not isinstance(periods, (int, np.integer)) or periods < 1:
        raise ValueError("periods must be an integer >= 1")
    a_p, a_c, g_p, g_c, f0, strength = rates
    fidelity = np.asarray(cps_fidelity(f0, strength), dtype=float).reshape(d)
    producer = np.zeros((periods + 1, d))
    customer = np.zeros((periods + 1, d))
    to_producer = np.zeros((periods, d))
    to_customer = np.zeros((periods, d))
    producer[0], customer[0] = p0, c0
    for t in range(periods):
        for k in range(d):
            p, c = producer[t, k], customer[t, k]
            to_producer[t, k] = a_p[k] * fidelity[k] * max(c - p, 0.0)
            to_customer[t, k] = a_c[k] * fidelity[k] * max(p - c, 0.0)
            producer[t + 1, k] = (p + to_producer[t, k]) * (1 + g_p[k])
            customer[t + 1, k] = (c + to_customer[t, k]) * (1 + g_c[k])
    return dict(producer=producer, customer=customer, to_producer=to_producer,
                to_customer=to_customer, fidelity=fidelity)

# %% regimes
def classify_periods(result):
    p = np.asarray(result["producer"])[:-1]
    c = np.asarray(result["customer"])[:-1]
    p_leads = (p > c).any(axis=1)
    c_leads = (c > p).any(axis=1)
    return np.select([p_leads & c_leads, c_leads, p_leads], ["mutual", "unilateral", "reverse"], "none")


def switching_period(result):
    for t, label in enumerate(classify_periods(result)):
        if label in ("mutual", "reverse"):
            return t
    return -1

# %% cps_sweep
def cps_sweep(producer0, customer0, cps_values, periods, **params):
    rows = []
    for value in cps_values:
        run = simulate_mutual(producer0, customer0, periods, cps=value, **params)
        labels = classify_periods(run)
        rows.append(dict(cps=value, fidelity=cps_fidelity(params.get("base_fidelity", 0.3), value).item(),
                         switch_period=switching_period(run), mutual_share=np.mean(labels == "mutual"),
                         producer_final=np.mean(run["producer"][-1]),
                         customer_final=np.mean(run["customer"][-1])))
    return pd.DataFrame(rows)
