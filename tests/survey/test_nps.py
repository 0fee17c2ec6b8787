"""NPS: shares, variance, adjusted-Wald interval, two-sample test, segment table.

References: the variance and the two-sample Wald test of R package NPS (Rocks; ``npvar``, ``nps.test``),
translated line by line below as the peer; the adjusted-Wald interval of Rocks (2016), The American
Statistician 70(4):365-372 (n + 3, ¾ added to promoters and to detractors), evaluated by exact coverage
(full enumeration of the trinomial, no simulation noise): it should be close to the nominal 95% at small n,
where the plain Wald interval under-covers. No published worked NPS interval could be retrieved offline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cfresearch.survey.nps import nps, nps_by, nps_test


def r_npvar(x):
    """R NPS::npvar, translated: props <- prop.table(x); (props[3] + props[1]) - (props[3] - props[1])^2."""
    props = np.asarray(x, float) / np.sum(x)
    return (props[2] + props[0]) - (props[2] - props[0]) ** 2


def r_nps_test(x, y, conf=0.95):
    """R NPS::nps.test(x, y) (two-sample Wald), translated; scores on −1..1 as in R."""
    def parts(v):
        d, pa, pr = (v <= 6).sum(), ((v >= 7) & (v <= 8)).sum(), (v >= 9).sum()
        return (pr - d) / len(v), r_npvar([d, pa, pr]), len(v)
    nx, vx, n_x = parts(x)
    ny, vy, n_y = parts(y)
    delta = abs(nx - ny)
    se = np.sqrt(vx / n_x + vy / n_y)
    return delta, se, 1 - (stats.norm.cdf(delta / se) * 2 - 1)


SCORES = np.array([10, 9, 9, 8, 7, 6, 3, 10, 10, 5, 0, 8, 9, 9, 7, 2, 10, 6, 9, 8])  # 9 P, 5 Pa, 6 D of 20


def test_score_shares_and_variance_match_multinomial_formula():
    r = nps(SCORES)
    assert (r.promoters, r.passives, r.detractors, r.n) == pytest.approx((0.45, 0.25, 0.30, 20))
    assert r.score == pytest.approx(15.0)
    # variance of the trinomial mean (+1/0/−1 per respondent) computed directly, and R's npvar / n
    t = np.select([SCORES >= 9, SCORES <= 6], [1.0, -1.0], 0.0)
    assert r.variance == pytest.approx(1e4 * t.var(ddof=0) / 20, rel=1e-12)
    assert r.variance == pytest.approx(1e4 * r_npvar([6, 5, 9]) / 20, rel=1e-12)
    assert r.se == pytest.approx(np.sqrt(r.variance))


def test_adjusted_wald_interval_by_hand():
    r = nps(SCORES, level=0.95)
    # Rocks (2016): n' = 20 + 3, p'_P = (9 + .75)/23, p'_D = (6 + .75)/23
    pp, pd_ = 9.75 / 23, 6.75 / 23
    centre = 100 * (pp - pd_)
    half = stats.norm.ppf(0.975) * 100 * np.sqrt((pp + pd_ - (pp - pd_) ** 2) / 23)
    assert (r.ci_low, r.ci_high) == pytest.approx((centre - half, centre + half), rel=1e-12)
    w = nps(SCORES, method="wald")
    assert (w.ci_low, w.ci_high) == pytest.approx((15 - 1.959964 * w.se, 15 + 1.959964 * w.se), rel=1e-6)
    assert "adjusted-wald" in r.summary() and r.to_frame().shape == (1, 12)


def _exact_coverage(n, p_pro, p_det, method):
    """P(interval covers the true NPS) summed over every trinomial outcome (n_P, n_D)."""
    n_p, n_d = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    ok = n_p + n_d <= n
    n_p, n_d = n_p[ok], n_d[ok]
    pmf = stats.multinomial.pmf(np.column_stack([n_p, n_d, n - n_p - n_d]), n, [p_pro, p_det, 1 - p_pro - p_det])
    true = 100 * (p_pro - p_det)
    cover = 0.0
    for a, b, pr in zip(n_p, n_d, pmf):  # ~230 outcomes for n = 20
        scores = np.r_[np.full(a, 10), np.full(b, 0), np.full(n - a - b, 7)]
        r = nps(scores, method=method)
        cover += pr * (r.ci_low <= true <= r.ci_high)
    return cover


@pytest.mark.parametrize("p_pro,p_det", [(0.6, 0.1), (0.3, 0.3), (0.8, 0.05)])
def test_adjusted_wald_coverage_near_nominal_where_wald_undercovers(p_pro, p_det):
    adj = _exact_coverage(20, p_pro, p_det, "adjusted_wald")
    wald = _exact_coverage(20, p_pro, p_det, "wald")
    assert abs(adj - 0.95) < abs(wald - 0.95)
    assert adj > 0.925
    assert wald < 0.95


def test_weights_frequency_equivalence_and_effective_n():
    w = np.r_[np.full(10, 2.0), np.ones(10)]
    r = nps(SCORES, w)
    rep = nps(np.repeat(SCORES, w.astype(int)))
    assert (r.score, r.promoters, r.detractors) == pytest.approx((rep.score, rep.promoters, rep.detractors))
    neff = w.sum() ** 2 / (w**2).sum()
    assert r.effective_n == pytest.approx(neff)
    assert r.variance == pytest.approx(1e4 * r_npvar([r.detractors, r.passives, r.promoters]) / neff)


def test_invalid_scores_and_missing():
    r = nps(np.r_[SCORES, np.nan, np.nan])
    assert r.n == 20
    with pytest.raises(ValueError, match="2 score"):
        nps(np.r_[SCORES, 99, 11])
    with pytest.raises(ValueError, match="method"):
        nps(SCORES, method="bootstrap")


def test_two_sample_test_matches_r_nps_test():
    rng = np.random.default_rng(5)
    a = rng.choice(11, 120, p=np.r_[np.full(7, 0.04), 0.1, 0.12, 0.2, 0.3])
    b = rng.choice(11, 90, p=np.r_[np.full(7, 0.07), 0.1, 0.1, 0.16, 0.15])
    t = nps_test(a, b)
    delta, se, p = r_nps_test(a, b)
    assert abs(t.diff) == pytest.approx(100 * delta, rel=1e-12)
    assert t.se == pytest.approx(100 * se, rel=1e-12)
    assert t.p == pytest.approx(p, rel=1e-9)
    assert t.diff == pytest.approx(nps(a).score - nps(b).score)
    assert "difference" in t.summary()


def test_nps_by_segments_vs_rest_and_reference():
    rng = np.random.default_rng(11)
    seg = rng.choice(["North", "South", "East"], 600)
    score = np.clip(np.round(rng.normal(7.5, 2, 600) + (seg == "North")), 0, 10)
    d = pd.DataFrame({"seg": pd.Categorical(seg, categories=["North", "South", "East"]), "nps": score,
                      "w": rng.uniform(0.5, 2, 600)})
    d.loc[:9, "nps"] = np.nan
    out = nps_by(d, "nps", "seg")
    assert out["segment"].tolist() == ["Total", "North", "South", "East"]
    ok = d["nps"].notna()
    for s in ["North", "South", "East"]:
        row = out.set_index("segment").loc[s]
        mine = d[ok & (d["seg"] == s)]["nps"]
        rest = d[ok & (d["seg"] != s)]["nps"]
        t = nps_test(mine, rest)
        assert (row["estimate"], row["diff"], row["diff_se"], row["p"]) == pytest.approx(
            (nps(mine).score, t.diff, t.se, t.p), rel=1e-10)
        r = nps(mine)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((r.ci_low, r.ci_high), rel=1e-10)
    ref = nps_by(d, "nps", "seg", weights="w", reference="South").set_index("segment")
    t = nps_test(d[ok & (d["seg"] == "East")]["nps"], d[ok & (d["seg"] == "South")]["nps"],
                 d[ok & (d["seg"] == "East")]["w"], d[ok & (d["seg"] == "South")]["w"])
    assert (ref.loc["East", "diff"], ref.loc["East", "p"]) == pytest.approx((t.diff, t.p), rel=1e-10)
    assert np.isnan(ref.loc["South", "p"])
    with pytest.raises(ValueError, match="reference"):
        nps_by(d, "nps", "seg", reference="Mars")


def test_nps_group_cuts_at_6_and_8_and_keeps_missing():
    from cfresearch.survey import nps_group

    g = nps_group(pd.Series([0, 6, 7, 8, 9, 10, np.nan]))
    assert g.cat.ordered and list(g.cat.categories) == ["Detractor (0-6)", "Passive (7-8)", "Promoter (9-10)"]
    assert g.cat.codes.tolist() == [0, 0, 1, 1, 2, 2, -1]
    # shares of the groups give the same score as nps()
    x = pd.Series([0, 3, 7, 9, 9, 10, 10, 8])
    shares = nps_group(x).value_counts(normalize=True, sort=False)
    assert 100 * (shares.iloc[2] - shares.iloc[0]) == pytest.approx(nps(x).score)
    with pytest.raises(ValueError, match="1 score"):
        nps_group(pd.Series([1, 11]))


def test_nps_by_with_a_design_is_the_linearised_mean_of_plus_minus_100():
    """With strata and clusters, each segment's NPS, its SE and its test against the rest are those of the
    weighted mean of sᵢ ∈ {−100, 0, 100} in the design (weighted_estimate / weighted_mean_diff_test, checked
    against R survey), and the adjusted-Wald interval uses the design's effective size."""
    from cfresearch.survey import survey_design, weighted_estimate, weighted_mean_diff_test
    from cfresearch.survey.nps import nps_scores

    rng = np.random.default_rng(3)
    n = 900
    store = rng.integers(0, 30, n)
    d = pd.DataFrame({"region": store % 3, "store": store, "w": rng.uniform(0.5, 2.0, n),
                      "seg": pd.Categorical(rng.choice(["a", "b", "c"], n), categories=["a", "b", "c"]),
                      "nps": np.clip(np.round(rng.normal(7, 2.5, n) + (store % 5 == 0) * 2), 0, 10)})
    d.loc[::17, "nps"] = np.nan
    design = survey_design(d, weights="w", strata="region", clusters="store")
    out = nps_by(d, "nps", "seg", design=design).set_index("segment")
    scores = d.assign(s=nps_scores(d["nps"]))
    est = weighted_estimate(scores, "s", design=design, by="seg").set_index("seg")
    for seg in "abc":
        assert (out.loc[seg, "estimate"], out.loc[seg, "se"]) == pytest.approx(
            (est.loc[seg, "estimate"], est.loc[seg, "se"]), rel=1e-10)
        test = weighted_mean_diff_test(scores.assign(inside=(d["seg"] == seg).astype(int)), "s", by="inside",
                                       design=design)
        assert (out.loc[seg, "diff"], out.loc[seg, "diff_se"], out.loc[seg, "p"]) == pytest.approx(
            (test["diff"][0], test["se"][0], test["p"][0]), rel=1e-10)
        pp, pdt = out.loc[seg, "promoters"], out.loc[seg, "detractors"]
        n_star = 1e4 * (pp + pdt - (pp - pdt) ** 2) / out.loc[seg, "se"] ** 2
        assert out.loc[seg, "effective_n"] == pytest.approx(n_star)
    total = weighted_estimate(scores, "s", design=design)
    assert (out.loc["Total", "estimate"], out.loc["Total", "se"]) == pytest.approx(
        (total["estimate"][0], total["se"][0]), rel=1e-10)
    ref = nps_by(d, "nps", "seg", design=design, reference="a").set_index("segment")
    pair = weighted_mean_diff_test(scores, "s", by="seg", groups=("a", "c"), design=design)
    assert (ref.loc["c", "diff"], ref.loc["c", "diff_se"]) == pytest.approx((pair["diff"][0], pair["se"][0]),
                                                                            rel=1e-10)
    assert np.isnan(ref.loc["a", "p"]) and ref.loc["c", "compared_with"] == "a"
