"""One check for respondent weights, shared by every analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cfresearch.survey.respondent_weights import weights_array


def test_column_or_array_in_errors_naming_what_was_expected():
    df = pd.DataFrame({"w": [1.0, np.nan, 2.0], "txt": ["a", "b", "c"]})
    assert weights_array(df, None, where="f") is None
    assert np.array_equal(weights_array(df, [1, 2, 3], where="f"), [1.0, 2.0, 3.0])
    assert np.isnan(weights_array(df, "w", where="f", allow_missing=True)[1])
    with pytest.raises(ValueError, match=r"f: weights 'w' must be finite and >= 0; 1 value\(s\) are missing"):
        weights_array(df, "w", where="f")
    with pytest.raises(ValueError, match="no weight column 'pw'"):
        weights_array(df, "pw", where="f")
    with pytest.raises(ValueError, match="weight column 'txt' must be numeric"):
        weights_array(df, "txt", where="f")
    with pytest.raises(ValueError, match=r"base_weights has 2 values; expected one per row \(3\)"):
        weights_array(df, [1, 2], where="rake", what="base_weights")
    with pytest.raises(ValueError, match="1 value"):
        weights_array(df, [1, -1, 2], where="f", allow_missing=True)
