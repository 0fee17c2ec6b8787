"""Wave-on-wave KPI change: known answers on synthetic data.

References: for an unweighted simple random sample the change test reduces to the two-sample z-test
(scipy ``ttest_ind(equal_var=False)`` side by side, up to the n/(n−1) factors of the with-replacement
estimator), the NPS variance to R ``NPS::npvar`` [p_P + p_D − (p_P − p_D)²]/n (Rocks 2016), and every wave
estimate and SE to :func:`weighted_estimate` with ``by=wave``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cfresearch.survey.estimates import weighted_estimate, weighted_mean_diff_test
from cfresearch.survey.waves import kpi_scores, wave_change


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 2100
    wave = np.repeat([1, 2, 3], n // 3)
    store = rng.integers(0, 40, n)
    region = store // 8
    effect = rng.normal(0, 0.4, 40)[store]
    csat = np.clip(np.round(3.4 + 0.25 * (wave == 3) + effect + rng.normal(0, 1, n)), 1, 5)
    nps = np.clip(np.round(7 + 0.6 * (wave >= 2) + 2 * effect + rng.normal(0, 2, n)), 0, 10)
    csat[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({"wave": wave, "store_id": store, "region": region, "csat": csat, "nps": nps,
                         "w": rng.uniform(0.5, 2.0, n)})


def test_srs_change_is_the_two_sample_test(survey):
    res = wave_change(survey, {"CSAT": "csat"})
    assert res["wave"].tolist() == [1, 2, 3] and np.isnan(res["change"].iloc[0])
    n_all = len(survey)
    for w in (2, 3):
        a = survey.loc[survey["wave"] == w - 1, "csat"].dropna()
        b = survey.loc[survey["wave"] == w, "csat"].dropna()
        row = res.iloc[w - 1]
        assert row["change"] == pytest.approx(b.mean() - a.mean(), rel=1e-12)
        # with-replacement linearisation: Σ(y − ȳ_d)²/n_d² per wave, times n/(n−1) over the whole sample;
        # independent waves have zero covariance
        var = sum(((x - x.mean()) ** 2).sum() / len(x) ** 2 for x in (a, b)) * n_all / (n_all - 1)
        assert row["change_se"] == pytest.approx(np.sqrt(var), rel=1e-10)
        welch = stats.ttest_ind(b, a, equal_var=False)
        assert row["statistic"] == pytest.approx(welch.statistic, rel=2e-3)
        assert row["p"] == pytest.approx(welch.pvalue, rel=0.05, abs=1e-4)
    assert bool(res["significant"].iloc[2]) == (res["p"].iloc[2] < 0.05)


def test_nps_variance_is_npvar():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 11, 800).astype(float)
    df = pd.DataFrame({"wave": 1, "nps": y})
    res = wave_change(df, {"NPS": {"column": "nps", "kind": "nps"}}).iloc[0]
    p_p, p_d = (y >= 9).mean(), (y <= 6).mean()
    assert res["estimate"] == pytest.approx(100 * (p_p - p_d))
    npvar = (p_p + p_d - (p_p - p_d) ** 2) / len(y)  # R NPS::npvar
    assert res["se"] == pytest.approx(100 * np.sqrt(npvar * len(y) / (len(y) - 1)), rel=1e-12)


def test_design_based_change_agrees_with_weighted_estimate(survey):
    design = {"weights": "w", "strata": "region", "clusters": "store_id"}
    kpis = {"CSAT": "csat", "NPS": {"column": "nps", "kind": "nps"},
            "CSAT top-2": {"column": "csat", "kind": "top_box", "values": [4, 5]}}
    res = wave_change(survey, kpis, **design)
    assert res["kpi"].tolist() == ["CSAT"] * 3 + ["NPS"] * 3 + ["CSAT top-2"] * 3
    csat = weighted_estimate(survey, "csat", by="wave", **design)
    got = res[res["kpi"] == "CSAT"]
    assert got["estimate"].to_numpy() == pytest.approx(csat["estimate"].to_numpy(), rel=1e-12)
    assert got["se"].to_numpy() == pytest.approx(csat["se"].to_numpy(), rel=1e-12)
    assert got["n"].tolist() == csat["n"].tolist()
    top = weighted_estimate(survey.assign(t2=survey["csat"].isin([4, 5]).astype(float).where(survey["csat"].notna())),
                            "t2", by="wave", kind="mean", **design)
    assert res[res["kpi"] == "CSAT top-2"]["estimate"].to_numpy() == pytest.approx(100 * top["estimate"].to_numpy())
    # the change and its SE are the domain difference of weighted_mean_diff_test (shared stores → covariance)
    diff = weighted_mean_diff_test(survey, "csat", by="wave", groups=(2, 3), **design).iloc[0]
    row = got.iloc[2]
    assert row["change"] == pytest.approx(diff["diff"], rel=1e-12)
    assert row["change_se"] == pytest.approx(diff["se"], rel=1e-12)
    assert row["p"] == pytest.approx(diff["p"], rel=1e-10)
    naive = np.sqrt(got["se"].iloc[2] ** 2 + got["se"].iloc[1] ** 2)
    assert row["change_se"] != pytest.approx(naive, rel=1e-3)  # the covariance matters


def test_kpi_scores_and_errors(survey):
    s = kpi_scores(pd.DataFrame({"r": [0, 6, 7, 8, 9, 10, np.nan]}), {"column": "r", "kind": "nps"})
    assert s.tolist()[:6] == [-100, -100, 0, 0, 100, 100] and np.isnan(s.iloc[6])
    with pytest.raises(ValueError, match="needs 'values'"):
        wave_change(survey, {"x": {"column": "csat", "kind": "top_box"}})
    with pytest.raises(ValueError, match="kind must be one of"):
        wave_change(survey, {"x": {"column": "csat", "kind": "median"}})
    with pytest.raises(ValueError, match="wave column 'round'"):
        wave_change(survey, {"x": "csat"}, wave="round")
    with pytest.raises(ValueError, match="outside the 0..10 scale"):
        wave_change(survey.assign(nps=survey["nps"] + 5), {"x": {"column": "nps", "kind": "nps"}})


def test_wave_snapshot_picks_the_latest_wave_and_states_the_direction():
    from cfresearch.survey import wave_snapshot

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"wave": np.repeat([1, 2, 3], 400), "x": np.r_[rng.normal(3, 1, 800), rng.normal(3.5, 1, 400)]})
    table = wave_change(df, {"X": "x"})
    snap = wave_snapshot(table)
    assert snap["wave"].tolist() == [3] and snap["direction"].tolist() == ["up"]
    assert snap["previous"].iloc[0] == pytest.approx(df.loc[df.wave == 2, "x"].mean())
    assert wave_snapshot(table, 2)["direction"].tolist() == ["no significant change"]
    with pytest.raises(ValueError, match="waves are"):
        wave_snapshot(table, 7)


def test_describe_snapshot_states_estimate_interval_and_verdict():
    from cfresearch.survey import describe_snapshot, wave_snapshot

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"wave": np.repeat([1, 2], 400), "x": np.r_[rng.normal(3, 1, 400), rng.normal(3.5, 1, 400)]})
    snap = wave_snapshot(wave_change(df, {"X": "x"}, level=0.9))
    text = describe_snapshot(snap, level=0.9, decimals=2)
    r = snap.iloc[0]
    assert text.startswith(f"X: {r.estimate:.2f} (90% CI {r.ci_low:.2f} to {r.ci_high:.2f}); previous wave")
    assert f"change +{r.change:.2f}" in text and text.endswith("significant)") and "not significant" not in text
    assert describe_snapshot(snap, decimals={"X": 3}).startswith(f"X: {r.estimate:.3f} (95% CI")
