"""Shared plotting conventions and the book's schematic diagrams.

Colours follow the Okabe-Ito palette, which stays distinguishable under the common forms of colour
vision deficiency (Okabe and Ito 2008, "Color Universal Design"). Every plotting helper also varies
line style or marker, so no figure relies on colour alone.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.collections import Collection, PathCollection
from matplotlib.colors import to_hex, to_rgba
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.text import Text

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
        ax.text(*label_xy, label, ha="center", va="center", fontsize=11)


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
    left.set_title("Phase 1: unilateral learning", fontsize=13)
    _box(left, (0.5, 0.8), "Foreign customer", OKABE_ITO[4])
    _box(left, (0.5, 0.2), "Chinese producer", OKABE_ITO[5])
    _arrow(left, (0.5, 0.69), (0.5, 0.31), OKABE_ITO[4], label="apprenticeship:\nknowledge flows\none way",
           label_xy=(0.78, 0.5))
    right.set_title("Phase 2: recursive mutual learning", fontsize=13)
    _box(right, (0.2, 0.75), "Multinational", OKABE_ITO[4])
    _box(right, (0.8, 0.75), "Chinese producer", OKABE_ITO[5])
    _box(right, (0.5, 0.18), "Corporate production\nsystem (CPS)", OKABE_ITO[3])
    _arrow(right, (0.38, 0.8), (0.62, 0.8), OKABE_ITO[4], rad=-0.3)
    _arrow(right, (0.62, 0.7), (0.38, 0.7), OKABE_ITO[5], style_="--", rad=-0.3)
    right.text(0.5, 0.52, "learning in both\ndirections", ha="center", va="center", fontsize=11)
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
        ax.text(year + 0.2, 0.97, text, va="top", fontsize=10)
    ax.tick_params(labelsize=11)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1, frameon=False, fontsize=10)
    fig.tight_layout()
    return fig


# --- Accessibility audit ---------------------------------------------------------------------------

#: Width in CSS pixels of the book's text column (sphinx-book-theme 1.3 at a 1280-pixel-wide window,
#: measured in the built book); wider figures are scaled down to it.
BOOK_COLUMN_PX = 672
#: Smallest height of figure text, in CSS pixels once the figure is scaled to the column, that we
#: accept as legible (our threshold: about the size of matplotlib's default 10-point tick labels in a
#: 9-inch-wide figure).
MIN_TEXT_PX = 10.0
#: Colour maps that are perceptually ordered and readable with the common colour vision deficiencies.
SAFE_COLORMAPS = frozenset({"viridis", "cividis", "magma", "inferno", "plasma", "Greys", "gray",
                            "binary", "gist_yarg"})
_PALETTE = {c.lower() for c in OKABE_ITO}
_LINE_PALETTE = _PALETTE - {"#f0e442"}  # yellow: fills only


def _hex(colour) -> str | None:
    """Hex code of a matplotlib colour, or None if it is fully transparent."""
    rgba = to_rgba(colour)
    return None if rgba[3] == 0 else to_hex(rgba, keep_alpha=False).lower()


def _colour_problem(colour, what: str, allowed: set[str]) -> str | None:
    code = _hex(colour)
    if code is None or code in allowed:
        return None
    r, g, b = code[1:3], code[3:5], code[5:7]
    if r == g == b:  # black, white and greys carry no hue
        return None
    return f"{what} uses colour {code}, which is not in the Okabe-Ito palette"


def _line_signature(line: Line2D) -> tuple:
    dashes = getattr(line, "_unscaled_dash_pattern", None)  # tells dash patterns apart
    return (line.get_linestyle(), str(dashes), str(line.get_marker()))


def _label(artist) -> str:
    label = str(artist.get_label() or "")
    return "unlabelled" if label.startswith("_") or not label else repr(label)


def figure_accessibility_problems(fig, column_px: float = BOOK_COLUMN_PX,
                                  min_text_px: float = MIN_TEXT_PX) -> list[str]:
    """Check a matplotlib figure against the course's accessibility conventions.

    Three checks: every colour drawn is an Okabe-Ito colour or a neutral grey (yellow only for
    fills) and every image uses a colour map from ``SAFE_COLORMAPS``; within each axes no two lines
    (or two scatter series, or two labelled filled areas) differ by colour alone, that is share line
    style and marker (or marker shape, or hatch); and all visible text is at least ``min_text_px``
    CSS pixels high once the figure, rendered at its own dpi, is scaled down to fit a column
    ``column_px`` pixels wide. The sizes are estimates from the figure's size in inches (a tight
    bounding box usually makes the saved image narrower, so the estimate errs on the safe side).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to check, after drawing.
    column_px : float, default BOOK_COLUMN_PX
        Width of the text column in CSS pixels; must be positive.
    min_text_px : float, default MIN_TEXT_PX
        Smallest acceptable text height in CSS pixels; must be positive.

    Returns
    -------
    list of str
        One human-readable sentence per problem; empty when the figure passes.

    Raises
    ------
    TypeError
        If ``fig`` is not a matplotlib figure.
    ValueError
        If ``column_px`` or ``min_text_px`` is not positive.
    """
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"expected a matplotlib Figure, got {type(fig).__name__}")
    if column_px <= 0 or min_text_px <= 0:
        raise ValueError("column_px and min_text_px must be positive")
    problems: list[str] = []
    # 1. Colours.
    for line in fig.findobj(Line2D):
        if line.get_visible():
            for what, colour in (("line", line.get_color()), ("marker face", line.get_markerfacecolor()),
                                 ("marker edge", line.get_markeredgecolor())):
                if not isinstance(colour, str) or colour not in ("none", "auto"):
                    problems.append(_colour_problem(colour, f"{what} of line {_label(line)}",
                                                    _LINE_PALETTE))
    for patch in fig.findobj(Patch):
        if patch.get_visible() and patch is not fig.patch:
            problems.append(_colour_problem(patch.get_facecolor(), f"fill of {_label(patch)}", _PALETTE))
            problems.append(_colour_problem(patch.get_edgecolor(), f"edge of {_label(patch)}",
                                            _LINE_PALETTE))
    for coll in fig.findobj(Collection):
        if not coll.get_visible():
            continue
        if coll.get_array() is not None:  # colours come from a colour map (heat map, coloured scatter)
            name = coll.get_cmap().name
            if name.removesuffix("_r") not in SAFE_COLORMAPS:
                problems.append(f"{_label(coll)} collection uses colour map {name!r}; use one of "
                                f"{sorted(SAFE_COLORMAPS)}")
            continue
        for colour in list(coll.get_facecolors()) + list(coll.get_edgecolors()):
            problems.append(_colour_problem(colour, f"collection {_label(coll)}", _PALETTE))
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip():
            problems.append(_colour_problem(text.get_color(), f"text {text.get_text()[:30]!r}",
                                            _LINE_PALETTE))
    for image in fig.findobj(AxesImage):
        name = image.get_cmap().name
        if name.removesuffix("_r") not in SAFE_COLORMAPS:
            problems.append(f"image uses colour map {name!r}; use one of {sorted(SAFE_COLORMAPS)}")
    # 2. Not colour alone.
    for i, ax in enumerate(fig.axes):
        seen: dict[tuple, tuple[str, Line2D]] = {}
        for line in ax.get_lines():
            if not line.get_visible() or len(line.get_xdata()) < 2:
                continue
            if line.get_linestyle() in ("None", "") and str(line.get_marker()) in ("_", "|"):
                continue  # error-bar caps belong to a series checked through its own line
            sig, colour = _line_signature(line), _hex(line.get_color())
            if sig in seen and seen[sig][0] != colour:
                problems.append(f"axes {i}: lines {_label(seen[sig][1])} and {_label(line)} differ "
                                "by colour alone (same line style and marker)")
            seen.setdefault(sig, (colour, line))
        shapes: dict[tuple, tuple[str, PathCollection]] = {}
        for coll in ax.collections:
            if not isinstance(coll, PathCollection) or not coll.get_visible() or not coll.get_paths():
                continue
            faces = {_hex(c) for c in coll.get_facecolors()} - {None}
            if coll.get_array() is not None:
                continue  # a colour-mapped scatter encodes a quantity; its map was checked above
            if len(faces) > 1:
                problems.append(f"axes {i}: scatter {_label(coll)} uses several colours in one "
                                "series; split it into series with different markers")
            shape = tuple(coll.get_paths()[0].vertices.round(2).ravel())
            colour = min(faces) if faces else None
            if shape in shapes and shapes[shape][0] != colour:
                problems.append(f"axes {i}: scatter series {_label(shapes[shape][1])} and "
                                f"{_label(coll)} differ by colour alone (same marker)")
            shapes.setdefault(shape, (colour, coll))
        fills: dict[str, tuple[str, object]] = {}
        for artist in list(ax.patches) + [c for c in ax.collections if not isinstance(c, PathCollection)]:
            if _label(artist) == "unlabelled" or not artist.get_visible():
                continue
            face = artist.get_facecolor()
            face = face[0] if getattr(face, "ndim", 1) == 2 and len(face) else face
            hatch, colour = str(artist.get_hatch()), _hex(face)
            if hatch in fills and fills[hatch][0] != colour:
                problems.append(f"axes {i}: filled areas {_label(fills[hatch][1])} and "
                                f"{_label(artist)} differ by colour alone (same hatch)")
            fills.setdefault(hatch, (colour, artist))
    # 3. Legible text.
    width_in = fig.get_figwidth()
    px_per_pt = min(fig.dpi, column_px / width_in) / 72.0
    small = {}
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip():
            size = text.get_fontsize() * px_per_pt
            if size < min_text_px - 1e-9:
                small.setdefault(round(size, 1), text.get_text().strip()[:30])
    for size, example in sorted(small.items()):
        problems.append(f"text {example!r} would be {size} px high in a {column_px:g}-px column "
                        f"(minimum {min_text_px:g} px); enlarge the font or narrow the figure")
    return [p for p in problems if p]
