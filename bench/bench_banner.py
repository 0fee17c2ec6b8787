"""Benchmark: a weighted banner table on 1,000,000 respondents, 20 stubs × 10 banner columns, with letters.

Run: ``python bench/bench_banner.py`` (about a minute). Builds the data once, then times, best of 3:

* cfresearch ``banner``: 14 categorical stubs (5 categories) and 6 numeric stubs (means) by two banner
  variables (region 5 + age group 4 columns, plus Total = 10 columns), weighted, with column letters,
  Bonferroni, and the whole-table Rao–Scott / ANOVA tests — one fused ``np.bincount`` pass;
* the same table with a design of 50 strata and 2,000 PSUs (design-based letters, Rao–Scott and Wald F);
* the pandas way a peer would write: one ``pd.crosstab(values=w, aggfunc="sum")`` per categorical stub ×
  banner variable plus a weighted ``groupby`` mean per numeric stub × banner variable — weighted cells only,
  no bases, letters or tests;
* samplics ``CrossTabulation`` (design-based weighted crosstab with Rao–Scott) on ONE stub × ONE banner
  variable; the time for all 28 categorical stub × banner pairs is extrapolated, not run.
  (samplics 0.6.1 fails in this environment with a polars ShapeError even on small inputs; then it is
  reported as skipped.)
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from timing import best_of_3  # bench/timing.py (the script's folder is on sys.path)

from cfresearch.survey.banner import banner
from cfresearch.survey.design import survey_design

N, N_CAT, N_NUM = 1_000_000, 14, 6


def make_data() -> pd.DataFrame:
    rng = np.random.default_rng(2024)
    cols = {
        "region": pd.Categorical.from_codes(rng.integers(0, 5, N), ["North", "South", "East", "West", "Central"]),
        "age_group": pd.Categorical.from_codes(rng.integers(0, 4, N), ["18-34", "35-49", "50-64", "65+"]),
        "w": rng.uniform(0.3, 3.0, N),
        "stratum": rng.integers(0, 50, N),
    }
    cols["psu"] = cols["stratum"] * 40 + rng.integers(0, 40, N)
    for i in range(N_CAT):
        codes = rng.integers(-1, 5, N)  # -1: missing (about 1 in 6)
        cols[f"q{i + 1}"] = pd.Categorical.from_codes(codes, ["1", "2", "3", "4", "5"])
    for i in range(N_NUM):
        x = rng.integers(0, 11, N).astype(float)
        x[rng.uniform(size=N) < 0.05] = np.nan
        cols[f"m{i + 1}"] = x
    return pd.DataFrame(cols)


def pandas_way(d: pd.DataFrame, stubs: list[str], banners: list[str]) -> list:
    out = []
    for b in banners:
        for s in stubs:
            if s.startswith("q"):
                out.append(pd.crosstab(d[s], d[b], values=d["w"], aggfunc="sum", normalize="columns"))
            else:
                ok = d[s].notna()
                g = d[ok].assign(wx=d[s] * d["w"]).groupby(b, observed=True)[["wx", "w"]].sum()
                out.append(g["wx"] / g["w"])
    return out


def main() -> None:
    d = make_data()
    stubs = [f"q{i + 1}" for i in range(N_CAT)] + [f"m{i + 1}" for i in range(N_NUM)]
    banners = ["region", "age_group"]
    print(f"{N:,} respondents, {len(stubs)} stubs ({N_CAT} categorical, {N_NUM} numeric), "
          f"banner {banners} + Total = 10 columns, weighted")

    t_ours, tab = best_of_3(lambda: banner(d, stubs, banners, weights="w", correction="bonferroni"))
    design = survey_design(d, weights="w", strata="stratum", clusters="psu")
    t_design, _ = best_of_3(lambda: banner(d, stubs, banners, design=design, correction="bonferroni"))
    t_pd, _ = best_of_3(lambda: pandas_way(d, stubs, banners))
    print(f"cfresearch banner (cells, bases, letters, Rao-Scott/ANOVA): {t_ours:8.3f} s")
    print(f"cfresearch banner, 50 strata / 2,000 PSUs, design-based   : {t_design:8.3f} s")
    print(f"pandas crosstab/groupby (weighted cells only)            : {t_pd:8.3f} s   ratio {t_pd / t_ours:5.1f}x")

    # same cells: check one
    ref = pd.crosstab(d["q1"], d["region"], values=d["w"], aggfunc="sum", normalize="columns")
    f = tab.to_frame()
    ours = f[(f["stub"] == "q1") & (f["row"] == "3") & (f["column"] == "East")]["estimate"].item()
    assert abs(ours - 100 * ref.loc["3", "East"]) < 1e-9

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from samplics import PopParam
            from samplics.categorical import CrossTabulation
        sub = d[["q1", "region", "w"]].dropna()
        vars_ = sub[["q1", "region"]].astype(str)

        def one():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ct = CrossTabulation(param=PopParam.prop)
                ct.tabulate(vars=vars_, samp_weight=sub["w"].to_numpy(), remove_nan=True)
            return ct

        t0 = time.perf_counter()
        one()
        t_one = time.perf_counter() - t0
        pairs = N_CAT * len(banners)
        print(f"samplics CrossTabulation, 1 stub x 1 banner (run once)   : {t_one:8.3f} s; "
              f"x{pairs} pairs extrapolated {t_one * pairs:8.1f} s   ratio {t_one * pairs / t_ours:5.0f}x")
    except Exception as exc:  # samplics is optional here
        print(f"samplics CrossTabulation skipped: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
