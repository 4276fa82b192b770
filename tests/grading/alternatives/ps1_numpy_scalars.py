# Our own model code (the course authors'), not a student's: an alternative correct solution of ps1.
# It differs from the source solutions only where the problem set's text leaves freedom: numpy
# float64 results instead of Python floats, np.linalg.lstsq instead of np.polyfit, checks in
# another order. tests/grading/test_assignments.py grades it with the hidden tests through
# the instructor pipeline and asserts full autograded marks.

# %% unit_cost
def unit_cost(cumulative_output, first_unit_cost, b):
    """Wright's law with numpy scalars throughout."""
    if b < 0:
        raise ValueError("b must be non-negative")
    if first_unit_cost <= 0:
        raise ValueError("first_unit_cost must be positive")
    x = np.array(cumulative_output, dtype=np.float64)
    if (x < 1).any():
        raise ValueError("cumulative output must be at least 1")
    return np.float64(first_unit_cost) * np.power(x, -np.float64(b))

# %% progress_ratio
def progress_ratio(b):
    return np.exp2(-np.float64(b))


def exponent_from_progress_ratio(pr):
    if pr <= 0 or pr > 1:
        raise ValueError("pr must lie in (0, 1]")
    return np.log(np.float64(pr)) / np.log(0.5)

# %% fit_learning_curve
def fit_learning_curve(data):
    if data.shape[0] < 2:
        raise ValueError("at least two rows are needed")
    x = np.asarray(data["cumulative_output"], dtype=float)
    c = np.asarray(data["unit_cost"], dtype=float)
    if (x <= 0).any() or (c <= 0).any():
        raise ValueError("values must be positive")
    design = np.column_stack([np.ones_like(x), np.log(x)])
    (intercept, slope), *_ = np.linalg.lstsq(design, np.log(c), rcond=None)
    return (np.exp(intercept), -slope)

# %% compare_phases
def compare_phases(data, switch_output):
    before = data.loc[data["cumulative_output"] < switch_output]
    after = data.loc[data["cumulative_output"] >= switch_output]
    table = pd.DataFrame(columns=["c1", "b", "progress_ratio"], dtype=float)
    for name, part in (("before", before), ("after", after)):
        c1, b = fit_learning_curve(part)
        table.loc[name] = [c1, b, progress_ratio(b)]
    return table
