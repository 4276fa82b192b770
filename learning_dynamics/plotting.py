"""Shared plotting conventions and the book's schematic diagrams.

Colours follow the Okabe-Ito palette, which stays distinguishable under the common forms of colour
vision deficiency (Okabe and Ito 2008, "Color Universal Design"). Every plotting helper also varies
line style or marker, so no figure relies on colour alone.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

#: Okabe-Ito colours, in the order we cycle through them (black first for the main series).
OKABE_ITO = (
    "#000000",  # black
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow (use only for fills: low contrast on white)
)
#: Line styles and markers paired with the colours above.
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)), "-")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def style(i: int) -> dict:
    """Keyword arguments (colour, line style, marker) for the i-th series of a line plot.

    Parameters
    ----------
    i : int
        Index of the series, 0 or more; indices wrap around after seven series.

    Raises
    ------
    ValueError
        If ``i`` is negative.
    """
    if i < 0:
        raise ValueError(f"series index must be >= 0, got {i}")
    k = i % 7
    return {"color": OKABE_ITO[k], "linestyle": LINESTYLES[k], "marker": MARKERS[k]}


def _box(ax, xy, text, colour):
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - 0.17, y - 0.09), 0.34, 0.18, boxstyle="round,pad=0.02",
                                facecolor="white", edgecolor=colour, linewidth=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def _arrow(ax, start, end, colour, style_="-", rad=0.0, label=None, label_xy=None):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=18, color=colour,
                                 linewidth=2, linestyle=style_,
                                 connectionstyle=f"arc3,rad={rad}"))
    if label:
        ax.text(*label_xy, label, ha="center", va="center", fontsize=10)


def learning_relations_figure():
    """Draw the two learning relations of Herrigel, Wittke and Voskamp (2013) side by side.

    Left panel: unilateral learning, one arrow of knowledge from the foreign customer to the Chinese
    producer (apprenticeship). Right panel: recursive mutual learning, arrows both ways between the
    Chinese producer and the multinational, with a corporate production system (CPS) as a codified
    routine shared by both. A schematic drawn by the course authors from the article's abstract; it
    encodes no data.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax in axes:
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")
    left, right = axes
    left.set_title("Phase 1: unilateral learning", fontsize=12)
    _box(left, (0.5, 0.8), "Foreign customer", OKABE_ITO[4])
    _box(left, (0.5, 0.2), "Chinese producer", OKABE_ITO[5])
    _arrow(left, (0.5, 0.69), (0.5, 0.31), OKABE_ITO[4], label="apprenticeship:\nknowledge flows\none way",
           label_xy=(0.78, 0.5))
    right.set_title("Phase 2: recursive mutual learning", fontsize=12)
    _box(right, (0.2, 0.75), "Multinational", OKABE_ITO[4])
    _box(right, (0.8, 0.75), "Chinese producer", OKABE_ITO[5])
    _box(right, (0.5, 0.18), "Corporate production\nsystem (CPS)", OKABE_ITO[3])
    _arrow(right, (0.38, 0.8), (0.62, 0.8), OKABE_ITO[4], rad=-0.3)
    _arrow(right, (0.62, 0.7), (0.38, 0.7), OKABE_ITO[5], style_="--", rad=-0.3)
    right.text(0.5, 0.52, "learning in both\ndirections", ha="center", va="center", fontsize=10)
    _arrow(right, (0.42, 0.28), (0.25, 0.64), OKABE_ITO[3], style_=":")
    _arrow(right, (0.58, 0.28), (0.75, 0.64), OKABE_ITO[3], style_=":")
    fig.tight_layout()
    return fig


def phases_timeline_figure():
    """Draw a timeline of the two phases of learning in Chinese manufacturing.

    Marks the post-1992 export-oriented push and China's 2001 accession to the World Trade
    Organization, the two dates the article's introduction uses (Herrigel, Wittke and Voskamp 2013),
    and the publication year 2013. The phases are drawn as overlapping bands, not as a dated switch:
    the course authors read the post-2001 home-market conditions as the start of the second phase
    (the book's interpretation; the article's abstract dates no switch), and unilateral relations
    need not end when mutual ones begin.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(9, 2.6))
    ax.set_xlim(1990, 2014)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.axvspan(1992, 2014, ymin=0.15, ymax=0.55, color=OKABE_ITO[2], alpha=0.35, hatch="//",
               label="Unilateral learning (export-oriented apprenticeship)")
    ax.axvspan(2001, 2014, ymin=0.55, ymax=0.95, color=OKABE_ITO[1], alpha=0.35, hatch="..",
               label="Recursive mutual learning (sophisticated home market)")
    for year, text in ((1992, "post-1992\nindustrialisation push"), (2001, "WTO accession"),
                       (2013, "article published")):
        ax.axvline(year, color="black", linestyle="--", linewidth=1)
        ax.text(year + 0.2, 0.97, text, va="top", fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1, frameon=False, fontsize=9)
    fig.tight_layout()
    return fig
