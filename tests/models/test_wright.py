"""Tests for learning_dynamics.wright (Wright's law)."""

import math

import numpy as np
import pandas as pd
import pytest

from learning_dynamics import wright as w


def test_unit_cost_exact_values():
    # c(x) = c1 x^-b, checked by hand: 100 * 4**-0.5 = 50
    assert float(w.unit_cost(4, 100.0, 0.5)) == pytest.approx(50.0)
    assert float(w.unit_cost(1, 37.0, 1.7)) == pytest.approx(37.0)
    x = np.array([1.0, 2.0, 8.0])
    np.testing.assert_allclose(w.unit_cost(x, 10.0, 1.0), [10.0, 5.0, 1.25])


def test_unit_cost_returns_ndarray_and_broadcasts():
    out = w.unit_cost(np.arange(1, 6)[:, None], 10.0, np.array([0.0, 0.5]))
    assert isinstance(out, np.ndarray)
    assert out.shape == (5, 2)
    np.testing.assert_allclose(out[:, 0], 10.0)  # b = 0: no learning


def test_doubling_multiplies_cost_by_progress_ratio():
    b = 0.4
    x = np.array([1.0, 3.0, 10.0, 250.0])
    ratio = w.unit_cost(2 * x, 5.0, b) / w.unit_cost(x, 5.0, b)
    np.testing.assert_allclose(ratio, w.progress_ratio(b))


def test_progress_ratio_08_is_b_03219():
    b = w.exponent_from_progress_ratio(0.8)
    assert isinstance(b, float)
    assert b == pytest.approx(0.321928, abs=1e-6)
    assert w.progress_ratio(b) == pytest.approx(0.8)
    assert w.learning_rate(b) == pytest.approx(0.2)


def test_progress_ratio_edges_and_arrays():
    assert w.progress_ratio(0) == 1.0
    assert w.progress_ratio(1) == 0.5
    assert w.exponent_from_progress_ratio(1.0) == 0.0
    np.testing.assert_allclose(w.exponent_from_progress_ratio([0.5, 0.25]), [1.0, 2.0])
    np.testing.assert_allclose(w.learning_rate(np.array([1.0, 2.0])), [0.5, 0.75])


@pytest.mark.parametrize(
    "args",
    [
        (0.5, 10.0, 0.3),  # x < 1
        (2.0, 0.0, 0.3),  # c1 = 0
        (2.0, -1.0, 0.3),  # c1 < 0
        (2.0, 10.0, -0.1),  # b < 0
        (np.nan, 10.0, 0.3),
        ([], 10.0, 0.3),
        ("abc", 10.0, 0.3),
        (np.ones(3), 10.0, np.ones(2)),  # shapes do not broadcast
    ],
)
def test_unit_cost_bad_input(args):
    with pytest.raises(ValueError):
        w.unit_cost(*args)


@pytest.mark.parametrize("pr", [0.0, -0.2, 1.01, np.nan, np.inf])
def test_exponent_bad_progress_ratio(pr):
    with pytest.raises(ValueError):
        w.exponent_from_progress_ratio(pr)


def test_progress_ratio_rejects_negative_b():
    with pytest.raises(ValueError):
        w.progress_ratio(-0.01)
    with pytest.raises(ValueError):
        w.learning_rate([0.1, -1.0])


def test_fit_recovers_parameters_from_exact_data():
    x = np.arange(1, 101, dtype=float)
    b = w.exponent_from_progress_ratio(0.85)
    df = pd.DataFrame({"cumulative_output": x, "unit_cost": w.unit_cost(x, 250.0, b)})
    fit = w.fit_learning_curve(df)
    assert fit.c1 == pytest.approx(250.0, rel=1e-9)
    assert fit.b == pytest.approx(b, rel=1e-9)
    assert fit.progress_ratio == pytest.approx(0.85, rel=1e-9)
    assert fit.learning_rate == pytest.approx(0.15, rel=1e-8)
    assert fit.r_squared == pytest.approx(1.0)
    assert fit.n == 100


def test_fit_custom_columns_and_noise():
    rng = np.random.default_rng(3)
    x = np.geomspace(1, 1000, 60)
    cost = w.unit_cost(x, 80.0, 0.3) * np.exp(rng.normal(0, 0.05, x.size))
    df = pd.DataFrame({"units": x, "cost": cost, "other": "ignored"})
    fit = w.fit_learning_curve(df, output="units", cost="cost")
    assert fit.b == pytest.approx(0.3, abs=0.02)
    assert 0.9 < fit.r_squared < 1.0


def test_fit_is_frozen():
    df = pd.DataFrame({"cumulative_output": [1, 2], "unit_cost": [10.0, 8.0]})
    fit = w.fit_learning_curve(df)
    assert fit.progress_ratio == pytest.approx(0.8)
    with pytest.raises(Exception):
        fit.b = 1.0  # type: ignore[misc]


def test_fit_accepts_fractional_output():
    # documented choice: x > 0 suffices for fitting
    x = np.array([0.5, 1.0, 2.0, 4.0])
    df = pd.DataFrame({"cumulative_output": x, "unit_cost": 10.0 * x ** -0.5})
    assert w.fit_learning_curve(df).c1 == pytest.approx(10.0)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"cumulative_output": [1.0], "unit_cost": [3.0]}),  # one row
        pd.DataFrame({"cumulative_output": [2.0, 2.0], "unit_cost": [3.0, 2.0]}),  # no distinct x
        pd.DataFrame({"cumulative_output": [1.0, 2.0], "unit_cost": [3.0, np.nan]}),
        pd.DataFrame({"cumulative_output": [0.0, 2.0], "unit_cost": [3.0, 2.0]}),
        pd.DataFrame({"cumulative_output": [1.0, 2.0], "unit_cost": [3.0, -2.0]}),
        pd.DataFrame({"cumulative_output": [1.0, 2.0], "price": [3.0, 2.0]}),  # missing column
        pd.DataFrame({"cumulative_output": [], "unit_cost": []}),
    ],
)
def test_fit_bad_data(frame):
    with pytest.raises(ValueError):
        w.fit_learning_curve(frame)


def test_fit_rejects_non_dataframe():
    with pytest.raises(ValueError):
        w.fit_learning_curve({"cumulative_output": [1, 2], "unit_cost": [2, 1]})


def test_constant_cost_gives_zero_exponent():
    df = pd.DataFrame({"cumulative_output": [1, 2, 3], "unit_cost": [4.0, 4.0, 4.0]})
    fit = w.fit_learning_curve(df)
    assert fit.b == pytest.approx(0.0, abs=1e-12)
    assert math.isclose(fit.r_squared, 1.0)
