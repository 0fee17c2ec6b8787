"""The deterministic survey sample data: byte-identical regeneration, the committed copy, and its stated model.

The generator's truth (truth.yaml) is checked against the data it produced: the planted invalid values are
found by an independent scan of the raw file, the sample is unbalanced against the population targets, the
driver ranking and the wave / customer-type effects are recoverable, and the employee scales' alpha
recorded in truth.yaml matches pingouin's cronbach_alpha run side by side (items reverse-keyed first).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import yaml
from scipy import stats

from cfresearch.cli import main as cli_main
from cfresearch.survey.drivers import key_drivers
from cfresearch.survey.loading import load_targets
from cfresearch.survey.sample import write_sample

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "survey"
FILES = ["responses.csv", "codebook.yaml", "targets.yaml", "employees.csv", "employees_codebook.yaml", "truth.yaml"]
ATTR = ["q_first_impression", "q_staff_friendliness", "q_product_knowledge", "q_speed_convenience",
        "q_problem_resolution", "q_delivery", "q_price_value", "q_keeping_promises"]
WHY = ["why_price", "why_quality", "why_location", "why_staff", "why_range", "why_recommended"]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("a")
    written = write_sample(dest)
    assert [p.name for p in written] == FILES and all(p.parent == dest for p in written)
    return dest


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "responses.csv", keep_default_na=False)


@pytest.fixture(scope="module")
def truth() -> dict:
    return yaml.safe_load((SAMPLE / "truth.yaml").read_text(encoding="utf-8"))


def test_byte_identical_from_run_to_run(fresh, tmp_path):
    write_sample(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (fresh / name).read_bytes(), name


def test_committed_files_equal_a_fresh_generation(fresh):
    for name in FILES:
        assert (SAMPLE / name).read_bytes() == (fresh / name).read_bytes(), (
            f"{name} differs from a fresh generation: run `make sample-data`")
    assert sorted(p.name for p in SAMPLE.iterdir()) == sorted(FILES)


def test_cli_sample_data_writes_all_studies(tmp_path, capsys):
    assert cli_main(["sample-data", "--out", str(tmp_path)]) == 0
    assert "wrote" in capsys.readouterr().out
    for name in FILES:
        assert (tmp_path / "survey" / name).read_bytes() == (SAMPLE / name).read_bytes()


def test_sizes_and_design(raw):
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())  # this study's sample only
    assert total < 1_000_000
    assert len(raw) == 2100 and raw["wave"].value_counts().to_dict() == {1: 700, 2: 700, 3: 700}
    assert raw["respondent_id"].is_unique and raw["email"].is_unique
    assert raw["email"].str.fullmatch(r"customer\d+@example\.com").all()
    # stores (clusters) nested in regions (strata), 8 per region, every store sampled in every wave
    assert (raw["store_id"] // 100 == raw["region"]).all()
    assert raw.groupby("region")["store_id"].nunique().tolist() == [8] * 5
    assert raw.groupby("wave")["store_id"].nunique().tolist() == [40] * 3
    assert set(raw.columns) >= {"interview_date", "age_group", "gender", "customer_type", "channel", "nps", "csat",
                                "ces", *ATTR, *WHY, "comment"}


def test_sample_is_unbalanced_against_the_targets(raw):
    targets = load_targets(SAMPLE / "targets.yaml")
    for var in ("region", "age_group", "gender"):
        assert sum(targets[var].values()) == pytest.approx(1, abs=1e-12)
    share = raw["region"].value_counts(normalize=True).sort_index().to_numpy()
    pop = np.array(list(targets["region"].values()))
    assert np.abs(share - pop).max() > 0.08  # Central: 24 % of the sample, 14 % of the population
    young = (raw["age_group"] == 1).mean()
    assert young - targets["age_group"]["18-34"] > 0.08
    assert (raw["gender"] == 1).mean() - targets["gender"]["Female"] > 0.04
    online_by_age = raw.groupby("age_group")["channel"].apply(lambda c: (c == 2).mean())
    assert online_by_age.is_monotonic_decreasing  # the young shop online


def test_invalid_values_are_exactly_those_listed_in_truth(raw, truth):
    """An independent scan of the raw file for every value outside the codebook's valid sets."""
    valid = {**{a: set(range(1, 6)) | {99} for a in ATTR}, **{w: {0, 1} for w in WHY},
             "nps": set(range(11)), "csat": set(range(1, 6)), "ces": set(range(1, 8)),
             "region": set(range(1, 6)), "age_group": set(range(1, 5)), "gender": {1, 2, 3},
             "customer_type": {1, 2, 3}, "channel": {1, 2, 3}, "wave": {1, 2, 3}}
    found = []
    for col, ok in valid.items():
        bad = ~raw[col].isin(ok)
        found += [{"respondent_id": raw.loc[i, "respondent_id"], "row": int(i) + 2, "column": col,
                   "value": int(raw.loc[i, col])} for i in np.flatnonzero(bad)]
    key = lambda v: (v["row"], v["column"])  # noqa: E731
    assert sorted(found, key=key) == sorted(truth["invalid_values"], key=key)
    kinds = sorted((v["column"].split("_")[0], v["value"]) for v in truth["invalid_values"])
    assert kinds == [("nps", 11), ("q", 6), ("q", 6), ("q", 6), ("why", 2)]


def test_dont_know_comments_and_multi_response(raw):
    att = raw[ATTR].to_numpy()
    assert 0.03 < (att == 99).mean() < 0.05
    # delivery is mostly "don't know" for in-store shoppers
    dk = raw.groupby("channel")["q_delivery"].apply(lambda s: (s == 99).mean())
    assert dk[1] > 3 * dk[2]
    comments = raw["comment"][raw["comment"] != ""]
    assert 0.35 < len(comments) / len(raw) < 0.45
    assert comments.str.contains(r"@example\.org").sum() >= 3
    assert comments.str.contains(r"07700 900\d{3}").sum() >= 3
    assert comments.str.contains("Maria").sum() >= 2
    for ch in ("<", "&", '"'):
        assert comments.str.contains(ch, regex=False).any(), ch
    rates = raw[WHY].where(raw[WHY] <= 1).mean()
    assert rates.between(0.1, 0.7).all()
    new, loyal = raw["customer_type"] == 1, raw["customer_type"] == 3
    assert raw.loc[new, "why_recommended"].mean() > raw.loc[loyal, "why_recommended"].mean() + 0.1


def test_outcome_model_is_recoverable(raw, truth):
    d = raw.copy()
    d[ATTR] = d[ATTR].where(d[ATTR] <= 5)
    res = key_drivers(d, "csat", ATTR)
    order = res.to_frame()["driver"].tolist()
    assert set(order[:2]) == {"q_problem_resolution", "q_keeping_promises"}
    assert set(order[-2:]) == {"q_first_impression", "q_delivery"}
    assert set(truth["csat"]["driver_rank"][:2]) == set(order[:2])
    assert set(truth["csat"]["driver_rank"][-2:]) == set(order[-2:])
    assert len(set(truth["csat"]["driver_weights"].values())) == 8  # distinct true weights
    # wave 3 is better on speed and delivery (the tracker's significant change)
    for a in ("q_speed_convenience", "q_delivery"):
        w1, w3 = d.loc[d["wave"] == 1, a].dropna(), d.loc[d["wave"] == 3, a].dropna()
        assert w3.mean() - w1.mean() > 0.3 and stats.ttest_ind(w3, w1).pvalue < 1e-6
    nps = lambda s: 100 * ((s >= 9).mean() - (s <= 6).mean())  # noqa: E731
    by_type = d[d["nps"] <= 10].groupby("customer_type")["nps"].apply(nps)
    assert by_type[3] > by_type[2] > by_type[1] and by_type[3] - by_type[1] > 30
    # csat is ordinal 1..5 with every category used; ces relates to speed
    assert sorted(d["csat"].unique()) == [1, 2, 3, 4, 5]
    assert d["ces"].corr(d["q_speed_convenience"]) > 0.2


def test_employee_scales_match_truth_and_pingouin():
    emp = pd.read_csv(SAMPLE / "employees.csv")
    t = yaml.safe_load((SAMPLE / "truth.yaml").read_text(encoding="utf-8"))["employees"]
    cb = yaml.safe_load((SAMPLE / "employees_codebook.yaml").read_text(encoding="utf-8"))
    assert len(emp) == 240 and emp["employee_id"].is_unique
    assert emp["department"].value_counts().sort_index().tolist() == [120, 60, 60]
    assert 0.005 < emp.filter(regex=r"_\d$").isna().to_numpy().mean() < 0.02
    for name, s in t["scales"].items():
        items = s["items"]
        assert [i for i in items if cb["variables"][i].get("reverse")] == s["reverse"]
        assert cb["scales"][name]["items"] == items
        keyed = emp[items].copy()
        keyed[s["reverse"]] = 6 - keyed[s["reverse"]]
        alpha, _ = pg.cronbach_alpha(keyed, nan_policy="listwise")
        assert alpha == pytest.approx(s["alpha_sample_listwise"], abs=5e-5), name
        # reverse-keyed items correlate negatively with the rest of their scale as answered
        rest = emp[[i for i in items if i not in s["reverse"]]].mean(axis=1)
        assert all(emp[r].corr(rest) < 0 for r in s["reverse"])
    alphas = {k: s["alpha_sample_listwise"] for k, s in t["scales"].items()}
    assert min(alphas, key=alphas.get) == "per" and 0.6 < alphas["per"] < 0.7
    assert sum(a >= 0.83 for a in alphas.values()) >= 4
