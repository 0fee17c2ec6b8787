"""Raking, post-stratification and Kish weight diagnostics.

Published references: R ``survey`` 4.5 ``rake()`` and ``postStratify()`` weights on apiclus1 (exported by
Survey.jl's ``test/r_reference``: ``rake_weights.csv``, ``poststratify_weights.csv``). Peer libraries run side
by side: svy 0.35 ``Sample.weighting.rake`` and samplics 0.6 ``SampleWeight.rake``. Fixture sources:
tests/fixtures/survey_design/README.md.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cfresearch.survey.weighting import RakeResult, RakingError, effective_n, kish_deff, post_stratify, rake

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "survey_design"
POP_TYPES = {"E": 4421, "H": 755, "M": 1018}
POP_SCHWIDE = {"No": 1072, "Yes": 5122}
# R: rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide)); weights(rk) has one value per
# stype × sch.wide cell (Survey.jl test/r_reference/rake_weights.csv, R survey 4.5).
R_RAKE_WEIGHTS = {("E", "Yes"): 29.8704638727345, ("E", "No"): 39.838509410554,
                  ("M", "Yes"): 36.7921816646831, ("M", "No"): 49.0700673992951,
                  ("H", "Yes"): 50.3301527726748, ("H", "No"): 67.1257826263303}
# R: postStratify(dclus1, ~stype, pop.types) (poststratify_weights.csv) = pw · N_h / N̂_h.


@pytest.fixture(scope="module")
def api() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "apiclus1.csv")


def _r_weights(api):
    return np.array([R_RAKE_WEIGHTS[(a, b)] for a, b in zip(api["stype"], api["sch.wide"])])


def test_rake_reproduces_r_weights(api):
    # R's rake() stops when no weight moved by more than control$epsilon = 1 between sweeps; on apiclus1
    # that is after 4 sweeps over (stype, sch.wide). Four sweeps of our cell-level IPF give R's weights to
    # 1e-12 relative, row by row (and R's svymean 641.230246862208 from rake_results.csv).
    res = rake(api, {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}, base_weights="pw", max_iter=4,
               on_nonconvergence="ignore")
    assert res.weights.to_numpy() == pytest.approx(_r_weights(api), rel=1e-12)
    mean = np.average(api["api00"], weights=res.weights)
    assert mean == pytest.approx(641.230246862208, abs=1e-9)


def test_rake_converged_matches_svy_and_samplics(api):
    import polars as pl
    import svy
    from samplics.weighting import SampleWeight

    controls = {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}
    res = rake(api, controls, base_weights="pw", tol=1e-12)
    assert res.converged and res.max_deviation < 1e-12
    sample = svy.Sample(pl.from_pandas(api), svy.Design(psu="dnum", wgt="pw"))
    peer = sample.weighting.rake(controls=controls, tol=1e-12, max_iter=1000)
    assert res.weights.to_numpy() == pytest.approx(peer.data["rk_wgt"].to_numpy(), rel=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sw = SampleWeight().rake(samp_weight=api["pw"].to_numpy(), control=controls, tol=1e-12, max_iter=1000,
                                 margins={"stype": api["stype"].to_numpy(), "sch.wide": api["sch.wide"].to_numpy()})
    assert res.weights.to_numpy() == pytest.approx(sw, rel=1e-9)
    # the converged weights are within 1e-4 of R's (which stops at its epsilon = 1 rule)
    assert res.weights.to_numpy() == pytest.approx(_r_weights(api), rel=1e-4)
    m = res.margins.set_index(["variable", "category"])
    assert m.loc[("stype", "E"), "weighted_total"] == pytest.approx(4421, rel=1e-12)
    assert m.loc[("sch.wide", "No"), "target"] == pytest.approx(1072 / 6194)


def test_shares_counts_and_total(api):
    counts = rake(api, {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}, base_weights="pw", tol=1e-12)
    shares = rake(api, {"stype": {k: v / 6194 for k, v in POP_TYPES.items()},
                        "sch.wide": {k: v / 6194 for k, v in POP_SCHWIDE.items()}}, total=6194, tol=1e-12)
    assert shares.weights.to_numpy() == pytest.approx(counts.weights.to_numpy(), rel=1e-9)
    # shares without a total: normalised to the sum of the base weights (n with no base weights)
    plain = rake(api, {"stype": {k: v / 6194 for k, v in POP_TYPES.items()}})
    assert plain.weights.sum() == pytest.approx(len(api))


def test_post_stratify_matches_r(api):
    ps = post_stratify(api, {"stype": POP_TYPES}, base_weights="pw")
    nhat = api.groupby("stype")["pw"].transform("sum")
    expected = api["pw"] * api["stype"].map(POP_TYPES) / nhat
    assert ps.weights.to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)
    # R postStratify(dclus1, ~stype, pop.types): E, H, M weights 30.7013888888889, 53.9285714285714, 40.72
    assert sorted(set(np.round(ps.weights, 9))) == pytest.approx([30.701388889, 40.72, 53.928571429])
    frame = pd.DataFrame({"stype": list(POP_TYPES), "Freq": list(POP_TYPES.values())})
    assert post_stratify(api, frame, base_weights="pw").weights.equals(ps.weights)
    joint = {("E", "No"): 100, ("E", "Yes"): 4321, ("H", "No"): 55, ("H", "Yes"): 700, ("M", "No"): 18,
             ("M", "Yes"): 1000}
    pj = post_stratify(api, {("stype", "sch.wide"): joint}, base_weights="pw")
    tot = pj.weights.groupby([api["stype"], api["sch.wide"]]).sum()
    assert tot.to_dict() == pytest.approx(joint)


def test_kish_measures():
    w = np.array([1.0, 1.0, 2.0, 2.0])
    assert kish_deff(w) == pytest.approx(4 * 10 / 36)
    assert effective_n(w) == pytest.approx(36 / 10)
    assert kish_deff(np.ones(5)) == 1.0
    with pytest.raises(ValueError, match="must be finite and >= 0"):
        kish_deff([1.0, -1.0])


def test_result_object(api):
    res = rake(api, {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}, base_weights="pw")
    assert isinstance(res, RakeResult)
    w = res.weights.to_numpy()
    assert res.deff == pytest.approx(len(w) * (w**2).sum() / w.sum() ** 2)
    assert res.efficiency == pytest.approx(1 / res.deff)
    assert res.effective_n == pytest.approx(len(w) / res.deff)
    assert res.weight_ratio == pytest.approx(w.max() / w.min())
    summ = res.diagnostics()
    assert summ.loc["converged", "value"] is True and summ.loc["iterations", "value"] == res.iterations
    frame = res.to_frame()
    assert list(frame.columns[:3]) == ["variable", "category", "target"]
    assert len(frame) == 5
    assert res.weights.index.equals(api.index)


def test_cap_holds_and_margins_met():
    rng = np.random.default_rng(7)
    n = 4000
    a = rng.choice(["a1", "a2", "a3"], n, p=[0.7, 0.2, 0.1])
    b = np.where(rng.random(n) < np.where(a == "a1", 0.8, 0.3), "b1", "b2")
    df = pd.DataFrame({"a": a, "b": b}, index=pd.RangeIndex(100, 100 + n))
    targets = {"a": {"a1": 0.3, "a2": 0.3, "a3": 0.4}, "b": {"b1": 0.4, "b2": 0.6}}
    free = rake(df, targets)
    assert free.weights.max() / free.weights.mean() > 4.2  # a3 needs an average weight of 4
    capped = rake(df, targets, cap=4.1, tol=1e-8)
    w = capped.weights
    assert capped.converged and capped.max_deviation < 1e-8
    assert w.max() <= 4.1 * w.mean() * (1 + 1e-9)
    assert (w > 4.1 * w.mean() * (1 - 1e-9)).sum() > 100  # the cap binds
    assert w.groupby(df["a"]).sum().to_numpy() / w.sum() == pytest.approx([0.3, 0.3, 0.4], abs=1e-8)
    trimmed = rake(df, targets, trim=(0.3, 4.15), tol=1e-8)
    assert trimmed.weights.min() >= 0.3 - 1e-9 and trimmed.weights.max() <= 4.15 + 1e-9
    assert trimmed.max_deviation < 1e-8
    # a non-binding cap gives the plain raking solution
    loose = rake(df, targets, cap=50.0, tol=1e-10)
    assert loose.weights.to_numpy() == pytest.approx(rake(df, targets, tol=1e-10).weights.to_numpy(), rel=1e-7)
    with pytest.raises(RakingError, match="unreachable"):
        rake(df, targets, trim=(None, 1.2))


def test_errors_name_variable_and_categories(api):
    with pytest.raises(ValueError, match=r"'stype'.*no target.*'M'"):
        rake(api, {"stype": {"E": 0.8, "H": 0.2}})
    with pytest.raises(ValueError, match=r"'stype'.*\['X'\].*do not occur"):
        rake(api, {"stype": {"E": 0.7, "H": 0.1, "M": 0.1, "X": 0.1}})
    bad = api.assign(stype=api["stype"].where(api.index > 2))
    with pytest.raises(ValueError, match=r"'stype' has 3 missing"):
        rake(bad, {"stype": POP_TYPES})
    with pytest.raises(ValueError, match="different population totals"):
        rake(api, {"stype": POP_TYPES, "sch.wide": {"No": 1, "Yes": 2}})
    with pytest.raises(ValueError, match="rake: no raking variable 'nope' in the data"):
        rake(api, {"nope": {"a": 1.0}})


def test_nonconvergence_raises_raking_error(api):
    with pytest.raises(RakingError, match=r"after 1 iterations: max deviation .* in margin 'stype'") as err:
        rake(api, {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}, base_weights="pw", max_iter=1, tol=1e-12)
    assert isinstance(err.value, ValueError)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        res = rake(api, {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}, max_iter=1, tol=1e-12,
                   on_nonconvergence="warn")
    assert not res.converged and res.iterations == 1


def test_categorical_columns_and_integer_codes():
    df = pd.DataFrame({
        "region": pd.Categorical(["North", "South", "South", "East"], categories=["North", "South", "East", "West"]),
        "code": [1, 2, 1, 2],
    })
    # unused categorical levels without a target are fine; integer categories match string keys
    res = rake(df, {"region": {"North": 0.3, "South": 0.4, "East": 0.3}, "code": {"1": 0.5, "2": 0.5}}, tol=1e-10)
    tot = res.weights.groupby(df["region"], observed=True).sum() / res.weights.sum()
    assert tot.to_dict() == pytest.approx({"North": 0.3, "South": 0.4, "East": 0.3})


def test_rake_by_rakes_each_group_separately_and_its_se_accounts_for_it():
    """Raking within waves = raking each wave alone; with the waves as strata the SE of a wave's mean equals
    the SE computed from that wave alone (domain = stratum), which checks the block-diagonal calibration."""
    from cfresearch.survey import rake_by, weighted_estimate

    rng = np.random.default_rng(11)
    n = 900
    df = pd.DataFrame({"wave": np.repeat([1, 2, 3], n // 3),
                       "sex": rng.choice(["F", "M"], n, p=[0.65, 0.35]),
                       "age": rng.choice(["y", "m", "o"], n, p=[0.5, 0.3, 0.2])})
    df["y"] = rng.normal(size=n) + (df["sex"] == "F") * 0.8 + (df["age"] == "o") * 0.5 + df["wave"] * 0.1
    targets = {"sex": {"F": 0.5, "M": 0.5}, "age": {"y": 0.3, "m": 0.4, "o": 0.3}}
    joint = rake_by(df, targets, "wave", cap=4)
    assert joint.converged and joint.method == "rake (bounded) within wave"
    assert list(joint.margins.columns[:2]) == ["wave", "variable"]
    se_joint = weighted_estimate(df, "y", by="wave", strata="wave", raking=joint).set_index("wave")
    for w in (1, 2, 3):
        part = df[df["wave"] == w]
        alone = rake(part, targets, cap=4)
        assert np.allclose(joint.weights[part.index], alone.weights, rtol=1e-12)
        est = weighted_estimate(part, "y", raking=alone).iloc[0]
        assert se_joint.loc[w, "estimate"] == pytest.approx(est["estimate"], rel=1e-12)
        assert se_joint.loc[w, "se"] == pytest.approx(est["se"], rel=1e-9)
    # ignoring the raking overstates the SE here (y depends on the raking variables)
    fixed = weighted_estimate(df.assign(w=joint.weights), "y", weights="w", by="wave", strata="wave")
    assert (fixed["se"].to_numpy() > se_joint["se"].to_numpy()).all()
    with pytest.raises(ValueError, match=r"wave = 2: rake: variable 'age': target categories \['o'\] do not occur"):
        rake_by(df[df["wave"] != 2].pipe(lambda d: pd.concat([d, df[(df.wave == 2) & (df.age != "o")]])),
                targets, "wave")
