"""Benchmark: Krippendorff's alpha for 5 coders x 1,000,000 units, nominal and interval, ~10% missing.

Run: ``python bench/bench_agreement.py`` (about 15 seconds). Builds the data once (float64, NaN = missing:
nominal codes 1-5 where each coder gives the unit's true code 80% of the time; interval ratings 1-7 = the
unit's true score plus coder noise, rounded), then times, best of 3, on the same data in the same run:

* cfresearch ``krippendorff_alpha`` (unit rows numbered as patterns, counted with np.bincount, coincidence
  matrix from the distinct patterns) against ``krippendorff.alpha`` (value counts per unit, then a
  matrix product), asserting both give the same alpha;
* cfresearch with a 1,000-resample bootstrap interval (no peer computes one), for scale.

Exits with status 1 when cfresearch is less than 3 times faster than the package on either level, so
``make bench`` enforces the speed requirement of issue 8.
"""

from __future__ import annotations

import sys

import krippendorff
import numpy as np
from timing import best_of_3  # bench/timing.py (the script's folder is on sys.path)

from cfresearch.qual.agreement import krippendorff_alpha

CODERS, UNITS, MISSING, REQUIRED = 5, 1_000_000, 0.10, 3.0


def _data(rng: np.random.Generator) -> dict[str, np.ndarray]:
    truth = rng.integers(1, 6, size=UNITS)
    nominal = np.where(rng.random((CODERS, UNITS)) < 0.8, truth, rng.integers(1, 6, size=(CODERS, UNITS)))
    score = 4.0 + rng.normal(0.0, 1.3, UNITS)
    interval = np.clip(np.round(score + rng.normal(0.0, 0.7, (CODERS, UNITS))), 1, 7)
    out = {"nominal": nominal.astype(np.float64), "interval": interval}
    for x in out.values():
        x[rng.random(x.shape) < MISSING] = np.nan
    return out


def main() -> int:
    data = _data(np.random.default_rng(2024))
    print(f"Krippendorff's alpha, {CODERS} coders x {UNITS:,} units, {MISSING:.0%} missing (float64), best of 3\n")
    print(f"{'level':<10} {'cfresearch':>11} {'krippendorff':>13} {'ratio':>7}   alpha (ours / package)")
    ratios = {}
    for level, x in data.items():
        t_ours, res = best_of_3(lambda x=x, level=level: krippendorff_alpha(x, level))
        t_peer, peer = best_of_3(lambda x=x, level=level: krippendorff.alpha(x, level_of_measurement=level))
        assert abs(float(res) - peer) < 1e-9, (level, float(res), peer)
        ratios[level] = t_peer / t_ours
        print(f"{level:<10} {t_ours * 1e3:9.1f}ms {t_peer * 1e3:11.1f}ms {ratios[level]:6.1f}x   "
              f"{float(res):.6f} / {peer:.6f}")
    print("\nratio = krippendorff time / cfresearch time (higher is better for cfresearch)\n")
    for level, x in data.items():
        t_boot, res = best_of_3(lambda x=x, level=level: krippendorff_alpha(x, level, bootstrap=1000, seed=1))
        print(f"{level:<10} with a 1,000-resample bootstrap interval: {t_boot:.2f}s "
              f"(95% CI {res.ci_low:.4f} to {res.ci_high:.4f})")
    slow = {level: r for level, r in ratios.items() if r < REQUIRED}
    if slow:
        print(f"\nFAIL: cfresearch must be at least {REQUIRED:g}x faster than krippendorff; got "
              + ", ".join(f"{lv} {r:.1f}x" for lv, r in slow.items()))
        return 1
    print(f"\nOK: at least {REQUIRED:g}x faster on both levels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
