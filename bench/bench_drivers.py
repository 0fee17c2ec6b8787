"""Benchmark: exact Shapley/LMG key drivers on 100,000 respondents.

Run: ``python bench/bench_drivers.py`` (about a minute). Builds the data once, then times, best of 3:

* cfresearch ``key_drivers`` (one weighted-correlation pass, then all 2^p subset R² by batched sweeps)
  with 15 drivers, Shapley and Johnson, and Shapley with 200 bootstrap resamples;
* the naive approach a peer would write: one statsmodels OLS fit per subset (2^p fits on the raw data),
  then the Shapley average, with 8 drivers (256 fits) against cfresearch on the same 8 drivers; the
  naive time for 15 drivers (32,768 fits) is extrapolated from the per-fit time, not run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import gammaln
from timing import best_of_3  # bench/timing.py (the script's folder is on sys.path)

from cfresearch.survey.drivers import key_drivers

N, P, P_SMALL = 100_000, 15, 8


def naive_shapley(frame: pd.DataFrame, outcome: str, drivers: list[str]) -> np.ndarray:
    """2^p statsmodels OLS fits on the raw rows, then φ_j = Σ_S |S|!(p-|S|-1)!/p! [R²(S∪j) − R²(S)]."""
    p = len(drivers)
    y = frame[outcome].to_numpy()
    x = frame[drivers].to_numpy()
    r2 = np.zeros(2**p)
    for mask in range(1, 2**p):
        cols = [j for j in range(p) if mask >> j & 1]
        r2[mask] = sm.OLS(y, sm.add_constant(x[:, cols])).fit().rsquared
    phi = np.zeros(p)
    for mask in range(2**p):
        s = bin(mask).count("1")
        for j in range(p):
            if not mask >> j & 1 and s < p:
                wgt = np.exp(gammaln(s + 1) + gammaln(p - s) - gammaln(p + 1))
                phi[j] += wgt * (r2[mask | 1 << j] - r2[mask])
    return phi


def main() -> None:
    rng = np.random.default_rng(2024)
    common = rng.normal(size=(N, 1))
    x = np.round(np.clip(5 + 1.5 * (0.7 * common + rng.normal(size=(N, P))), 0, 10))  # 0-10 ratings
    y = x @ np.linspace(0.5, 0.02, P) + rng.normal(scale=2.0, size=N)
    names = [f"q{i + 1}" for i in range(P)]
    frame = pd.DataFrame(x, columns=names).assign(overall=y, w=rng.uniform(0.5, 2.0, N))

    rows = []
    t_ours15, res15 = best_of_3(lambda: key_drivers(frame, "overall", names, weights="w"))
    rows.append(("Shapley, 15 drivers, weighted", "cfresearch key_drivers", t_ours15, ""))
    t_john, _ = best_of_3(lambda: key_drivers(frame, "overall", names, weights="w", method="johnson"))
    rows.append(("Johnson, 15 drivers, weighted", "cfresearch key_drivers", t_john, ""))

    t_boot, _ = best_of_3(lambda: key_drivers(frame, "overall", names, weights="w", bootstrap=200))
    rows.append(("Shapley + 200 bootstrap resamples, 15 drivers", "cfresearch key_drivers", t_boot, ""))

    small = names[:P_SMALL]
    t_ours8, res8 = best_of_3(lambda: key_drivers(frame, "overall", small))
    t_naive8, naive8 = best_of_3(lambda: naive_shapley(frame, "overall", small))
    diff = np.abs(res8.importance - naive8).max()
    rows.append((f"Shapley, {P_SMALL} drivers", "cfresearch key_drivers", t_ours8, ""))
    rows.append((f"Shapley, {P_SMALL} drivers", f"statsmodels OLS x {2**P_SMALL} fits", t_naive8,
                 f"{t_naive8 / t_ours8:,.0f}x slower; max |diff| {diff:.1e}"))
    per_fit = t_naive8 / (2**P_SMALL - 1)
    est15 = per_fit * (2**P - 1)
    rows.append(("Shapley, 15 drivers", f"statsmodels OLS x {2**P} fits (extrapolated)", est15,
                 f"~{est15 / t_ours15:,.0f}x slower"))

    print(f"Exact key-driver analysis on n = {N:,} respondents (best of 3, seconds)")
    width = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    for task, impl, secs, note in rows:
        print(f"  {task:<{width[0]}}  {impl:<{width[1]}}  {secs:9.4f}  {note}")
    print(f"  R² = {res15.r2:.3f}; top driver {res15.to_frame().loc[0, 'driver']}")


if __name__ == "__main__":
    main()
