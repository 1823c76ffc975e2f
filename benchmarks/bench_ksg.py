"""Benchmark ``ibtools.mi_ksg`` against a plain cKDTree KSG and scikit-learn.

Data: x, y in R^d with per-coordinate correlation rho=0.75 (true MI 0.4133 d nats), every
coordinate standardised (as scikit-learn does internally), seed 0. Each case is timed
``--repeats`` times (fewer when one run exceeds ``--repeat-budget`` seconds) and the median
is reported. The cKDTree reference runs in a child process that is killed after
``--skip-reference-above`` seconds; such a case is marked as skipped, never extrapolated.

Usage::

    python benchmarks/bench_ksg.py [--sizes 10000 100000] [--dims 1 4 8 16] [--repeats 3]
        [--out benchmarks/results/ksg.csv] [--skip-reference-above SECONDS]
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from scipy.spatial import cKDTree
from scipy.special import digamma

import ibtools

RHO = 0.75
K = 3
COLUMNS = [
    "benchmark",
    "n",
    "d",
    "reference",
    "reference_s",
    "ibtools_s",
    "speedup",
    "ibtools_value",
    "reference_value",
    "device",
    "note",
]


def make_data(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Correlated Gaussian pair, coordinates standardised (population std)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = RHO * x + np.sqrt(1 - RHO**2) * rng.standard_normal((n, d))
    return x / x.std(axis=0), y / y.std(axis=0)


def ksg_ckdtree(x: np.ndarray, y: np.ndarray, k: int = K) -> float:
    """Straightforward KSG-1: joint max-norm kNN query, then strict radius counts."""
    z = np.hstack([x, y])
    dist, _ = cKDTree(z).query(z, k=k + 1, p=np.inf, workers=-1)
    radius = np.nextafter(dist[:, -1], 0)  # "eps - tiny": strict inequality
    n_x = cKDTree(x).query_ball_point(x, radius, p=np.inf, return_length=True, workers=-1) - 1
    n_y = cKDTree(y).query_ball_point(y, radius, p=np.inf, return_length=True, workers=-1) - 1
    n = len(x)
    return float(digamma(k) + digamma(n) - np.mean(digamma(n_x + 1) + digamma(n_y + 1)))


def ksg_sklearn(x: np.ndarray, y: np.ndarray, k: int = K) -> float:
    from sklearn.feature_selection import mutual_info_regression

    return float(mutual_info_regression(x, y[:, 0], n_neighbors=k, random_state=0)[0])


def ksg_ibtools(x: np.ndarray, y: np.ndarray, k: int = K, method: str = "auto") -> float:
    return ibtools.mi_ksg(x, y, k=k, method=method)


def _child(fn_name: str, n: int, d: int, queue) -> None:
    x, y = make_data(n, d)
    if fn_name.startswith("ibtools:"):
        method = fn_name.split(":", 1)[1]
        fn = lambda x, y: ksg_ibtools(x, y, method=method)  # noqa: E731
    else:
        fn = {"ckdtree": ksg_ckdtree, "sklearn": ksg_sklearn}[fn_name]
    fn(x[:50], y[:50])  # warm-up outside the timing: imports, thread pools
    start = time.perf_counter()
    value = fn(x, y)
    queue.put((time.perf_counter() - start, value))


def time_reference(fn_name: str, n: int, d: int, timeout: float | None):
    """(seconds, value) of one run in a child process, or None past ``timeout``."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn_name, n, d, queue))
    proc.start()
    try:
        return queue.get(timeout=timeout)
    except Exception:  # queue.Empty after the timeout
        return None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()


def repeat(fn, repeats: int, budget: float):
    """Run ``fn`` up to ``repeats`` times, stopping early once ``budget`` seconds are used."""
    results, used = [], 0.0
    for _ in range(repeats):
        out = fn()
        if out is None:
            return results, True
        results.append(out)
        used += out[0]
        if used > budget:
            break
    return results, False


def write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--repeat-budget", type=float, default=120.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ksg.csv"))
    parser.add_argument("--skip-reference-above", type=float, default=None)
    parser.add_argument("--skip-ibtools-above", type=float, default=None)
    parser.add_argument("--method", default="auto", choices=["auto", "tree", "brute"])
    args = parser.parse_args(argv)

    device = f"cpu ({torch.get_num_threads()} threads)"
    rows = []
    header = f"{'reference':<10} {'n':>7} {'d':>3} {'ref s':>9} {'ibtools s':>9} {'speedup':>7}"
    header += f" {'ref value':>10} {'ib value':>10}"
    print(header, flush=True)
    for n in args.sizes:
        for d in args.dims:
            refs = ["ckdtree"] + (["sklearn"] if d == 1 else [])
            ib_runs, _ = repeat(
                lambda n=n, d=d: time_reference(
                    f"ibtools:{args.method}", n, d, args.skip_ibtools_above
                ),
                args.repeats,
                args.repeat_budget,
            )
            if not ib_runs:
                print(f"ibtools skipped at n={n} d={d} (> {args.skip_ibtools_above} s)")
                rows.append(
                    dict(
                        benchmark="ksg",
                        n=n,
                        d=d,
                        reference="-",
                        device=device,
                        note=f"ibtools skipped (> {args.skip_ibtools_above} s); reference not run",
                    )
                )
                continue
            ib_s = statistics.median(t for t, _ in ib_runs)
            ib_v = ib_runs[0][1]
            for ref in refs:
                ref_runs, skipped = repeat(
                    lambda ref=ref, n=n, d=d: time_reference(ref, n, d, args.skip_reference_above),
                    args.repeats,
                    args.repeat_budget,
                )
                note = f"ibtools runs={len(ib_runs)}, method={args.method}"
                if ref_runs:
                    ref_s = statistics.median(t for t, _ in ref_runs)
                    ref_v = ref_runs[0][1]
                    speedup = ref_s / ib_s
                    note += f", reference runs={len(ref_runs)}"
                else:
                    ref_s = ref_v = speedup = float("nan")
                    note += f", reference skipped (> {args.skip_reference_above} s)"
                rows.append(
                    dict(
                        benchmark="ksg",
                        n=n,
                        d=d,
                        reference=ref,
                        reference_s="" if skipped and not ref_runs else f"{ref_s:.3f}",
                        ibtools_s=f"{ib_s:.3f}",
                        speedup="" if not ref_runs else f"{speedup:.2f}",
                        ibtools_value=f"{ib_v:.6f}",
                        reference_value="" if not ref_runs else f"{ref_v:.6f}",
                        device=device,
                        note=note,
                    )
                )
                ref_txt = f"{ref_s:9.2f}" if ref_runs else f"{'skipped':>9}"
                sp_txt = f"{speedup:7.2f}" if ref_runs else f"{'-':>7}"
                rv_txt = f"{ref_v:10.4f}" if ref_runs else f"{'-':>10}"
                print(
                    f"{ref:<10} {n:>7} {d:>3} {ref_txt} {ib_s:9.2f} {sp_txt} {rv_txt} {ib_v:10.4f}",
                    flush=True,
                )
                write_csv(args.out, rows)  # after every case, so a long run leaves results
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
