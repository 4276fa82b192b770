"""The grading report's two figures, colour-blind-safe and with alt text (issue 16).

1. :func:`score_histogram`: the class's total scores;
2. :func:`item_figure`: per autograded test, difficulty (bars) and discrimination with its 95%
   interval (points with error bars).

Colours are from the Okabe-Ito palette (Okabe and Ito 2008, "Color Universal Design"), told apart
also by shape (bars against points) and labels, so that nothing depends on colour alone. Each
function writes a PNG and returns the alt text that describes what the figure shows, numbers
included, for report.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

BLUE, ORANGE, GREY = "#0072B2", "#E69F00", "#000000"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def score_histogram(totals: pd.Series, max_score: float, path: Path) -> str:
    """Histogram of total scores (0..max_score) to ``path``; returns its alt text."""
    plt = _pyplot()
    values = pd.Series(totals, dtype=float).dropna()
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=110)
    bins = np.linspace(0, max_score, int(min(max(max_score, 1), 20)) + 1) if max_score > 0 else 10
    ax.hist(values, bins=bins, color=BLUE, edgecolor=GREY)
    ax.set_xlabel(f"Total score (of {max_score:g})")
    ax.set_ylabel("Students")
    ax.set_title("Distribution of total scores")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    if values.empty:
        return "Histogram of total scores: no graded students."
    return (f"Histogram of the total scores of {len(values)} students, out of {max_score:g}: "
            f"median {values.median():g}, lowest {values.min():g}, highest {values.max():g}.")


def item_figure(items: pd.DataFrame, path: Path) -> str:
    """Difficulty and discrimination per autograded test to ``path``; returns its alt text."""
    plt = _pyplot()
    n = max(len(items), 1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 2.2 + 0.35 * n), dpi=110, sharex=True)
    x = np.arange(len(items))
    top.bar(x, items["difficulty"], color=BLUE, edgecolor=GREY)
    top.set_ylim(0, 1)
    top.set_ylabel("Difficulty\n(share full marks)")
    r = items["discrimination"].to_numpy(float)
    low = np.nan_to_num(r - items["ci_low"].to_numpy(float))
    high = np.nan_to_num(items["ci_high"].to_numpy(float) - r)
    bottom.errorbar(x, r, yerr=[low, high], fmt="o", color=ORANGE, ecolor=GREY, capsize=3)
    bottom.axhline(0, color=GREY, linewidth=0.8, linestyle="--")
    bottom.set_ylim(-1, 1)
    bottom.set_ylabel("Discrimination\n(r, 95% interval)")
    bottom.set_xticks(x, items["question"], rotation=45, ha="right")
    top.set_title("Autograded tests: difficulty and discrimination")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    if items.empty:
        return "Item figure: no autograded tests."
    parts = []
    for _, row in items.iterrows():
        disc = "undefined" if not np.isfinite(row["discrimination"]) else \
            f"{row['discrimination']:.2f}"
        parts.append(f"{row['question']} difficulty {row['difficulty']:.2f}, "
                     f"discrimination {disc}")
    return ("Two panels, one point per autograded test: share of students with full marks "
            "(bars) and correlation with the rest of the score (points with 95% intervals). "
            + "; ".join(parts) + ".")
