"""Benchmark: raking 1,000,000 respondents on 4 correlated margins, and design-based SEs on 1M rows.

Run: ``python bench/bench_raking.py`` (about a minute; samplics alone takes ~10 s), ``--n 200000`` for another
size, ``--quick`` for 100,000 rows. Same data, same run, tol 1e-6 for everyone:

* cfresearch ``rake`` (bincount on the combined cell key, IPF on the 600 cells, one gather back), best of 3;
* svy 0.35 ``Sample.weighting.rake(shares=...)`` (Rust kernel), best of 3;
* samplics 0.6 ``SampleWeight().rake`` (one run);
* cfresearch ``weighted_estimate`` of a mean with 50 strata and 2,000 PSUs, overall and by a 10-level domain,
  and with the raking residuals; svy's Taylor mean on the same design for comparison. Both libraries build
  their design once (``survey_design`` / ``svy.Sample``) outside the timed call, as a notebook does; the
  one-shot time (design columns given as keywords, the design built inside the call) is printed too.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd
from timing import best_of as timed  # bench/timing.py (the script's folder is on sys.path)

from cfresearch.survey.design import survey_design
from cfresearch.survey.estimates import weighted_estimate
from cfresearch.survey.weighting import rake

SIZES = {"a": 6, "b": 2, "c": 10, "d": 5}


def make_data(n: int, seed: int = 2024) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)  # a common factor makes the margins correlated
    cols = {}
    for name, k in SIZES.items():
        latent = 0.8 * z + rng.normal(size=n)
        cuts = np.quantile(latent, np.linspace(0, 1, k + 1)[1:-1] ** 1.3)
        cols[name] = np.searchsorted(cuts, latent).astype(np.int64) + 1
    frame = pd.DataFrame(cols)
    frame["stratum"] = rng.integers(0, 50, n)
    frame["psu"] = frame["stratum"] * 40 + rng.integers(0, 40, n)
    frame["y"] = 5 + z + rng.normal(size=n)
    frame["domain"] = rng.integers(0, 10, n)
    targets = {name: {c: 1.0 / k for c in range(1, k + 1)} for name, k in SIZES.items()}  # uniform shares
    return frame, targets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 rows")
    ap.add_argument("--no-samplics", action="store_true")
    args = ap.parse_args()
    n = 100_000 if args.quick else args.n
    frame, targets = make_data(n)
    print(f"n = {n:,}; margins {SIZES} (600 cells); tol 1e-6")

    t_ours, res = timed(lambda: rake(frame, targets, tol=1e-6))
    print(f"cfresearch rake   {t_ours * 1e3:9.1f} ms  ({res.iterations} iterations, Kish deff {res.deff:.2f}, "
          f"max deviation {res.max_deviation:.1e})")

    import polars as pl
    import svy

    pl_frame = pl.from_pandas(frame[list(SIZES)].assign(w=1.0))
    sample = svy.Sample(pl_frame, svy.Design(wgt="w"))
    t_svy, peer = timed(lambda: sample.weighting.rake(shares=targets, tol=1e-6, max_iter=1000))
    diff = np.abs(peer.data["rk_wgt"].to_numpy() - res.weights.to_numpy()).max()
    print(f"svy 0.35 rake     {t_svy * 1e3:9.1f} ms  -> ours {t_svy / t_ours:5.1f}x faster "
          f"(max |Δw| {diff:.1e}; svy's tol is relative to each margin total)")

    if not args.no_samplics:
        from samplics.weighting import SampleWeight

        control = {name: {c: n / k for c in range(1, k + 1)} for name, k in SIZES.items()}
        margins = {name: frame[name].to_numpy() for name in SIZES}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_sam, sw = timed(lambda: SampleWeight().rake(samp_weight=np.ones(n), control=control, margins=margins,
                                                          tol=1e-6, max_iter=1000), repeat=1)
        print(f"samplics 0.6 rake {t_sam * 1e3:9.1f} ms  -> ours {t_sam / t_ours:5.1f}x faster "
              f"(max |Δw| {np.abs(sw - res.weights.to_numpy()).max():.1e})")

    frame["wt"] = res.weights.to_numpy()
    keywords = {"weights": "wt", "strata": "stratum", "clusters": "psu"}
    t_design, design = timed(lambda: survey_design(frame, **keywords))
    print(f"survey_design: 50 strata / 2,000 PSUs, built once                 {t_design * 1e3:8.1f} ms")
    t_est, est = timed(lambda: weighted_estimate(frame, "y", design=design))
    print(f"weighted_estimate mean, 50 strata / 2,000 PSUs               {t_est * 1e3:8.1f} ms  "
          f"(SE {est['se'].iloc[0]:.5f})")
    t_once, _ = timed(lambda: weighted_estimate(frame, "y", **keywords))
    print(f"  the same, one shot (design built inside the call)        {t_once * 1e3:8.1f} ms")
    t_dom, _ = timed(lambda: weighted_estimate(frame, "y", by="domain", design=design))
    print(f"weighted_estimate mean by 10 domains                         {t_dom * 1e3:8.1f} ms")
    t_cat, _ = timed(lambda: weighted_estimate(frame, "c", kind="proportion", by="domain", design=design))
    print(f"weighted_estimate 10 proportions by 10 domains               {t_cat * 1e3:8.1f} ms")
    raked = survey_design(frame, strata="stratum", clusters="psu", raking=res)
    t_rk, est_rk = timed(lambda: weighted_estimate(frame, "y", design=raked))
    print(f"weighted_estimate mean with raking residuals                 {t_rk * 1e3:8.1f} ms  "
          f"(SE {est_rk['se'].iloc[0]:.5f})")
    svy_design = svy.Sample(pl.from_pandas(frame[["y", "wt", "stratum", "psu"]]),
                            svy.Design(stratum="stratum", psu="psu", wgt="wt"))
    t_svy_est, peer_est = timed(lambda: svy_design.estimation.mean("y"))
    peer_se = peer_est.to_polars()["se"][0]
    print(f"svy 0.35 Taylor mean, same design (built once)               {t_svy_est * 1e3:8.1f} ms  -> ours "
          f"{t_svy_est / t_est:4.1f}x (SE {peer_se:.5f})")


if __name__ == "__main__":
    main()
