"""Item analysis on data with known answers (issue 16 item 5)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from course_tools.report import figures
from course_tools.report.item_analysis import (fisher_interval, item_statistics,
                                               manual_distribution, markdown_section)


def _scores(table: dict[str, list[float]], maxima: dict[str, float], manual=()) -> pd.DataFrame:
    rows = []
    n = len(next(iter(table.values())))
    for question, values in table.items():
        for i in range(n):
            rows.append({"student_id": f"s{i:02d}", "notebook": "ps1", "question": question,
                         "kind": "manual" if question in manual else "autograded",
                         "score": values[i], "max_score": maxima[question]})
    return pd.DataFrame(rows)


def test_point_biserial_against_its_textbook_formula():
    """r_pb = (M1 - M0) / s * sqrt(p q), with s the population SD of the rest score."""
    rng = np.random.default_rng(7)
    rest = rng.integers(0, 11, size=30).astype(float)
    item = (rest + rng.normal(0, 3, size=30) > 5).astype(float)
    stats = item_statistics(_scores({"t": list(item), "rest": list(rest)},
                                    {"t": 1, "rest": 10})).set_index("question")
    p = item.mean()
    expected = (rest[item == 1].mean() - rest[item == 0].mean()) / rest.std() * math.sqrt(
        p * (1 - p))
    assert stats.loc["t", "discrimination"] == pytest.approx(expected, abs=1e-12)
    assert stats.loc["t", "difficulty"] == pytest.approx(p)
    assert stats.loc["t", "n"] == 30


def test_fisher_interval_known_value():
    low, high = fisher_interval(0.5, 28)  # z = 0.5493, half-width 1.96/5
    assert (low, high) == pytest.approx((0.1567, 0.7354), abs=1e-3)
    assert all(math.isnan(v) for v in fisher_interval(0.5, 3))


def test_flags_nan_without_variance_and_no_verdict_in_a_small_class():
    strength = list(range(25, 0, -1))  # 25 students, strongest first
    table = {"all": [1.0] * 25, "none": [0.0] * 25,
             "good": [1.0 if s > 12 else 0.0 for s in strength],
             "bad": [1.0 if s <= 12 else 0.0 for s in strength],
             "rest": [float(s) for s in strength]}
    maxima = {"all": 1, "none": 1, "good": 1, "bad": 1, "rest": 25}
    stats = item_statistics(_scores(table, maxima)).set_index("question")
    assert stats.loc["all", "flags"] == "everyone passes"
    assert stats.loc["none", "flags"] == "no one passes"
    assert math.isnan(stats.loc["all", "discrimination"])
    assert math.isnan(stats.loc["none", "ci_low"])
    assert stats.loc["good", "discrimination"] > 0.5 and stats.loc["good", "flags"] == ""
    assert stats.loc["bad", "flags"] == "negative discrimination (interval excludes 0)"
    small = item_statistics(_scores({k: v[::3] for k, v in table.items()}, maxima))  # 9 students
    small = small.set_index("question")
    assert small.loc["bad", "discrimination"] < 0 and small.loc["bad", "flags"] == ""
    assert small.loc["all", "flags"] == "everyone passes"  # a fact, not a verdict


def test_pending_written_answers_are_left_out_of_the_rest_score():
    table = {"t": [1.0, 0.0, 1.0, 0.0], "w": [3.0, 0.0, np.nan, 1.0],
             "rest": [4.0, 1.0, 3.0, 2.0]}
    scores = _scores(table, {"t": 1, "w": 3, "rest": 4}, manual={"w"})
    stats = item_statistics(scores).set_index("question")
    expected = np.corrcoef([1, 0, 1, 0], [4, 1, 3, 2])[0, 1]
    assert stats.loc["t", "discrimination"] == pytest.approx(expected)
    dist = manual_distribution(scores).set_index("question")
    assert dist.loc["w", "distribution"] == "0: 1, 1: 1, 3: 1"
    assert (dist.loc["w", "n_scored"], dist.loc["w", "n_pending"]) == (3, 1)


def test_figures_written_with_alt_text_and_report_section(tmp_path):
    table = {"t1": [1.0, 0.0, 1.0, 1.0], "t2": [0.0, 0.0, 1.0, 1.0]}
    items = item_statistics(_scores(table, {"t1": 1, "t2": 1}))
    alt1 = figures.score_histogram(pd.Series([1.0, 0.0, 2.0, 2.0]), 2, tmp_path / "h.png")
    alt2 = figures.item_figure(items, tmp_path / "i.png")
    assert (tmp_path / "h.png").stat().st_size > 1000 and (tmp_path / "i.png").exists()
    assert "4 students" in alt1 and "median 1.5" in alt1
    assert "t1 difficulty 0.75" in alt2 and "t2 difficulty 0.50" in alt2
    lines = markdown_section(items, manual_distribution(_scores(table, {"t1": 1, "t2": 1})), 4,
                             [("h.png", alt1), ("i.png", alt2)])
    assert lines[0] == "## Item analysis"
    assert f"![{alt1}](h.png)" in lines
    assert any("without a verdict" in line for line in lines)


def test_write_item_analysis_writes_tables_figures_and_lines(tmp_path):
    from course_tools.report.item_analysis import write_item_analysis

    table = {"t1": [1.0, 0.0, 1.0, 1.0], "w": [2.0, 1.0, np.nan, 0.0]}
    lines = write_item_analysis(tmp_path, _scores(table, {"t1": 1, "w": 2}, manual={"w"}))
    for name in ("item_analysis.csv", "manual_scores.csv", "score_histogram.png",
                 "item_analysis.png"):
        assert (tmp_path / name).exists(), name
    assert pd.read_csv(tmp_path / "item_analysis.csv")["question"].tolist() == ["t1"]
    assert any(line.startswith("![Histogram of the total scores of 4 students")
               for line in lines)
