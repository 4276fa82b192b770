"""Item analysis of one assignment, the way test developers read an exam (issue 16).

Input: the per-question scores of the grading report (``question_scores``: one row per student
and graded cell, columns student_id, question, kind "autograded"/"manual", score, max_score;
``score`` NaN for a written answer still waiting for its manual grade).

Per autograded test (:func:`item_statistics`):

- **difficulty** ``p``: the share of students with full marks on the test (classical test theory
  calls this the item's difficulty or facility; high = easy);
- **discrimination** ``r``: the corrected item-total correlation, i.e. the Pearson correlation of
  the item score with the *rest* score (the total without this item), which for a pass/fail test
  is the point-biserial correlation. The rest score uses every question that all students have a
  score for (a written answer still waiting for a grade is left out of everybody's rest score,
  not counted as 0). ``r`` is NaN when the item or the rest score has no variance (everybody
  passes, or nobody does): the correlation is undefined, not zero;
- a 95% **confidence interval** for ``r`` by Fisher's z transformation,
  ``tanh(atanh(r) +- 1.96 / sqrt(n - 3))`` (needs n >= 4; an approximation for a point-biserial
  r with small n, so read it as a rough width);
- **flags**: "everyone passes" (p = 1) and "no one passes" (p = 0), always; "negative
  discrimination" (r < 0: stronger students fail it more often, often a wrong test or answer key),
  with "(interval excludes 0)" when the interval's upper end is below 0, only when the class has
  at least :data:`MIN_CLASS_FOR_VERDICT` students. Below that, discrimination is shown without a
  verdict: with 20 students the 95% interval of r = 0.3 runs from about -0.16 to 0.66, so smaller
  classes cannot tell a good item from a bad one (our choice of threshold).

Per written answer (:func:`manual_distribution`): how many students got each manual score, and
how many answers still wait for a grade.

Checked in ``tests/grading/platforms/test_item_analysis.py`` on data with known answers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: Below this many students no verdict on discrimination is given (see the module docstring).
MIN_CLASS_FOR_VERDICT = 20
Z95 = 1.959963984540054

COLUMNS = ["question", "max_score", "n", "difficulty", "discrimination", "ci_low", "ci_high",
           "flags"]


def fisher_interval(r: float, n: int) -> tuple[float, float]:
    """95% confidence interval of a correlation ``r`` from ``n`` pairs (Fisher z); NaNs when r
    is NaN or n < 4; (r, r) when |r| = 1."""
    if not np.isfinite(r) or n < 4:
        return float("nan"), float("nan")
    if abs(r) >= 1:
        return float(r), float(r)
    z, half = math.atanh(r), Z95 / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def item_statistics(scores: pd.DataFrame, min_class: int = MIN_CLASS_FOR_VERDICT) -> pd.DataFrame:
    """Difficulty, discrimination (with 95% interval) and flags per autograded test.

    Parameters
    ----------
    scores : per-question scores (see the module docstring); several notebooks are fine
        (questions are keyed by notebook and question when a ``notebook`` column exists).
    min_class : class size from which negative discrimination is flagged.

    Returns
    -------
    DataFrame with :data:`COLUMNS`, one row per autograded question, in the order first seen.
    """
    if scores.empty:
        return pd.DataFrame(columns=COLUMNS)
    df = scores.copy()
    df["item"] = (df["notebook"] + ":" + df["question"]) if "notebook" in df and \
        df["notebook"].nunique() > 1 else df["question"]
    # min_count=1: a pending written answer stays NaN (a plain sum would make it 0)
    wide = df.groupby(["student_id", "item"], sort=False)["score"].sum(min_count=1).unstack()
    complete = [c for c in wide.columns if wide[c].notna().all()]
    maxima = df.groupby("item")["max_score"].first()
    auto = [q for q in dict.fromkeys(df.loc[df["kind"] == "autograded", "item"])]
    n_students = len(wide)
    rows = []
    for item in auto:
        values = wide[item]
        have = values.notna()
        x = values[have].to_numpy(float)
        total = wide.loc[have, [c for c in complete if c != item]].sum(axis=1).to_numpy(float)
        n = int(have.sum())
        p = float(np.mean(x >= maxima[item])) if n else float("nan")
        r = _correlation(x, total)
        low, high = fisher_interval(r, n)
        flags = []
        if n and p == 1.0:
            flags.append("everyone passes")
        if n and p == 0.0:
            flags.append("no one passes")
        if np.isfinite(r) and r < 0 and n_students >= min_class:
            flags.append("negative discrimination" + (" (interval excludes 0)"
                                                      if high < 0 else ""))
        rows.append({"question": item, "max_score": float(maxima[item]), "n": n,
                     "difficulty": p, "discrimination": r, "ci_low": low, "ci_high": high,
                     "flags": ", ".join(flags)})
    return pd.DataFrame(rows, columns=COLUMNS)


def manual_distribution(scores: pd.DataFrame) -> pd.DataFrame:
    """Per written answer: max_score, n_scored, n_pending, and ``distribution`` ("score: count"
    pairs in ascending score order, e.g. "0: 1, 1.5: 2, 3: 4")."""
    manual = scores[scores["kind"] == "manual"]
    rows = []
    for question, group in manual.groupby("question", sort=False):
        scored = group["score"].dropna()
        counts = scored.value_counts().sort_index()
        rows.append({"question": question, "max_score": float(group["max_score"].iloc[0]),
                     "n_scored": int(len(scored)), "n_pending": int(group["score"].isna().sum()),
                     "distribution": ", ".join(f"{v:g}: {c}" for v, c in counts.items())
                     or "(none yet)"})
    return pd.DataFrame(rows, columns=["question", "max_score", "n_scored", "n_pending",
                                       "distribution"])


def markdown_section(items: pd.DataFrame, manual: pd.DataFrame, n_students: int,
                     figures: list[tuple[str, str]] | None = None,
                     min_class: int = MIN_CLASS_FOR_VERDICT) -> list[str]:
    """Lines of report.md's "Item analysis" section (level-2 heading, tables, figures).

    ``figures``: (file name relative to report.md, alt text) pairs.
    """
    lines = ["## Item analysis", "",
             "Difficulty is the share of students with full marks on a test; discrimination is "
             "the correlation of the test with the rest of the score (corrected item-total, "
             "point-biserial for pass/fail tests), with a 95% interval. It is undefined (nan) "
             "for a test without variance, and the interval is undefined with fewer than 4 "
             "students (Fisher's z needs n > 3)."]
    if n_students < min_class:
        lines.append(f"With {n_students} students (fewer than {min_class}) discrimination is "
                     "shown without a verdict: the intervals are too wide to judge a test.")
    lines.append("")
    if items.empty:
        lines += ["No autograded tests.", ""]
    else:
        table = items.copy()
        for column in ("difficulty", "discrimination", "ci_low", "ci_high"):
            table[column] = table[column].map(lambda v: "nan" if not np.isfinite(v) else f"{v:.2f}")
        table["95% interval"] = [f"[{a}, {b}]" for a, b in zip(table.pop("ci_low"),
                                                               table.pop("ci_high"))]
        lines += [_table(table), ""]
    lines += ["### Written answers: manual scores", ""]
    lines += [_table(manual) if not manual.empty else "No written answers.", ""]
    for path, alt in figures or []:
        lines += [f"![{alt}]({path})", ""]
    return lines


def _table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        out.append("| " + " | ".join(f"{v:g}" if isinstance(v, float) else str(v)
                                     for v in row) + " |")
    return "\n".join(out)


def write_item_analysis(out, scores: pd.DataFrame) -> list[str]:
    """Write ``item_analysis.csv``, ``manual_scores.csv``, ``score_histogram.png`` and
    ``item_analysis.png`` to the folder ``out``; return report.md's section lines.

    ``scores``: the graded students' per-question scores (see the module docstring).
    """
    from pathlib import Path

    from course_tools.report import figures

    out = Path(out)
    items = item_statistics(scores)
    manual = manual_distribution(scores)
    items.to_csv(out / "item_analysis.csv", index=False)
    manual.to_csv(out / "manual_scores.csv", index=False)
    n_students = scores["student_id"].nunique() if not scores.empty else 0
    if scores.empty:
        return markdown_section(items, manual, 0)
    per_student = scores.groupby("student_id")
    totals = per_student["score"].sum(min_count=1)
    maximum = float(per_student["max_score"].sum().max())
    shown = [("score_histogram.png",
              figures.score_histogram(totals, maximum, out / "score_histogram.png"))]
    if not items.empty:
        shown.append(("item_analysis.png", figures.item_figure(items, out / "item_analysis.png")))
    return markdown_section(items, manual, n_students, shown)
