"""Calibration/holdout validation (profit/holdout.py) on CDNOW against a lifetimes 0.11.3 run on the same files:
the holdout counts of calibration_and_holdout_data, the conditional expectations by calibration frequency (FHL
2005a Figure 4), expected_cumulative_transactions (Figure 3), the expected calibration histogram (Figure 2) and
the Pareto/NBD probabilities P(X(t) = n). The predictions use the published BG/NBD and Pareto/NBD estimates.
Sources and the peer script: tests/fixtures/gammagamma/README.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from cfresearch.profit.bgnbd import BetaGeoModel, fit_bgnbd
from cfresearch.profit.cdnow import CALIBRATION_END, load_cdnow
from cfresearch.profit.holdout import (
    calibration_holdout,
    frequency_histogram,
    holdout_check,
    probability_of_purchases,
    repeat_purchases_by_period,
    tracking,
)
from cfresearch.profit.paretonbd import ParetoNBDModel

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}     # FHL (2005a)
PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}  # FHL (2005a), the Pareto/NBD beside it
HOLDOUT_END = "1998-06-30"

# lifetimes 0.11.3 (README): calibration_and_holdout_data(freq="D") and the BG/NBD at the published parameters
LT_HOLDOUT_ACTUAL_TOTAL = 1882
LT_CUSTOMERS_BY_BUCKET = [1411, 439, 214, 100, 62, 38, 29, 64]
LT_ACTUAL_BY_BUCKET = [0.23671155209071582, 0.6970387243735763, 1.3925233644859814, 1.56, 2.532258064516129,
                       2.9473684210526314, 3.8620689655172415, 6.359375]
LT_BG_PRED_TOTAL = 1653.9484276440487
LT_BG_PRED_BY_BUCKET = [0.225451018941146, 0.5231740720569024, 1.0441696190506584, 1.5202610034215376,
                        2.1638914902648168, 2.653868189667297, 3.5039921276897226, 6.157206064989672]
LT_BG_HIST_0_6 = [1406.5000429395664, 460.80753674189083, 192.70939580342883, 101.30669886815393,
                  59.93606080153344, 38.17855049550115, 25.589671967448805]
# expected_cumulative_transactions(t=546 days, freq_multiplier=7): actual cumulative repeat purchases, weeks 1-78
LT_TRACK_ACTUAL = [0, 19, 42, 81, 119, 192, 261, 351, 428, 504, 610, 733, 828, 914, 1005, 1078, 1149, 1222, 1286,
                   1359, 1414, 1484, 1517, 1573, 1672, 1746, 1800, 1840, 1885, 1973, 2032, 2069, 2132, 2192, 2239,
                   2290, 2342, 2395, 2457, 2507, 2563, 2612, 2671, 2718, 2803, 2864, 2923, 2968, 3038, 3104, 3153,
                   3183, 3234, 3276, 3329, 3357, 3404, 3444, 3490, 3533, 3598, 3677, 3727, 3786, 3844, 3879, 3915,
                   3962, 3991, 4035, 4077, 4112, 4141, 4183, 4231, 4279, 4311, 4339]
# ... and the BG/NBD's predicted cumulative at weeks 1, 13, 26, 39, 52, 65, 78
LT_TRACK_BG = {1: 4.412418089743077, 13: 723.6338006523109, 26: 1738.916075147347, 39: 2505.1430138667647,
               52: 3138.558418923032, 65: 3685.80470903621, 78: 4171.433582303192}
# Pareto/NBD P(X(t) = n), n = 0..6: conditional_probability_of_n_purchases_up_to_time(n, t, 0, 0, 0)
LT_PNBD_PMF = {1.0: [0.9524569682931419, 0.04435948947574635, 0.0029497339420189498, 0.00021587946978107383,
                     1.651918978867906e-05, 1.296975471173774e-06, 1.0354696813211526e-07],
               39.0: [0.5936250316023836, 0.16556294727717552, 0.08248718411631654, 0.04903995364281423,
                      0.03169570674428861, 0.02148482836182105, 0.015011183753149804],
               78.0: [0.5526718783999081, 0.15354080657545355, 0.07907691822604788, 0.049684653402803036,
                      0.0344214570612644, 0.025250639975049196, 0.01922204159349725]}
LT_PNBD_PRED_TOTAL = 1665.69788980647
LT_PNBD_PRED_BY_BUCKET = [0.13846644742587524, 0.5995447990713232, 1.1959654312735608, 1.714006048839659,
                          2.398560293320371, 2.9075142176352404, 3.8189707504500925, 6.403717629698226]
LT_TRACK_PNBD = {1: 4.213049014625622, 13: 712.0560310481088, 39: 2531.898238973646, 78: 4274.294366587659}
LT_PNBD_HIST_0_6 = [1434.2764810498775, 396.8190433295725, 193.4474307937208, 111.77952438693166,
                    69.96666135768113, 45.83845718187834, 30.91944365357975]


class _ParetoParams:
    """Only the parameters: probability_of_purchases integrates the Pareto/NBD itself."""

    params = PNBD


@pytest.fixture(scope="module")
def transactions():
    return load_cdnow("transactions")


@pytest.fixture(scope="module")
def cal_hold(transactions):
    return calibration_holdout(transactions, calibration_end=CALIBRATION_END, holdout_end=HOLDOUT_END)


@pytest.fixture(scope="module")
def bg():
    return BetaGeoModel.from_params(BG, unit="W")


@pytest.fixture(scope="module")
def rounded(cal_hold):
    """The published summary (weeks rounded to 2 decimals, as lifetimes used it) with the holdout counts."""
    return load_cdnow().merge(cal_hold[["customer_id", "birth", "frequency_holdout", "duration_holdout"]],
                              on="customer_id", validate="1:1")


def test_calibration_summary_reproduces_the_published_one(cal_hold):
    s = load_cdnow().set_index("customer_id").loc[cal_hold["customer_id"]]
    assert len(cal_hold) == 2357 and cal_hold["frequency"].sum() == 2457
    np.testing.assert_array_equal(cal_hold["frequency"], s["frequency"])
    for col in ("recency", "T", "monetary_value"):  # the file rounds weeks and dollars to two decimals
        np.testing.assert_allclose(cal_hold[col], s[col], atol=0.0051)
    assert (cal_hold["duration_holdout"] == 39).all() and cal_hold["birth"].min() == 0
    np.testing.assert_allclose(cal_hold["birth"] + cal_hold["T"], 272 / 7)  # everyone's calibration ends 1997-09-30


def test_holdout_counts_match_lifetimes(cal_hold):
    assert cal_hold["frequency_holdout"].sum() == LT_HOLDOUT_ACTUAL_TOTAL
    bucket = np.minimum(cal_hold["frequency"], 7)
    assert cal_hold.groupby(bucket).size().tolist() == LT_CUSTOMERS_BY_BUCKET
    np.testing.assert_allclose(cal_hold.groupby(bucket)["frequency_holdout"].mean(), LT_ACTUAL_BY_BUCKET, rtol=1e-12)
    assert (cal_hold.loc[cal_hold["frequency_holdout"] == 0, "monetary_value_holdout"] == 0).all()
    assert (cal_hold.loc[cal_hold["frequency_holdout"] > 0, "monetary_value_holdout"] > 0).all()


def test_repeat_purchases_by_period_match_lifetimes_tracking(transactions):
    weekly = repeat_purchases_by_period(transactions, end=HOLDOUT_END)
    assert weekly["period"].tolist() == list(range(1, 79))
    assert weekly["cumulative"].tolist() == LT_TRACK_ACTUAL
    daily = repeat_purchases_by_period(transactions, end=HOLDOUT_END, unit="D")
    assert len(daily) == 546 and daily["repeat_purchases"].sum() == LT_TRACK_ACTUAL[-1]


def test_conditional_expectations_by_frequency_match_lifetimes(bg, rounded):
    check = holdout_check(bg, rounded)
    table = check.by_frequency
    assert table["frequency"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["customers"].tolist() == LT_CUSTOMERS_BY_BUCKET
    np.testing.assert_allclose(table["actual"], LT_ACTUAL_BY_BUCKET, rtol=1e-12)
    np.testing.assert_allclose(table["predicted"], LT_BG_PRED_BY_BUCKET, rtol=1e-6)
    assert check.metric("total_predicted") == pytest.approx(LT_BG_PRED_TOTAL, rel=1e-6)
    assert check.metric("total_actual") == LT_HOLDOUT_ACTUAL_TOTAL
    assert check.metric("percent_error") == pytest.approx((LT_BG_PRED_TOTAL / 1882 - 1) * 100, rel=1e-5)
    pred = check.predictions
    assert check.metric("mae") == pytest.approx(np.abs(pred["predicted"] - pred["actual"]).mean())
    assert check.metric("correlation") == pytest.approx(np.corrcoef(pred["predicted"], pred["actual"])[0, 1])
    assert check.summary().startswith("Holdout check of BG/NBD on 2,357 customers over 39 weeks: predicted 1,653.9")


def test_tracking_matches_lifetimes_expected_cumulative_transactions(bg, cal_hold, transactions):
    weekly = repeat_purchases_by_period(transactions, end=HOLDOUT_END)
    check = holdout_check(bg, cal_hold, actual_by_period=weekly["repeat_purchases"])
    track = check.tracking.set_index("period")
    assert len(track) == 78 and track["actual_cumulative"].tolist() == LT_TRACK_ACTUAL
    for week, value in LT_TRACK_BG.items():
        assert track.loc[week, "predicted_cumulative"] == pytest.approx(value, rel=1e-9)
    np.testing.assert_allclose(track["predicted"].sum(), LT_TRACK_BG[78], rtol=1e-12)
    assert not track.loc[39, "holdout"] and track.loc[40, "holdout"] and track["holdout"].sum() == 39
    # the same from the births alone (e.g. aggregated in a database)
    alone = tracking(bg, cal_hold["birth"], periods=78)
    np.testing.assert_allclose(alone["predicted_cumulative"], track["predicted_cumulative"], rtol=1e-12)


def test_pareto_nbd_holdout_check_matches_lifetimes(cal_hold, rounded):
    pn = ParetoNBDModel.from_params(PNBD, unit="W")
    check = holdout_check(pn, rounded)
    np.testing.assert_allclose(check.by_frequency["predicted"], LT_PNBD_PRED_BY_BUCKET, rtol=1e-9)
    assert check.metric("total_predicted") == pytest.approx(LT_PNBD_PRED_TOTAL, rel=1e-9)
    np.testing.assert_allclose(check.histogram["expected"][:7], LT_PNBD_HIST_0_6, rtol=1e-9)
    track = holdout_check(pn, cal_hold).tracking.set_index("period")
    for week, value in LT_TRACK_PNBD.items():
        assert track.loc[week, "predicted_cumulative"] == pytest.approx(value, rel=1e-9)


def test_calibration_histogram_matches_lifetimes(bg, rounded):
    hist = frequency_histogram(bg, rounded)
    assert hist["actual"].tolist() == LT_CUSTOMERS_BY_BUCKET
    np.testing.assert_allclose(hist["expected"][:7], LT_BG_HIST_0_6, rtol=1e-6)
    assert hist["expected"].sum() == pytest.approx(2357)
    pn = frequency_histogram(_ParetoParams(), rounded)
    np.testing.assert_allclose(pn["expected"][:7], LT_PNBD_HIST_0_6, rtol=1e-9)


@pytest.mark.parametrize("t", sorted(LT_PNBD_PMF))
def test_pareto_nbd_probabilities_match_lifetimes(t):
    got = [float(probability_of_purchases(_ParetoParams(), [t], n)[0]) for n in range(7)]
    np.testing.assert_allclose(got, LT_PNBD_PMF[t], rtol=1e-9)


def test_probabilities_sum_to_one_and_to_the_expected_purchases():
    """Σₙ P(X(t) = n) = 1 and Σₙ n·P(X(t) = n) = E[X(t)] in closed form: the Pareto/NBD's
    rβ/(α(s − 1))·[1 − (β/(β + t))^(s − 1)] (Schmittlein, Morrison & Colombo 1987) and the BG/NBD's FHL eq. 9."""
    t = np.array([1.0, 10.0, 39.0, 78.0])
    n = np.arange(600)[:, None]
    r, alpha, s, beta = PNBD.values()
    pn = probability_of_purchases(_ParetoParams(), t, n)
    np.testing.assert_allclose(pn.sum(axis=0), 1.0, atol=1e-12)
    mean = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))
    np.testing.assert_allclose((n * pn).sum(axis=0), mean, rtol=1e-10)
    r, alpha, a, b = BG.values()
    pb = probability_of_purchases(BetaGeoModel.from_params(BG), t, n)
    np.testing.assert_allclose(pb.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose((n * pb).sum(axis=0),
                               (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1,
                                                                                              t / (alpha + t))),
                               rtol=1e-9)


def test_pre_aggregated_tables_are_enough(bg, rounded):
    """Only frequency, recency, T, frequency_holdout, duration_holdout: no birth, so no tracking (btyd#50)."""
    table = rounded[["frequency", "recency", "T", "frequency_holdout", "duration_holdout"]]
    check = holdout_check(bg, table)
    assert check.tracking is None and check.histogram is not None
    assert check.metric("total_predicted") == pytest.approx(LT_BG_PRED_TOTAL, rel=1e-6)
    with pytest.raises(ValueError, match="no column 'duration_holdout'"):
        holdout_check(bg, table.drop(columns="duration_holdout"))


def test_fitted_model_end_to_end(cal_hold, transactions):
    model = fit_bgnbd(load_cdnow(), unit="W")
    weekly = repeat_purchases_by_period(transactions, end=HOLDOUT_END)
    check = holdout_check(model, cal_hold, actual_by_period=weekly["repeat_purchases"])
    assert check.metric("total_predicted") == pytest.approx(LT_BG_PRED_TOTAL, rel=2e-3)
    assert check.tracking["predicted_cumulative"].iloc[-1] == pytest.approx(LT_TRACK_BG[78], rel=2e-3)
    frame = check.to_frame()
    assert list(frame.columns) == ["measure", "estimate"] and "bucket_mae" in frame["measure"].tolist()


def test_calibration_holdout_checks_its_input(transactions):
    with pytest.raises(ValueError, match="must be after calibration_end"):
        calibration_holdout(transactions, calibration_end=HOLDOUT_END, holdout_end=CALIBRATION_END)
    with pytest.raises(ValueError, match="unit must be one of"):
        calibration_holdout(transactions, calibration_end=CALIBRATION_END, holdout_end=HOLDOUT_END, unit="M")
    late = pd.DataFrame({"customer_id": ["z"], "date": [pd.Timestamp("1998-01-05")], "revenue": [9.0]})
    out = calibration_holdout(pd.concat([transactions, late]), calibration_end=CALIBRATION_END,
                              holdout_end=HOLDOUT_END)
    assert "z" not in set(out["customer_id"]) and len(out) == 2357  # born after the calibration: not in the cohort
