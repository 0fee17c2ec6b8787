"""The results protocol (README, "Writing analyses"): every public function and result reads the same way.

* every public function has a runnable example in its docstring (the examples run in
  test_docstring_examples.py);
* a function that takes the respondents' DataFrame takes it first, as ``data``;
* result objects are frozen dataclasses with ``to_frame()`` (a DataFrame), ``summary()`` (text) and an
  escaped ``_repr_html_`` through the house table style;
* tables use one vocabulary: estimate, se, ci_low, ci_high, statistic, df, p, n, sum_w, effective_n.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cfresearch.categories
import cfresearch.checks
import cfresearch.data
import cfresearch.paths
import cfresearch.plots
import cfresearch.privacy
import cfresearch.profit as profit
import cfresearch.qual as qual
import cfresearch.survey as survey
import cfresearch.tables
import cfresearch.workbench as workbench
from cfresearch.results import Result

QUAL_MODULES = [importlib.import_module(f"cfresearch.qual.{m.name}") for m in pkgutil.iter_modules(qual.__path__)]
PROFIT_MODULES = [importlib.import_module(f"cfresearch.profit.{m.name}")
                  for m in pkgutil.iter_modules(profit.__path__)]
MODULES = [survey, *QUAL_MODULES, *PROFIT_MODULES, cfresearch.categories, cfresearch.checks, cfresearch.data,
           cfresearch.paths, cfresearch.plots, cfresearch.privacy, cfresearch.tables, workbench]
FUNCTIONS = [(m.__name__, name, getattr(m, name)) for m in MODULES
             for name in getattr(m, "__all__", [n for n in dir(m) if not n.startswith("_")])
             if inspect.isfunction(getattr(m, name))]
OLD_NAMES = {"p_value", "test_statistic", "z", "base", "base_unweighted", "base_weighted", "base_effective", "coef",
             "value", "score"}


@pytest.mark.parametrize("module, name, func", FUNCTIONS, ids=[f"{m}.{n}" for m, n, _ in FUNCTIONS])
def test_every_public_function_has_a_runnable_example(module, name, func):
    assert ">>>" in (func.__doc__ or ""), f"{module}.{name} has no example in its docstring"


#: DataFrame arguments that are not the respondents' data: results passed on, or a matrix to draw.
NOT_RESPONDENTS = {"changes", "snapshot", "rows", "performance", "matrix", "importance",
                   # focus groups: the study's own tables (corpus.py), not respondents
                   "codings", "turns", "participants", "auto", "reference", "frequencies", "pseudonyms", "table",
                   "frame",
                   # profitability: ledgers and per-customer summaries (transactions.py, ledger.py), not respondents
                   "transactions", "customers", "summary", "cal_hold", "values", "ledger"}


@pytest.mark.parametrize("module, name, func", FUNCTIONS, ids=[f"{m}.{n}" for m, n, _ in FUNCTIONS])
def test_the_data_frame_comes_first_as_data(module, name, func):
    params = list(inspect.signature(func).parameters.values())
    frames = [p.name for p in params if "DataFrame" in str(p.annotation) and p.name not in NOT_RESPONDENTS]
    if frames:
        assert params[0].name == "data", f"{module}.{name}: the DataFrame argument is {params[0].name!r}, not 'data'"


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    """One real instance of every result class, from the bundled sample data."""
    s = survey.load_survey(cfresearch.paths.sample_path("survey", "responses.csv"), on_invalid="set_missing")
    d = s.data
    targets = survey.load_targets(cfresearch.paths.sample_path("survey", "targets.yaml"), s.codebook)
    raking = survey.rake_by(d, targets, "wave", cap=5)
    d["weight"] = raking.weights
    design = survey.survey_design(d, weights="weight", strata="region", clusters="store_id", raking=raking)
    drivers = ["q_staff_friendliness", "q_delivery", "q_price_value"]
    items = d[drivers]
    return {
        "RakeResult": raking,
        "SurveyDesign": design,
        "BannerTable": survey.banner(d, ["csat", "channel"], ["region"], design=design),
        "NPSResult": survey.nps(d["nps"], d["weight"]),
        "NPSTest": survey.nps_test(d["nps"][:300], d["nps"][300:600]),
        "AlphaResult": survey.cronbach_alpha(items),
        "OmegaResult": survey.omega(items),
        "DriverResult": survey.key_drivers(d, "csat", drivers, design=design),
        "OrdinalResult": survey.ordinal_regression(d, "csat", drivers, design=design),
        "tables": [survey.weighted_estimate(d, "csat", design=design, by="region"),
                   survey.weighted_mean_diff_test(d, "csat", by="channel", groups=("Online", "In store"),
                                                  design=design),
                   survey.wave_change(d, {"NPS": {"column": "nps", "kind": "nps"}}, design=design),
                   survey.nps_by(d, "nps", "region", design=design),
                   survey.segment_profiles(d, "region", ["csat", "channel"], design=design)],
    }


RESULT_CLASSES = sorted(n for n in survey.__all__ if inspect.isclass(getattr(survey, n))
                        and issubclass(getattr(survey, n), Result))


def test_every_result_class_is_listed():
    assert RESULT_CLASSES == ["AlphaResult", "BannerTable", "DriverResult", "NPSResult", "NPSTest", "OmegaResult",
                              "OrdinalResult", "RakeResult", "SurveyDesign"]


@pytest.mark.parametrize("name", RESULT_CLASSES)
def test_results_are_frozen_and_show_themselves(results, name):
    res = results[name]
    cls = type(res)
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(res, dataclasses.fields(cls)[0].name, None)
    assert isinstance(res.to_frame(), pd.DataFrame) and len(res.to_frame())
    text = res.summary()
    assert isinstance(text, str) and text.strip()
    html = res._repr_html_()
    assert "<table" in html and "<script" not in html
    assert not OLD_NAMES & set(res.to_frame().columns), f"{name}: old column names"


def test_tables_use_one_vocabulary(results):
    for table in results["tables"] + [results["BannerTable"].chi2, results["BannerTable"].comparisons,
                                      results["BannerTable"].column_bases]:
        assert not OLD_NAMES & set(table.columns), sorted(OLD_NAMES & set(table.columns))
    est = results["tables"][0]
    assert {"estimate", "se", "ci_low", "ci_high", "n", "sum_w", "effective_n"} <= set(est.columns)
    assert {"statistic", "df", "p"} <= set(results["tables"][1].columns)


def test_repr_html_escapes_respondent_text():
    res = survey.nps_test(np.array([9.0, 10, 3]), np.array([2.0, 9, 10]))
    assert "<table" in res._repr_html_()
    table = survey.banner(pd.DataFrame({"q": pd.Categorical(["<img src=x onerror=alert(1)>", "ok"] * 20),
                                        "g": pd.Categorical(["a", "b"] * 20)}), ["q"], ["g"])
    html = table._repr_html_()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


QUAL_RESULT_CLASSES = sorted({n for m in QUAL_MODULES for n in getattr(m, "__all__", [])
                              if inspect.isclass(getattr(m, n)) and issubclass(getattr(m, n), Result)})


@pytest.fixture(scope="module")
def qual_results() -> dict[str, object]:
    """One real instance of every focus-group result class, from the bundled sample data."""
    base = cfresearch.paths.sample_dir() / "focus_groups"
    study = qual.load_focus_groups(base / "transcripts", base / "participants.csv", base / "codebook.yaml",
                                   base / "codings.csv")
    codings, turns = study.codings, study.turns
    a = codings[codings["coder"] == "Coder A"]
    pairs = qual.unit_codes(codings, turns).pivot_table(index=["document", "turn", "code"], columns="coder",
                                                        values="present").dropna()
    long = pairs.stack().rename("value").reset_index()
    long["unit"] = long["document"] + "#" + long["turn"].astype(str) + "#" + long["code"]
    with tempfile.TemporaryDirectory() as d:
        project = qual.import_qdpx(qual.export_qdpx(study.corpus, study.codebook, codings, Path(d) / "p.qdpx",
                                                    participants=study.participants))
    return {
        "CodeAgreementResult": study.agreement(bootstrap=50), "Corpus": study.corpus,
        "CohenKappaResult": qual.cohen_kappa(pairs["Coder A"], pairs["Coder B"]),
        "FleissKappaResult": qual.fleiss_kappa(long[["unit", "coder", "value"]]),
        "KrippendorffResult": qual.krippendorff_alpha(pairs.T.to_numpy()),
        "PercentAgreementResult": qual.percent_agreement(pairs.T.to_numpy()),
        "AccuracyResult": qual.autocode_accuracy(study.auto, a, turns), "AutocodeResult": study.auto,
        "Dictionary": qual.compile_dictionary(study.codebook), "QualCodebook": study.codebook,
        "CodeMatrix": qual.code_matrix(codings, turns), "Cooccurrence": qual.cooccurrence(codings, turns),
        "Quotes": qual.exemplar_quotes(codings, study.corpus, codebook=study.codebook), "QdaProject": project,
        "FocusGroupStudy": study,
    }


def test_every_qual_result_class_has_an_instance(qual_results):
    assert QUAL_RESULT_CLASSES == sorted(qual_results)


def _reads_as_a_result(res, name: str, shapes=("<table",)) -> None:
    """Frozen, with a non-empty frame, a summary and an escaped HTML view in one of ``shapes``."""
    cls = type(res)
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(res, dataclasses.fields(cls)[0].name, None)
    assert isinstance(res.to_frame(), pd.DataFrame) and len(res.to_frame())
    assert isinstance(res.summary(), str) and res.summary().strip()
    html = res._repr_html_()
    assert any(shape in html for shape in shapes) and "<script" not in html
    assert not OLD_NAMES & set(res.to_frame().columns), f"{name}: old column names"


@pytest.mark.parametrize("name", QUAL_RESULT_CLASSES)
def test_qual_results_are_frozen_and_show_themselves(qual_results, name):
    _reads_as_a_result(qual_results[name], name, shapes=("<table", "<blockquote"))


PROFIT_RESULT_CLASSES = sorted({n for m in PROFIT_MODULES for n in getattr(m, "__all__", [])
                                if inspect.isclass(getattr(m, n)) and issubclass(getattr(m, n), Result)})


@pytest.fixture(scope="module")
def profit_results() -> dict[str, object]:
    """One real instance of every profitability result class, from the bundled sample data."""
    base = cfresearch.paths.sample_dir() / "profitability"
    study = profit.load_profitability(base / "transactions.csv", base / "activities.csv", base / "cost_model.yaml",
                                      base / "customers.csv", start="2024-01-01", end="2025-12-31")
    value = study.lifetime_value()
    return {
        "BetaGeoModel": value.calibration["BG/NBD"], "ParetoNBDModel": value.calibration["Pareto/NBD"],
        "FittedModel": value.calibration["BG/NBD"], "GammaGammaModel": value.spend,
        "FrequencySpendCorrelation": value.frequency_spend, "HoldoutCheck": value.checks["BG/NBD"],
        "LifetimeValue": value, "CohortRetention": study.cohorts(),
        "SBGModel": profit.fit_sbg([1000, 631, 468, 382, 326]), "CostModel": study.cost_model,
        "CustomerLedger": study.ledger, "ServiceTiers": study.tiers(),
        "WhatIfResult": study.what_if("free_delivery", response=0.05), "RFMResult": study.rfm(),
        "ProfitabilityStudy": study, "LoadedTable": study.transactions,
        "ProfitabilityMatrix": profit.profitability_matrix(study.pnl), "WhaleCurve": study.whale(),
    }


def test_every_profit_result_class_has_an_instance(profit_results):
    assert PROFIT_RESULT_CLASSES == sorted(profit_results)


@pytest.mark.parametrize("name", PROFIT_RESULT_CLASSES)
def test_profit_results_are_frozen_and_show_themselves(profit_results, name):
    _reads_as_a_result(profit_results[name], name)
