"""House style for tables and charts: escaped tables, charts that come back closed and drawable."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from cfresearch import plots
from cfresearch.tables import show


def test_show_escapes_values_labels_and_caption():
    df = pd.DataFrame({"<i>col</i>": ["<script>alert(1)</script>", "b"], "share": [0.1234, 0.5], "n": [1200, 3]})
    html = show(df, caption="Top <b>", percent=["share"]).to_html()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;i&gt;col&lt;/i&gt;" in html and "Top &lt;b&gt;" in html
    assert "12.3%" in html and "1,200" in html


def test_charts_return_closed_figures():
    before = len(plt.get_fignums())
    d = pd.DataFrame({"lab": ["a", "b", "c"], "v": [1.0, 3.0, 2.0], "lo": [0.5, 2.5, 1.5], "hi": [1.5, 3.5, 2.5],
                      "w": [1, 2, 3], "p": [0.2, 0.3, 0.5], "q": [0.8, 0.7, 0.5]})
    figs = [
        plots.bar_ci(d, "lab", "v", "lo", "hi", title="t", highlight=["b"]),
        plots.trend(d, "w", "v", "lo", "hi"),
        plots.quadrant(d, "v", "w", "lab", x_split=2, y_split=2,
                       quadrant_labels={"upper left": ("Fix", plots.BAD)}),
        plots.heatmap(d.set_index("lab")[["v", "w"]]),
        plots.stacked_shares(d, "lab", ["p", "q"]),
    ]
    assert len(plt.get_fignums()) == before
    for f in figs:
        assert f.axes and f.canvas.get_width_height()[0] > 0
    # bars are drawn in value order and the highlighted one in the warning colour
    labels = [t.get_text() for t in figs[0].axes[0].get_yticklabels()]
    assert labels == ["a", "c", "b"]


def test_text_columns_are_left_and_numbers_right_aligned():
    import re

    st = show(pd.DataFrame({"name": ["a", "b"], "n": [1, 2]}))
    html = st.to_html()
    # the table-wide td rule must not set alignment, or it would outrank the per-cell rules
    assert not re.search(r"td \{[^}]*text-align", html)
    left = re.findall(r"#T_\w+_row0_col0[^{]*\{[^}]*text-align: left", html)
    right = re.findall(r"#T_\w+_row0_col1[^{]*\{[^}]*text-align: right", html)
    assert left and right


def test_the_same_table_renders_the_same_html_twice():
    """Table ids and reprs come from the content, so a re-run notebook whose results did not change stays
    byte-identical (no diff in the committed notebooks); a different table gets different ids."""
    df = pd.DataFrame({"kpi": ["NPS"], "estimate": [33.8], "ci_low": [24.6], "ci_high": [42.9], "p": [0.0064]})
    a, b = show(df, caption="Headline", level=0.9), show(df.copy(), caption="Headline", level=0.9)
    assert a.to_html() == b.to_html() and repr(a) == repr(b) == "<Table: Headline (1 rows x 4 columns)>"
    assert show(df.assign(estimate=[33.9]), caption="Headline").to_html() != a.to_html()
    html = a.to_html()
    assert "90% CI" in html and "24.60 to 42.90" in html and "0.006" in html and "ci_low" not in html


def test_chart_alt_text_and_contrast():
    d = pd.DataFrame({"seg": ["New", "Loyal"], "det": [0.3, 0.1], "pas": [0.3, 0.2], "pro": [0.4, 0.7]})
    chart = plots.stacked_shares(d, "seg", ["det", "pas", "pro"], colours=["#c0392b", "#bdc3c7", "#1e8449"],
                                 title="Promoters by type", note="Weighted")
    assert chart.alt.startswith("Promoters by type. Stacked bars; New: det 30%, pas 30%, pro 40%")
    assert chart.alt.endswith("Weighted.")
    data, meta = chart._repr_mimebundle_()
    assert meta["image/png"]["alt"] == chart.alt and data["image/png"]
    grey = [t for t in chart.axes[0].texts if t.get_position()[1] == 0 and t.get_text() == "30%"][1]
    assert grey.get_color() == "#1a1a1a"  # dark text on the light grey bar (contrast > 4.5:1), not white
