"""The shared argument checks: every package words the same mistake the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cfresearch.checks import (
    check_choice,
    check_frame,
    check_level,
    check_unique,
    column_list,
    require_columns,
    weights_array,
)


def test_weights_column_or_array_in_errors_naming_what_was_expected():
    df = pd.DataFrame({"w": [1.0, np.nan, 2.0], "txt": ["a", "b", "c"]})
    assert weights_array(df, None, where="f") is None
    assert np.array_equal(weights_array(df, [1, 2, 3], where="f"), [1.0, 2.0, 3.0])
    assert np.isnan(weights_array(df, "w", where="f", allow_missing=True)[1])
    with pytest.raises(ValueError, match=r"f: weights 'w' must be finite and >= 0; 1 value\(s\) are missing"):
        weights_array(df, "w", where="f")
    with pytest.raises(ValueError, match="f: no weight column 'pw' in the data"):
        weights_array(df, "pw", where="f")
    with pytest.raises(ValueError, match="weight column 'txt' must be numeric"):
        weights_array(df, "txt", where="f")
    with pytest.raises(ValueError, match=r"base_weights has 2 values; expected one per row \(3\)"):
        weights_array(df, [1, 2], where="rake", what="base_weights")
    with pytest.raises(ValueError, match="1 value"):
        weights_array(df, [1, -1, 2], where="f", allow_missing=True)


def test_weights_without_a_frame_and_series_aligned_by_index():
    assert weights_array(None, [1, 2], where="nps", n=2).tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"nps: weights has 3 values; expected one per row \(2\)"):
        weights_array(None, [1, 2, 3], where="nps", n=2)
    with pytest.raises(ValueError, match="names a column, but there is no data frame"):
        weights_array(None, "w", where="nps", n=2)
    df = pd.DataFrame({"x": [1, 2, 3]}, index=[10, 11, 12])
    w = pd.Series([3.0, 1.0, 2.0], index=[12, 10, 11])
    assert weights_array(df, w, where="f").tolist() == [1.0, 2.0, 3.0]


def test_columns_are_named_with_a_near_miss_suggested():
    df = pd.DataFrame({"region": [1], "channel": [2]})
    require_columns(df, ["region"], where="banner")
    with pytest.raises(ValueError, match=r"banner: no column 'chanel' in the data \(did you mean 'channel'\?\)"):
        require_columns(df, ["chanel"], where="banner")
    with pytest.raises(ValueError, match=r"banner: no columns \['a', 'b'\] in the data; columns are"):
        require_columns(df, ["a", "b", "region"], where="banner")
    with pytest.raises(ValueError, match="no stub 'zzz'"):
        require_columns(df, ["zzz"], where="banner", what="stub")


def test_lists_names_choices_levels_and_frames():
    assert column_list(["a"], where="f") == ["a"]
    with pytest.raises(ValueError, match=r"write \['region'\]"):
        column_list("region", where="f")
    with pytest.raises(ValueError, match="must be a list of column names; got int"):
        column_list(3, where="f")
    check_unique(["a", "b"], where="f")
    with pytest.raises(ValueError, match=r"f: driver\(s\) listed twice: \['a'\]"):
        check_unique(["a", "b", "a", "a"], where="f", what="driver")
    assert check_choice("x", ("x", "y"), where="f", what="method") == "x"
    with pytest.raises(ValueError, match=r"f: method must be one of \('x', 'y'\); got 'z'"):
        check_choice("z", ("x", "y"), where="f", what="method")
    assert check_level(np.float64(0.9), where="f") == 0.9
    for bad in (0, 1, 1.5, -0.1, True, "0.95", None):
        with pytest.raises(ValueError, match=r"f: level must be between 0 and 1 \(e.g. 0.95\)"):
            check_level(bad, where="f")
    with pytest.raises(ValueError, match="f: data must be a pandas DataFrame; got dict"):
        check_frame({}, "f")
