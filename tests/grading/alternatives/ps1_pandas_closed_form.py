# Our own model code (the course authors'), not a student's: an alternative correct solution of ps1.
# It differs from the source solutions only where the problem set's text leaves freedom: the
# least-squares slope from its closed form (covariance over variance) computed with pandas, math
# module floats, a groupby over the two phases. tests/grading/test_assignments.py grades it
# with the hidden tests through the instructor pipeline and asserts full autograded marks.

# %% unit_cost
def unit_cost(cumulative_output, first_unit_cost, b):
    x = np.asarray(cumulative_output) * 1.0
    if not first_unit_cost > 0 or not b >= 0 or np.min(x, initial=1.0) < 1:
        raise ValueError("need cumulative output >= 1, first_unit_cost > 0 and b >= 0")
    return first_unit_cost / x ** b

# %% progress_ratio
import math


def progress_ratio(b):
    return math.pow(2.0, -b)


def exponent_from_progress_ratio(pr):
    if not (0 < pr <= 1):
        raise ValueError("a progress ratio lies in (0, 1]")
    return -math.log2(pr)

# %% fit_learning_curve
def fit_learning_curve(data):
    if len(data.index) < 2:
        raise ValueError("need two rows")
    logs = pd.DataFrame({"x": data["cumulative_output"], "c": data["unit_cost"]}).astype(float)
    if not (logs > 0).all().all():
        raise ValueError("values must be positive")
    logs = np.log(logs)
    slope = logs["x"].cov(logs["c"]) / logs["x"].var()
    intercept = logs["c"].mean() - slope * logs["x"].mean()
    return float(math.exp(intercept)), float(-slope)

# %% compare_phases
def compare_phases(data, switch_output):
    phase = np.where(data["cumulative_output"] < switch_output, "before", "after")
    rows = {}
    for name, part in data.groupby(phase):
        c1, b = fit_learning_curve(part)
        rows[name] = {"c1": c1, "b": b, "progress_ratio": progress_ratio(b)}
    return pd.DataFrame(rows).T.loc[["before", "after"], ["c1", "b", "progress_ratio"]].astype(float)
