"""Benchmark: ib.entropy_gaussian_mixture against scikit-learn's KernelDensity.

The official Goldfeld et al. code estimates h(S+Z) by fitting a Gaussian KDE with bandwidth
sigma to the centres and returning minus the mean log density at centre + sigma * N(0, I)
points. Here scikit-learn is given ``rtol=0, atol=0`` (no density tolerance) and scored on
exactly the Monte-Carlo points that ibtools draws, so both compute the same number.

Usage::

    python benchmarks/bench_sp.py [--repeats 5] [--out benchmarks/results/sp.csv] [--quick]
        [--large]

Cases (centres are SZT-like tanh representations of 4096 12-bit inputs through a random
12 -> d layer; ``sigma = 0.005`` as in the SZT experiment unless marked "dense"):

* ``szt_inputs``: 4096 centres (one per input), d = 2, 5, 10, 10 MC points per centre;
* ``szt_pooled`` (only with ``--large``; several minutes): 4096 x 100 = 409,600 centres
  (100 replicas per input, spread ~3 sigma like a hidden layer after noise), d = 10, 1 MC
  point per centre; each side runs once;
* ``dense``: 4096 centres, d = 2, sigma = 0.3 (all components overlap; nothing to prune).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.neighbors import KernelDensity

import ibtools as ib
from ibtools import sp

COLUMNS = [
    "benchmark",
    "n_centres",
    "d",
    "n_mc",
    "reference_s",
    "ibtools_s",
    "speedup",
    "rel_diff",
    "device",
]


def szt_centres(d: int, n_replicas: int, sigma: float, seed: int = 0) -> np.ndarray:
    """tanh(W x + b) for the 4096 12-bit inputs, optionally with replicas spread ~sigma."""
    rng = np.random.default_rng(seed)
    bits = ((np.arange(4096)[:, None] >> np.arange(12)) & 1).astype(np.float64)
    w = rng.normal(size=(12, d)) / math.sqrt(12)
    pre = bits @ w + rng.normal(size=d) * 0.1
    if n_replicas == 1:
        return np.tanh(pre)
    noise = rng.normal(size=(4096, n_replicas, d)) * sigma * 3
    return np.tanh(pre[:, None, :] + noise).reshape(-1, d)


@contextlib.contextmanager
def recorded_points(store: list):
    """Record the Monte-Carlo points that entropy_gaussian_mixture evaluates (scaled)."""
    original = sp._Mixture.log_sums

    def recording(self, q, ref):
        store.append(q.clone())
        return original(self, q, ref)

    sp._Mixture.log_sums = recording
    try:
        yield
    finally:
        sp._Mixture.log_sums = original


def mc_points(centres: np.ndarray, sigma: float, n_mc: int, seed: int) -> np.ndarray:
    """The exact points ibtools uses, mapped back to data units."""
    store: list = []
    with recorded_points(store):
        ib.entropy_gaussian_mixture(centres, sigma, n_mc=n_mc, seed=seed)
    scaled = torch.cat(store).numpy()
    return scaled * sigma + centres.mean(axis=0)


def median_time(fn, repeats: int):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def run_case(name, centres, sigma, n_mc, repeats, ref_repeats, seed=0):
    ours_s, ours = median_time(
        lambda: ib.entropy_gaussian_mixture(centres, sigma, n_mc=n_mc, seed=seed), repeats
    )
    points = mc_points(centres, sigma, n_mc, seed)
    kde = KernelDensity(kernel="gaussian", bandwidth=sigma, rtol=0.0, atol=0.0)

    def reference():
        return float(-kde.fit(centres).score_samples(points).mean())

    ref_s, ref = median_time(reference, ref_repeats)
    return {
        "benchmark": name,
        "n_centres": centres.shape[0],
        "d": centres.shape[1],
        "n_mc": n_mc,
        "reference_s": round(ref_s, 4),
        "ibtools_s": round(ours_s, 4),
        "speedup": round(ref_s / ours_s, 2),
        "rel_diff": f"{abs(ours - ref) / abs(ref):.2e}",
        "device": "cpu",
        "_values": (ours, ref),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per case (median)")
    parser.add_argument("--out", default="benchmarks/results/sp.csv", help="CSV path")
    parser.add_argument("--quick", action="store_true", help="d = 2 and 10 only, 3 repeats")
    parser.add_argument(
        "--large", action="store_true", help="add the 409,600-centre case (minutes)"
    )
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    sigma = 0.005
    cases = []
    for d in (2, 10) if args.quick else (2, 5, 10):
        cases.append(("szt_inputs", szt_centres(d, 1, sigma), sigma, 10, repeats, repeats))
    cases.append(("dense", szt_centres(2, 1, sigma), 0.3, 2, repeats, 1))
    if args.large:
        cases.append(("szt_pooled", szt_centres(10, 100, sigma), sigma, 1, 1, 1))

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
        f"scikit-learn KernelDensity(rtol=0, atol=0) on the same Monte-Carlo points"
    )
    header = (
        f"{'benchmark':<11} {'n_centres':>9} {'d':>3} {'n_mc':>4} {'sklearn_s':>10} "
        f"{'ibtools_s':>10} {'speedup':>8} {'rel_diff':>9}  value"
    )
    print(header)
    rows = []
    for name, centres, sig, n_mc, rep, ref_rep in cases:
        row = run_case(name, centres, sig, n_mc, rep, ref_rep)
        ours, _ = row.pop("_values")
        rows.append(row)
        print(
            f"{row['benchmark']:<11} {row['n_centres']:>9} {row['d']:>3} {row['n_mc']:>4} "
            f"{row['reference_s']:>10.3f} {row['ibtools_s']:>10.3f} {row['speedup']:>8.1f} "
            f"{row['rel_diff']:>9}  {ours:.6f}",
            flush=True,
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
