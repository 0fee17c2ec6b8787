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
