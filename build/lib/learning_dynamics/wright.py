"""Wright's law: unit cost falls by a constant fraction each time cumulative output doubles.

Model
-----
Wright (1936) reported that in airframe production the cost (labour input) of a unit
declines as a power of the cumulative number of units built. In the form used here

    c(x) = c1 * x**(-b),        x >= 1,  c1 > 0,  b >= 0,

where ``x`` is cumulative output (the serial number of the unit, in units of output),
``c1`` is the cost of the first unit (any currency or labour-hour unit; ``c`` has the
same unit) and ``b`` is the dimensionless learning exponent. Doubling ``x`` multiplies
cost by the *progress ratio*

    PR = c(2x) / c(x) = 2**(-b),

and the *learning rate* is ``1 - PR`` (the fractional cost reduction per doubling).
Conversely ``b = -log2(PR)``. A progress ratio of 0.8 ("an 80 % curve") gives
``b = -log2(0.8) ~= 0.3219``.

Taking logs gives a straight line, ``log c = log c1 - b log x``, which is what
:func:`fit_learning_curve` estimates by ordinary least squares.

Source
------
T. P. Wright (1936), "Factors affecting the cost of airplanes", *Journal of the
Aeronautical Sciences* 3(4): 122-128. The power-law form and the progress-ratio
vocabulary above are the standard textbook restatement; the notation (``c1``, ``b``)
is ours, not Wright's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learning_dynamics._validation import finite_array
import pandas as pd

__all__ = [
    "LearningCurveFit",
    "unit_cost",
    "progress_ratio",
    "learning_rate",
    "exponent_from_progress_ratio",
    "fit_learning_curve",
]


_finite_array = finite_array  # shared check: learning_dynamics._validation


def _scalar_or_array(arr: np.ndarray, like) -> float | np.ndarray:
    """Return a Python float when the caller passed a scalar, else the array."""
    if np.ndim(like) == 0:
        return float(arr)
    return arr


def unit_cost(cumulative_output, first_unit_cost, b) -> np.ndarray:
    """Unit cost under Wright's law, ``c(x) = c1 * x**(-b)``.

    Parameters
    ----------
    cumulative_output : array_like of float, any shape
        Cumulative output ``x`` (units of output; the index of the unit whose cost is
        wanted). Every element must satisfy ``x >= 1``.
    first_unit_cost : float or array_like
        Cost of the first unit ``c1`` (currency or labour hours per unit); must be
        ``> 0``. Broadcast against ``cumulative_output``.
    b : float or array_like
        Learning exponent, dimensionless, any real ``b >= 0`` (``b = 0``: no learning).
        Broadcast against ``cumulative_output``.

    Returns
    -------
    numpy.ndarray
        Unit cost with the broadcast shape of the inputs (a 0-d array for scalar
        inputs), in the unit of ``first_unit_cost``.

    Raises
    ------
    ValueError
        If any input is empty, non-numeric or not finite; if any ``x < 1``; if any
        ``c1 <= 0``; if any ``b < 0``; or if the shapes do not broadcast.

    Source
    ------
    Wright (1936), Journal of the Aeronautical Sciences 3(4): 122-128; power-law
    restatement ``c(x) = c1 x^(-b)``.

    Examples
    --------
    >>> float(unit_cost(2, 100.0, exponent_from_progress_ratio(0.8)))
    80.0
    """
    x = _finite_array(cumulative_output, "cumulative_output")
    c1 = _finite_array(first_unit_cost, "first_unit_cost")
    bb = _finite_array(b, "b")
    if np.any(x < 1):
        raise ValueError("cumulative_output must be >= 1 (the first unit is x = 1)")
    if np.any(c1 <= 0):
        raise ValueError("first_unit_cost must be > 0")
    if np.any(bb < 0):
        raise ValueError("b must be >= 0 (a negative exponent means costs rise with output)")
    try:
        return np.asarray(c1 * np.power(x, -bb))
    except ValueError as exc:  # shapes that do not broadcast
        raise ValueError(f"inputs do not broadcast: {exc}") from exc


def progress_ratio(b) -> float | np.ndarray:
    """Progress ratio ``PR = 2**(-b)``: the cost multiplier per doubling of cumulative output.

    Parameters
    ----------
    b : float or array_like
        Learning exponent(s), dimensionless, ``b >= 0``.

    Returns
    -------
    float or numpy.ndarray
        ``2**(-b)`` in ``(0, 1]``; a float for scalar input, otherwise an array of the
        same shape as ``b``.

    Raises
    ------
    ValueError
        If ``b`` is empty, non-numeric, not finite, or negative.

    Source
    ------
    Follows from Wright (1936): ``c(2x)/c(x) = 2**(-b)``.
    """
    bb = _finite_array(b, "b")
    if np.any(bb < 0):
        raise ValueError("b must be >= 0")
    return _scalar_or_array(np.power(2.0, -bb), b)


def learning_rate(b) -> float | np.ndarray:
    """Learning rate ``1 - 2**(-b)``: fractional cost reduction per doubling of output.

    Parameters
    ----------
    b : float or array_like
        Learning exponent(s), dimensionless, ``b >= 0``.

    Returns
    -------
    float or numpy.ndarray
        ``1 - progress_ratio(b)`` in ``[0, 1)``; float for scalar input.

    Raises
    ------
    ValueError
        As :func:`progress_ratio`.

    Source
    ------
    Follows from Wright (1936); "learning rate" here means ``1 - PR`` (an 80 % progress
    ratio is a 20 % learning rate).
    """
    pr = progress_ratio(b)
    return 1.0 - pr


def exponent_from_progress_ratio(pr) -> float | np.ndarray:
    """Learning exponent ``b = -log2(PR)`` implied by a progress ratio.

    Parameters
    ----------
    pr : float or array_like
        Progress ratio(s), dimensionless, ``0 < pr <= 1``.

    Returns
    -------
    float or numpy.ndarray
        ``b >= 0``; float for scalar input. ``pr = 0.8`` gives ``b ~= 0.32193``.

    Raises
    ------
    ValueError
        If ``pr`` is empty, non-numeric, not finite, ``<= 0`` or ``> 1``.

    Source
    ------
    Inverse of ``PR = 2**(-b)`` (Wright 1936, power-law form).
    """
    p = _finite_array(pr, "pr")
    if np.any(p <= 0) or np.any(p > 1):
        raise ValueError("progress ratio must satisfy 0 < pr <= 1")
    # -log2(1) is -0.0; add 0.0 to return +0.0
    return _scalar_or_array(-np.log2(p) + 0.0, pr)


@dataclass(frozen=True)
class LearningCurveFit:
    """Result of a log-log least-squares fit of Wright's law.

    Attributes
    ----------
    c1 : float
        Fitted cost at ``x = 1`` (same unit as the cost column), ``exp(intercept)``.
    b : float
        Fitted learning exponent, ``-slope`` of ``log c`` on ``log x``. Not constrained
        to be ``>= 0``: a negative value means costs rose with output in the data.
    progress_ratio : float
        ``2**(-b)``; above 1 when ``b < 0``.
    learning_rate : float
        ``1 - progress_ratio``.
    r_squared : float
        Coefficient of determination of the fit on the log scale (1.0 when the data
        lie exactly on a power law, including the degenerate case of constant cost).
    n : int
        Number of rows used.
    """

    c1: float
    b: float
    progress_ratio: float
    learning_rate: float
    r_squared: float
    n: int


def fit_learning_curve(
    data: pd.DataFrame, output: str = "cumulative_output", cost: str = "unit_cost"
) -> LearningCurveFit:
    """Fit ``c = c1 * x**(-b)`` by ordinary least squares of ``log c`` on ``log x``.

    The regression is ``log c_i = a + s log x_i + e_i`` (natural logs), solved with
    ``numpy.polyfit`` of degree 1; then ``b = -s`` and ``c1 = exp(a)``. Because the
    errors are assumed additive on the log scale, ``c1`` is the fitted *median*-type
    cost at ``x = 1``, not a mean-unbiased estimate.

    Parameters
    ----------
    data : pandas.DataFrame, shape (n, >= 2)
        One row per observation. Other columns are ignored.
    output : str, default "cumulative_output"
        Column holding cumulative output ``x``. Values must be ``> 0``. We deliberately
        accept ``0 < x < 1`` for fitting (e.g. output measured in thousands of units),
        since the log-log regression only needs ``x > 0``; ``c1`` is then the fitted cost
        at ``x = 1`` *in whatever unit x is measured*. (:func:`unit_cost` itself
        requires ``x >= 1``.)
    cost : str, default "unit_cost"
        Column holding unit cost ``c``; values must be ``> 0``.

    Returns
    -------
    LearningCurveFit
        Frozen dataclass with ``c1, b, progress_ratio, learning_rate, r_squared, n``.

    Raises
    ------
    ValueError
        If ``data`` is not a DataFrame; if a column is missing; if it has fewer than 2
        rows or fewer than 2 distinct ``x`` values; if any value is missing (NaN),
        non-numeric or infinite; if any ``x <= 0`` or any ``c <= 0``.

    Source
    ------
    Wright (1936), Journal of the Aeronautical Sciences 3(4): 122-128 (power law);
    estimation by log-log OLS is the conventional empirical approach, our choice here.
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    for col in (output, cost):
        if col not in data.columns:
            raise ValueError(f"column {col!r} not found; available: {list(data.columns)}")
    if len(data) < 2:
        raise ValueError("need at least 2 rows to fit a learning curve")
    x = _finite_array(data[output].to_numpy(), f"column {output!r}")
    c = _finite_array(data[cost].to_numpy(), f"column {cost!r}")
    if np.any(x <= 0):
        raise ValueError(f"column {output!r} must be > 0 for a log-log fit")
    if np.any(c <= 0):
        raise ValueError(f"column {cost!r} must be > 0 for a log-log fit")
    if np.unique(x).size < 2:
        raise ValueError("need at least 2 distinct cumulative-output values")

    lx, lc = np.log(x), np.log(c)
    slope, intercept = np.polyfit(lx, lc, deg=1)
    fitted = intercept + slope * lx
    ss_res = float(np.sum((lc - fitted) ** 2))
    ss_tot = float(np.sum((lc - lc.mean()) ** 2))
    # Constant cost: the fit is exact (slope 0), so report a perfect fit.
    r2 = 1.0 if ss_tot == 0.0 else 1.0 - ss_res / ss_tot
    b = float(-slope)
    pr = float(2.0 ** (-b))
    return LearningCurveFit(
        c1=float(np.exp(intercept)),
        b=b,
        progress_ratio=pr,
        learning_rate=1.0 - pr,
        r_squared=float(r2),
        n=int(len(x)),
    )
