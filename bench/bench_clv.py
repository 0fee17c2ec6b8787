"""Benchmark: the repeat-purchase models (BG/NBD, Pareto/NBD) against lifetimes 0.11.3, fitted on the same data.

Run: ``python bench/bench_clv.py`` (about two minutes; ``--no-peer`` skips lifetimes). The data, built once:

* the CDNOW sample (2,357 customers, weeks; the bundled copy of the file lifetimes ships);
* 1,000,000 customers simulated from the BG/NBD with r = 0.8, α = 6, a = 0.6, b = 3 and T ~ U[26, 78] weeks
  (the data of the issue's measurements: lifetimes took 10.4 s for the BG/NBD and 238 s for the Pareto/NBD).

Timed in the same run: cfresearch ``fit_bgnbd`` on CDNOW (best of 20) and on 1M (best of 3), ``fit_pareto_nbd``
on 1M (best of 2) and on its first 50,000 rows (best of 3); every fit includes the standard errors. lifetimes
(``BetaGeoFitter``, ``ParetoNBDFitter``; it is not a dependency of cfresearch) runs in its own virtual environment
``.venv-peers/`` (created here when missing: ``pip install "lifetimes==0.11.3" "setuptools<81"``) in a subprocess
that prints its timings and estimates as JSON: BG/NBD on CDNOW (best of 3) and on 1M (one run), Pareto/NBD on the
50,000 rows only (one run; its time on 1M is extrapolated linearly from those, which the output says).

The two 1M Pareto/NBD fits of cfresearch are stopped when together they pass 300 s (10x the requirement), so that
the benchmark ends: the output then says so and the requirement fails.

Exits with status 1 when a requirement of issue 9 fails: BG/NBD on CDNOW at least 10x faster than lifetimes with
the same parameters (relative difference < 1e-4), BG/NBD on 1M customers under 2 s, Pareto/NBD on 1M under 30 s.
The machine has 2 cores shared with other work: times are noisy, hence best-of.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from timing import best_of  # bench/timing.py (the script's folder is on sys.path)

from cfresearch.profit.bgnbd import fit_bgnbd, simulate_bgnbd
from cfresearch.profit.cdnow import load_cdnow
from cfresearch.profit.paretonbd import fit_pareto_nbd

ROOT = Path(__file__).resolve().parents[1]
PEER_VENV = ROOT / ".venv-peers"
N, PARETO_PEER_N = 1_000_000, 50_000
TRUTH = {"r": 0.8, "alpha": 6.0, "a": 0.6, "b": 3.0}
CDNOW_RATIO, BG_1M_SECONDS, PARETO_1M_SECONDS = 10.0, 2.0, 30.0
PARETO_1M_CAP = 10 * PARETO_1M_SECONDS  # the 1M Pareto/NBD fits are stopped after this (seconds, in all)
LIFETIMES_CDNOW_MS_IN_ISSUE = 52.0

PEER_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from lifetimes import BetaGeoFitter, ParetoNBDFitter
from lifetimes.datasets import load_cdnow_summary

def timed(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter(); out = fn(); best = min(best, time.perf_counter() - t0)
    return best, out

folder = sys.argv[1]
x, t_x, T = (np.load(f"{folder}/{k}.npy") for k in ("frequency", "recency", "T"))
s = load_cdnow_summary()
out = {}
t, m = timed(lambda: BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"]), 3)
out["bg_cdnow"] = {"seconds": t, "params": m.params_.to_dict()}
t, m = timed(lambda: BetaGeoFitter().fit(x, t_x, T), 1)
out["bg_1m"] = {"seconds": t, "params": m.params_.to_dict()}
np.random.seed(0)  # ParetoNBDFitter draws its start values
n = int(sys.argv[2])
t, m = timed(lambda: ParetoNBDFitter().fit(x[:n], t_x[:n], T[:n]), 1)
out["pareto_sub"] = {"seconds": t, "params": m.params_.to_dict(), "n": n}
print(json.dumps(out))
"""


class _Stopped(Exception):
    pass


def capped_best_of(fn, repeat: int, cap: float):
    """best_of, stopped (SIGALRM) when the calls together run past ``cap`` seconds: then (None, None)."""
    def stop(signum, frame):
        raise _Stopped

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, cap)
    try:
        return best_of(fn, repeat)
    except _Stopped:
        return None, None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _runs(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True).returncode == 0
    except OSError:  # not an executable (e.g. a venv copied without its symlinks)
        return False


def peer_python() -> Path | None:
    """The peer venv's python with lifetimes importable (creating or repairing the venv), or None."""
    python = PEER_VENV / "bin" / "python"
    check = [str(python), "-c", "import lifetimes.datasets"]
    if _runs(check):
        return python
    print(f"setting up {PEER_VENV.name}/ (lifetimes 0.11.3) ...", flush=True)
    # a venv whose interpreter links became plain files (copied without symlinks) cannot run: drop those
    # entries so that `venv` links them again; the installed packages are kept
    for link in PEER_VENV.glob("bin/python*"):
        if not link.is_symlink() and not os.access(link, os.X_OK):
            link.unlink()
    steps = [[sys.executable, "-m", "venv", str(PEER_VENV)],
             [str(python), "-m", "pip", "install", "-q", "lifetimes==0.11.3", "setuptools<81"]]
    for step in steps:
        if not _runs(step):
            return None
    return python if _runs(check) else None


def run_peer(sim, folder: Path) -> dict | None:
    python = peer_python()
    if python is None:
        print("lifetimes peer unavailable (no .venv-peers and pip failed): peer columns skipped")
        return None
    for k in ("frequency", "recency", "T"):
        np.save(folder / f"{k}.npy", sim[k].to_numpy(dtype=float))
    done = subprocess.run([str(python), "-c", PEER_SCRIPT, str(folder), str(PARETO_PEER_N)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        print("lifetimes peer failed:\n" + done.stderr[-2000:])
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def max_rel_diff(ours: dict, theirs: dict) -> float:
    return max(abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in ours)


def _fmt(params: dict) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in params.items())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-peer", action="store_true", help="skip lifetimes")
    args = ap.parse_args()
    cdnow = load_cdnow()
    sim = simulate_bgnbd(TRUTH, np.random.default_rng(2024).uniform(26, 78, N), seed=2025)
    print(f"data: CDNOW 2,357 customers; {N:,} simulated from BG/NBD {TRUTH}, mean x {sim['frequency'].mean():.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        peer = None if args.no_peer else run_peer(sim, Path(tmp))

    t_cd, m_cd = best_of(lambda: fit_bgnbd(cdnow), 20)
    t_bg, m_bg = best_of(lambda: fit_bgnbd(sim), 3)
    sub = sim.iloc[:PARETO_PEER_N]
    t_ps, m_ps = best_of(lambda: fit_pareto_nbd(sub), 3)
    t_pn, m_pn = capped_best_of(lambda: fit_pareto_nbd(sim), 2, PARETO_1M_CAP)
    failures = []

    print(f"\n{'fit':<34} {'cfresearch':>11} {'lifetimes':>11} {'ratio':>7}")
    peer_cd = peer["bg_cdnow"]["seconds"] if peer else LIFETIMES_CDNOW_MS_IN_ISSUE / 1e3
    ratio = peer_cd / t_cd
    note = "" if peer else "  (lifetimes: the issue's 52 ms; peer not run)"
    print(f"{'BG/NBD, CDNOW':<34} {t_cd * 1e3:9.1f}ms {peer_cd * 1e3:9.1f}ms {ratio:6.1f}x{note}")
    if ratio < CDNOW_RATIO:
        failures.append(f"BG/NBD on CDNOW only {ratio:.1f}x faster than lifetimes (need {CDNOW_RATIO:g}x)")
    line = f"{'BG/NBD, 1,000,000 customers':<34} {t_bg:10.2f}s"
    if peer:
        line += f" {peer['bg_1m']['seconds']:10.2f}s {peer['bg_1m']['seconds'] / t_bg:6.1f}x"
    print(line)
    if t_bg >= BG_1M_SECONDS:
        failures.append(f"BG/NBD on 1M customers took {t_bg:.2f}s (need < {BG_1M_SECONDS:g}s)")
    line = f"{'Pareto/NBD, first 50,000':<34} {t_ps:10.2f}s"
    if peer:
        line += f" {peer['pareto_sub']['seconds']:10.2f}s {peer['pareto_sub']['seconds'] / t_ps:6.1f}x"
    print(line)
    done = m_pn is not None
    stopped = f">{PARETO_1M_CAP:.0f}"
    line = f"{'Pareto/NBD, 1,000,000 customers':<34} " + (f"{t_pn:10.2f}s" if done else f"{stopped:>10}s")
    if peer:
        extrapolated = peer["pareto_sub"]["seconds"] * N / PARETO_PEER_N
        ratio_pn = f"{extrapolated / t_pn:6.1f}" if done else f"{'<' + f'{extrapolated / PARETO_1M_CAP:.1f}':>6}"
        line += f" {extrapolated:9.0f}s* {ratio_pn}x"
    print(line + ("" if done else f"  (stopped after {PARETO_1M_CAP:g} s)"))
    if m_pn is None:
        failures.append(f"Pareto/NBD on 1M customers stopped unfinished after {PARETO_1M_CAP:g}s "
                        f"(need < {PARETO_1M_SECONDS:g}s)")
    elif t_pn >= PARETO_1M_SECONDS:
        failures.append(f"Pareto/NBD on 1M customers took {t_pn:.1f}s (need < {PARETO_1M_SECONDS:g}s)")
    print("ratio = lifetimes time / cfresearch time; every cfresearch fit includes the Hessian standard errors")
    if peer:
        print(f"* lifetimes' Pareto/NBD timed on the first {PARETO_PEER_N:,} customers only, extrapolated linearly "
              f"to {N:,} (the issue measured 238 s there)")

    print("\nestimates")
    print(f"  BG/NBD CDNOW      ours {_fmt(m_cd.params)}; LL {m_cd.log_likelihood:.4f}")
    print(f"  BG/NBD 1M         ours {_fmt(m_bg.params)}; truth {_fmt(TRUTH)}")
    print(f"  Pareto/NBD 50k    ours {_fmt(m_ps.params)}; LL {m_ps.log_likelihood:.3f}")
    print(f"  Pareto/NBD 1M     ours {_fmt(m_pn.params)}; LL {m_pn.log_likelihood:.2f}" if m_pn else
          f"  Pareto/NBD 1M     ours: stopped after {PARETO_1M_CAP:g} s, no estimates")
    if peer:
        for key, ours, limit in (("bg_cdnow", m_cd, 1e-4), ("bg_1m", m_bg, 1e-3)):
            diff = max_rel_diff(ours.params, peer[key]["params"])
            print(f"  {key:<17} lifetimes {_fmt(peer[key]['params'])}; max relative difference {diff:.1e}")
            if diff > limit:
                failures.append(f"{key}: parameters differ from lifetimes by {diff:.1e} (limit {limit:g})")
        print(f"  pareto 50k        lifetimes {_fmt(peer['pareto_sub']['params'])}; max relative difference "
              f"{max_rel_diff(m_ps.params, peer['pareto_sub']['params']):.1e} (its starts are random)")
    if failures:
        print("\nFAIL: " + "; ".join(failures))
        return 1
    print("\nall requirements met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
