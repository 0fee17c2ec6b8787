"""One house style for every chart in cfresearch reports (seaborn on matplotlib).

Each function draws one kind of chart from a tidy DataFrame and returns a :class:`Chart`: the matplotlib
Figure (already closed; ``chart.figure``, and every Figure attribute such as ``savefig`` or ``axes`` on the
chart itself) with an alternative text built from the chart's title, what it shows and its note. A
notebook cell ending in the call shows the chart once, as a PNG whose alt text reaches the HTML report, so
a screen reader can tell what the chart says. Colours come from one palette; text on coloured bars is dark
or white, whichever contrasts more (WCAG 2.1 contrast ratio); text is set by matplotlib, so labels taken
from data cannot inject markup into a report.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

#: The house palette: a dark blue for the main series, then a colour-blind-safe qualitative set.
PALETTE = ["#1f4e79", "#e07b39", "#3a9d5d", "#b8423a", "#7d5ba6", "#8c6d31", "#4fa3c7", "#999999"]
ACCENT, MUTED, GOOD, BAD = PALETTE[0], "#9aa5b1", PALETTE[2], PALETTE[3]


def apply_style() -> None:
    """Set the house style for matplotlib/seaborn (idempotent).

    >>> apply_style(); matplotlib.rcParams["axes.titlelocation"]
    'left'
    """
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    matplotlib.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 110, "figure.figsize": (7.5, 4.2),
        "axes.titleweight": "bold", "axes.titlesize": 12, "axes.titlelocation": "left",
        "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
    })


class Chart:
    """A chart for a report: the closed matplotlib Figure and its alternative text.

    In a notebook it shows as a PNG carrying ``alt`` (``_repr_mimebundle_``); every other attribute is the
    Figure's (``chart.savefig(...)``, ``chart.axes``)."""

    def __init__(self, figure: plt.Figure, alt: str):
        self.figure = figure
        self.alt = alt

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {"image/png": base64.b64encode(self.png()).decode("ascii"), "text/plain": f"<Chart: {self.alt}>"}
        return data, {"image/png": {"alt": self.alt}}

    def __getattr__(self, name):
        return getattr(self.figure, name)


def _finish(fig: plt.Figure, title: str | None, note: str | None, shows: str) -> Chart:
    """Title, note and layout; the figure closed (so it shows once) and wrapped with its alt text."""
    if title:
        fig.axes[0].set_title(title)
    if note:
        fig.text(0.01, 0.005, note, fontsize=8, color="#555555", ha="left", va="bottom")
    fig.tight_layout()
    plt.close(fig)
    alt = ". ".join(part.strip().rstrip(".") for part in (title, shows, note) if part and part.strip()) + "."
    return Chart(fig, alt)


def _listing(labels, values, fmt: str, most: int = 8) -> str:
    """ "a 1.0, b 2.0, …" for an alt text (the first ``most`` items)."""
    items = [f"{lab} {fmt.format(v)}" for lab, v in zip(labels, values)]
    return ", ".join(items[:most]) + (f" and {len(items) - most} more" if len(items) > most else "")


def _contrast(rgb) -> float:
    """Relative luminance of an sRGB colour (WCAG 2.1)."""
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def text_colour(background: str) -> str:
    """White or near-black text, whichever has the higher contrast ratio on ``background``.

    >>> text_colour("#bdc3c7"), text_colour("#1f4e79")
    ('#1a1a1a', 'white')
    """
    lum = _contrast(matplotlib.colors.to_rgb(background))
    dark = _contrast(matplotlib.colors.to_rgb("#1a1a1a"))
    return "white" if (1.05) / (lum + 0.05) >= (lum + 0.05) / (dark + 0.05) else "#1a1a1a"


def bar_ci(data: pd.DataFrame, label: str, value: str, low: str | None = None, high: str | None = None, *,
           title: str | None = None, xlabel: str | None = None, note: str | None = None,
           highlight: Sequence[str] = (), sort: bool = True, fmt: str = "{:.1f}") -> Chart:
    """Horizontal bars of ``value`` by ``label`` with optional interval whiskers [low, high].

    >>> d = pd.DataFrame({"driver": ["Price", "Staff"], "share": [60.0, 40.0], "lo": [50.0, 30], "hi": [70.0, 50]})
    >>> fig = bar_ci(d, "driver", "share", "lo", "hi", title="What explains satisfaction")
    >>> fig.axes[0].get_title(loc="left"), [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ('What explains satisfaction', ['Staff', 'Price'])
    """
    apply_style()
    d = data.sort_values(value, ascending=True) if sort else data.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7.5, max(2.2, 0.42 * len(d) + 1.0)))
    colours = [BAD if str(lbl) in set(map(str, highlight)) else ACCENT for lbl in d[label]]
    y = np.arange(len(d))
    ax.barh(y, d[value], color=colours, height=0.62)
    if low and high:
        err = np.vstack([d[value] - d[low], d[high] - d[value]])
        ax.errorbar(d[value], y, xerr=np.clip(err, 0, None), fmt="none", ecolor="#333333", capsize=3, lw=1)
    for yi, v in zip(y, d[value]):
        ax.annotate(fmt.format(v), (v, yi), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, [str(s) for s in d[label]])
    ax.set_xlabel(xlabel or value)
    ax.set_ylabel("")
    order = d.iloc[::-1]
    return _finish(fig, title, note, f"Bar chart of {xlabel or value}: {_listing(order[label], order[value], fmt)}")


def trend(data: pd.DataFrame, x: str, value: str, low: str | None = None, high: str | None = None, *,
          series: str | None = None, title: str | None = None, ylabel: str | None = None,
          note: str | None = None) -> Chart:
    """A line per ``series`` over ``x`` (waves of a tracker) with shaded intervals.

    >>> d = pd.DataFrame({"wave": ["Q1", "Q2", "Q1", "Q2"], "kpi": ["NPS", "NPS", "CSAT", "CSAT"],
    ...                   "est": [20.0, 25.0, 60.0, 62.0]})
    >>> len(trend(d, "wave", "est", series="kpi").axes[0].get_lines())
    2
    """
    apply_style()
    fig, ax = plt.subplots()
    groups = data.groupby(series, sort=False) if series else [(None, data)]
    for i, (name, g) in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)]
        xs = [str(v) for v in g[x]]
        ax.plot(xs, g[value], marker="o", color=colour, label=None if name is None else str(name))
        if low and high:
            ax.fill_between(xs, g[low], g[high], color=colour, alpha=0.15, lw=0)
    if series:
        ax.legend(loc="best", fontsize=8)
    ax.set_xlabel("")
    ax.set_ylabel(ylabel or value)
    lines = [f"{name}: {_listing(g[x], g[value], '{:.1f}')}" for name, g in
             (data.groupby(series, sort=False) if series else [(ylabel or value, data)])]
    return _finish(fig, title, note, f"Line chart by {x}; " + "; ".join(lines))


def quadrant(data: pd.DataFrame, x: str, y: str, label: str, *, x_split: float, y_split: float,
             quadrant_labels: dict[str, tuple[str, str]] | None = None, highlight: Sequence[str] = (),
             title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
             note: str | None = None) -> Chart:
    """A labelled scatter split into four quadrants at (x_split, y_split): the importance-performance grid.

    ``quadrant_labels`` maps a corner ("upper left", "upper right", "lower left", "lower right") to
    (text, colour) drawn in that corner.

    >>> d = pd.DataFrame({"imp": [30.0, 10.0], "perf": [3.2, 4.1], "name": ["Price", "Staff"]})
    >>> fig = quadrant(d, "imp", "perf", "name", x_split=20, y_split=3.6,
    ...                quadrant_labels={"lower right": ("Fix", "red")})
    >>> sorted(t.get_text() for t in fig.axes[0].texts)
    ['Fix', 'Price', 'Staff']
    """
    apply_style()
    fig, ax = plt.subplots(figsize=(7.5, 5.6))
    hl = set(map(str, highlight))
    colours = [BAD if str(v) in hl else ACCENT for v in data[label]]
    ax.scatter(data[x], data[y], s=60, color=colours, zorder=3)
    for _, row in data.iterrows():
        ax.annotate(str(row[label]), (row[x], row[y]), xytext=(6, 4), textcoords="offset points", fontsize=8)
    ax.axvline(x_split, color=MUTED, lw=1, ls="--")
    ax.axhline(y_split, color=MUTED, lw=1, ls="--")
    xr = data[x].max() - data[x].min() or 1.0
    yr = data[y].max() - data[y].min() or 1.0
    ax.set_xlim(data[x].min() - 0.12 * xr, data[x].max() + 0.3 * xr)
    ax.set_ylim(data[y].min() - 0.15 * yr, data[y].max() + 0.15 * yr)
    corners = {"upper left": (0.01, 0.99, "left", "top"), "upper right": (0.99, 0.99, "right", "top"),
               "lower left": (0.01, 0.01, "left", "bottom"), "lower right": (0.99, 0.01, "right", "bottom")}
    for corner, (text, colour) in (quadrant_labels or {}).items():
        cx, cy, ha, va = corners[corner]
        ax.text(cx, cy, text, transform=ax.transAxes, ha=ha, va=va, fontsize=9, color=colour, weight="bold")
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    marked = f"; marked: {', '.join(map(str, highlight))}" if len(highlight) else ""
    return _finish(fig, title, note, f"Scatter of {len(data)} items, {xlabel or x} across and {ylabel or y} up, "
                                     f"split at {x_split:.3g} and {y_split:.3g}{marked}")


def heatmap(matrix: pd.DataFrame, *, title: str | None = None, fmt: str = ".0f", center: float | None = None,
            cmap: str = "RdBu", note: str | None = None, cbar_label: str | None = None) -> Chart:
    """A labelled heatmap of a rows x columns table (profiles, code-by-segment matrices).

    >>> m = pd.DataFrame({"North": [0.2, -0.1], "South": [-0.3, 0.4]}, index=["Price", "Staff"])
    >>> [t.get_text() for t in heatmap(m, fmt="+.1f", center=0).axes[0].texts]
    ['+0.2', '-0.3', '-0.1', '+0.4']
    """
    apply_style()
    h = max(2.4, 0.4 * matrix.shape[0] + 1.4)
    w = max(5.0, 0.9 * matrix.shape[1] + 3.5)
    fig, ax = plt.subplots(figsize=(min(w, 11), h))
    sns.heatmap(matrix.astype(float), annot=True, fmt=fmt, cmap=cmap, center=center, linewidths=0.5,
                cbar_kws={"label": cbar_label} if cbar_label else None, ax=ax)
    ax.set_xlabel("")
    ax.set_ylabel("")
    names = [str(c) for c in matrix.columns]
    if matrix.shape[1] > 6 and max(map(len, names), default=0) > 6:  # many long labels: read them sideways
        ax.set_xticks(ax.get_xticks(), names, rotation=55, ha="right", rotation_mode="anchor")
    else:  # a few: wrapped on at most three lines under their columns
        ax.set_xticks(ax.get_xticks(), [textwrap.fill(n, 12, max_lines=3, placeholder="…") for n in names],
                      rotation=0)
    return _finish(fig, title, note, f"Heatmap of {matrix.shape[0]} rows ({', '.join(map(str, matrix.index[:8]))}) by "
                                     f"{matrix.shape[1]} columns ({', '.join(map(str, matrix.columns[:8]))})")


def stacked_shares(data: pd.DataFrame, label: str, parts: Sequence[str], *, colours: Sequence[str] | None = None,
                   title: str | None = None, note: str | None = None) -> Chart:
    """Horizontal 100% stacked bars (e.g. detractors / passives / promoters by segment), shares in 0..1.

    >>> d = pd.DataFrame({"seg": ["New"], "detractors": [0.2], "passives": [0.3], "promoters": [0.5]})
    >>> [t.get_text() for t in stacked_shares(d, "seg", ["detractors", "passives", "promoters"]).axes[0].texts]
    ['20%', '30%', '50%']
    """
    apply_style()
    fig, ax = plt.subplots(figsize=(7.5, max(2.0, 0.45 * len(data) + 1.2)))
    left = np.zeros(len(data))
    y = np.arange(len(data))
    colours = list(colours or PALETTE)
    for i, part in enumerate(parts):
        vals = data[part].to_numpy(dtype=float)
        colour = colours[i % len(colours)]
        ax.barh(y, vals, left=left, color=colour, label=part, height=0.6)
        for yi, (lft, v) in enumerate(zip(left, vals)):
            if v >= 0.06:
                ax.text(lft + v / 2, yi, f"{v:.0%}", ha="center", va="center", fontsize=8, color=text_colour(colour))
        left += vals
    ax.set_yticks(y, [str(s) for s in data[label]])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(ncol=len(parts), loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8)
    rows = [f"{row[label]}: " + ", ".join(f"{p} {row[p]:.0%}" for p in parts) for _, row in data.iterrows()]
    return _finish(fig, title, note, "Stacked bars; " + "; ".join(rows[:8]))
