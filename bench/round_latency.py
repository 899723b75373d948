"""Latency of one labelling round at survey scale, ours against gpytorch's default path.

A round = refit the GP on 500 labels (warm start), mean and std for every galaxy, pick the
next batch of 10. Features: N x 40 float32 (a Gaussian mixture with a rare cluster).

Ours: :class:`oddfinder.rank.gp_ranker.GPRanker`. The state before the measured rounds is
490 labels, fitted (this "cold" round includes the first full, tiled posterior computation,
reported as ``cold_round``); each measured round adds 10 labels. ``full_predict_s`` is a
forced full recomputation of the posterior over all N (what a round costs when the
hyperparameters moved by more than ``hyper_tol``). gpytorch: the same fitted hyperparameters
in a gpytorch ``ExactGP`` (float32), ``model(x).mean`` / ``.variance`` in batches of 10k rows
(its default path builds batch x batch test covariances), timed on ``--gpytorch-rows`` rows
and extrapolated linearly to N.

Each N runs in its own subprocess so peak memory (``ru_maxrss``) is per N: ``peak_rss_mb_ours``
before gpytorch runs, ``peak_rss_mb_with_gpytorch`` after. Prints JSON.

Usage::

    .venv/bin/python bench/round_latency.py            # N = 100000 and 1000000
    .venv/bin/python bench/round_latency.py --n 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np


def _features(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, d)).astype(np.float32) * 3.0
    which = rng.integers(0, 20, size=n)
    x = centres[which]
    x += rng.standard_normal(size=(n, d), dtype=np.float32)
    rare = rng.choice(n, max(n // 500, 50), replace=False)
    x[rare] = 8.0 + 0.5 * rng.standard_normal(size=(rare.size, d), dtype=np.float32)
    truth = np.zeros(n, bool)
    truth[rare] = True
    prior = rng.uniform(size=n).astype(np.float32)
    return x, truth, prior


def measure(n: int, *, rounds: int, labels: int, gpytorch_rows: int, seed: int) -> dict:
    import torch

    from oddfinder.rank.gp_ranker import GPRanker
    from oddfinder.rank.gpytorch_ref import gpytorch_predict, model_from_hyper

    d = 40
    x, truth, prior = _features(n, d, seed)
    rng = np.random.default_rng(seed + 1)
    pos = rng.choice(np.flatnonzero(truth), 40, replace=False)
    neg = rng.choice(np.flatnonzero(~truth), labels + 10 * rounds - 40, replace=False)
    order = rng.permutation(np.concatenate([pos, neg]))
    scores = np.where(truth[order], 5.0, 0.0)

    t0 = time.perf_counter()
    ranker = GPRanker(x, prior=prior, seed=seed)
    setup_s = time.perf_counter() - t0
    m0 = labels - 10
    labelled = np.zeros(n, bool)
    t0 = time.perf_counter()
    ranker.fit(order[:m0], scores[:m0])
    labelled[order[:m0]] = True
    ranker.select(10, labelled)
    cold = {**ranker.timings_, "total_s": time.perf_counter() - t0}

    per_round = []
    for r in range(rounds):
        m = m0 + 10 * (r + 1)
        t0 = time.perf_counter()
        ranker.fit(order[:m], scores[:m])
        labelled[order[:m]] = True
        picks = ranker.select(10, labelled)
        total = time.perf_counter() - t0
        assert picks.size == 10 and not labelled[picks].any()
        per_round.append({**ranker.timings_, "total_s": total})
    hyper = ranker.posterior.hyper_

    # A forced full recomputation of mean and std over all N with the current hyperparameters.
    post = ranker.posterior
    t0 = time.perf_counter()
    post._full(hyper, post.rows_, post.y_)
    full_predict_s = time.perf_counter() - t0

    peak_ours_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # gpytorch's default predictive path with the same hyperparameters (float32).
    m = post.rows_.size
    model, _ = model_from_hyper(hyper, x[post.rows_], post.y_, dtype="float32")
    rows = min(gpytorch_rows, n)
    gpytorch_predict(model, x[:1000], batch_size=1000)  # warm-up (caches the train solve)
    t0 = time.perf_counter()
    g_mean, g_std = gpytorch_predict(model, x[:rows], batch_size=10_000)
    g_s = (time.perf_counter() - t0) * n / rows
    err_mean = float(np.abs(g_mean * 5 - post.mean_[:rows]).max())
    err_std = float(np.abs(g_std * 5 - post.std_[:rows]).max())

    def med(key):
        return round(statistics.median(r[key] for r in per_round), 4)

    ours_total = med("total_s")
    return {
        "n": n,
        "d": d,
        "labels": m,
        "torch_threads": torch.get_num_threads(),
        "ours": {
            "refit_s": med("refit_s"),
            "predict_s": med("predict_s"),
            "acquisition_s": med("acquisition_s"),
            "total_s": ours_total,
            "modes": [r["posterior_mode"] for r in per_round],
            "rounds": [
                {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
                for r in per_round
            ],
            "full_predict_s": round(full_predict_s, 4),
            "cold_round": {
                k: (round(v, 4) if isinstance(v, float) else v) for k, v in cold.items()
            },
            "setup_s": round(setup_s, 4),
        },
        "gpytorch_default": {
            "predict_s": round(g_s, 3),
            "measured_rows": rows,
            "extrapolated": rows < n,
            "max_abs_diff_mean": err_mean,
            "max_abs_diff_std": err_std,
        },
        "speedup_round": round(g_s / ours_total, 1),
        "speedup_full_predict": round(g_s / full_predict_s, 1),
        "peak_rss_mb_ours": round(peak_ours_mb, 1),
        "peak_rss_mb_with_gpytorch": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "cache_mb": round(n * m * 4 / 2**20, 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="round latency at survey scale")
    parser.add_argument("--n", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument("--gpytorch-rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(
            json.dumps(
                measure(
                    args.n[0],
                    rounds=args.rounds,
                    labels=args.labels,
                    gpytorch_rows=args.gpytorch_rows,
                    seed=args.seed,
                )
            )
        )
        return 0
    results = []
    for n in args.n:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--n",
                str(n),
                "--rounds",
                str(args.rounds),
                "--labels",
                str(args.labels),
                "--gpytorch-rows",
                str(args.gpytorch_rows),
                "--seed",
                str(args.seed),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(json.dumps({"results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
