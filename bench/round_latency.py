"""Latency of one labelling round at survey scale, ours against gpytorch's default path.

A round = refit the GP on ~500 labels (warm start), mean and std for every galaxy, pick the
next batch of 10. Features: N x 40 float32 (a Gaussian mixture with a rare cluster), plus with
``--extra-dims K`` K noise columns as a second length-scale group (the morphometry's place).

Ours: :class:`oddfinder.rank.gp_ranker.GPRanker`. The state before the measured rounds is
``labels - 10`` labels, fitted: this "cold" round includes the first full, tiled posterior
computation, whose time is ``full_recompute_s`` (what a round costs whenever the kernel
hyperparameters moved by more than ``hyper_tol``, or labels were removed). Each measured
("steady") round adds 10 labels; the median and max over ``--rounds`` rounds are reported
with per-step timings (refit, posterior update split into kernel / ``L21 V`` product /
solve / accumulate, acquisition).

gpytorch: the same fitted hyperparameters in a gpytorch ``ExactGP`` (float32),
``model(x).mean`` / ``.variance`` in batches of 10k rows (its default path builds
batch x batch test covariances), timed on ``--gpytorch-rows`` rows and extrapolated
linearly to N (``extrapolated_from``). ``speedup`` = gpytorch's prediction alone over our
whole round.

``session``: a 50-round simulated session on ``--session-n`` galaxies (default 10^6) (labels from a
synthetic oracle: 5 for the rare cluster, else 0 or 1; seeded with 10 random
galaxies and 2 of the rare cluster), counting how many rounds needed a full
recomputation under the hyperparameter policy (``hyper_tol``) and their cost.

Each N runs in its own subprocess so peak memory (``ru_maxrss``) is per N:
``peak_rss_mb_ours`` before gpytorch runs, ``peak_rss_mb_with_gpytorch`` after; ``cache_mb``
is the cached ``V`` buffer. ``load_before`` / ``load_after`` are the 1-minute load averages
(other processes sharing the cores slow every figure down). Prints JSON.

Usage::

    .venv/bin/python bench/round_latency.py            # N = 100000 and 1000000 (~2 min)
    .venv/bin/python bench/round_latency.py --quick    # N = 100000 only, shorter session
    .venv/bin/python bench/round_latency.py --n 1000000 --rounds 7 --labels 500
    .venv/bin/python bench/round_latency.py --n 1000000 --extra-dims 27 --session-rounds 0
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
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


def _r(v):
    return round(v, 4) if isinstance(v, float) else v


def _round_record(ranker, total: float) -> dict:
    post = {f"posterior_{k}": _r(v) for k, v in ranker.posterior.timings_.items()}
    return {**{k: _r(v) for k, v in ranker.timings_.items()}, **post, "total_s": round(total, 4)}


def measure(
    n: int, *, rounds: int, labels: int, gpytorch_rows: int, seed: int, extra_dims: int = 0
) -> dict:
    import torch

    from oddfinder.rank.gp_ranker import GPRanker
    from oddfinder.rank.gpytorch_ref import gpytorch_predict, model_from_hyper

    load_before = os.getloadavg()[0]
    d = 40
    x, truth, prior = _features(n, d, seed)
    groups = None
    if extra_dims:
        # A second feature group, as morphometry is beside the embedding's PCA (README).
        extra = np.random.default_rng(seed + 2).standard_normal((n, extra_dims), np.float32)
        x = np.hstack([x, extra])
        groups = np.r_[np.zeros(d, np.int64), np.ones(extra_dims, np.int64)]
    rng = np.random.default_rng(seed + 1)
    pos = rng.choice(np.flatnonzero(truth), 40, replace=False)
    neg = rng.choice(np.flatnonzero(~truth), labels + 10 * rounds - 40, replace=False)
    order = rng.permutation(np.concatenate([pos, neg]))
    scores = np.where(truth[order], 5.0, 0.0)

    t0 = time.perf_counter()
    ranker = GPRanker(x, prior=prior, seed=seed, groups=groups)
    setup_s = time.perf_counter() - t0
    m0 = labels - 10
    labelled = np.zeros(n, bool)
    t0 = time.perf_counter()
    ranker.fit(order[:m0], scores[:m0])
    labelled[order[:m0]] = True
    ranker.select(10, labelled)
    cold = _round_record(ranker, time.perf_counter() - t0)

    per_round = []
    for r in range(rounds):
        m = m0 + 10 * (r + 1)
        t0 = time.perf_counter()
        ranker.fit(order[:m], scores[:m])
        labelled[order[:m]] = True
        picks = ranker.select(10, labelled)
        total = time.perf_counter() - t0
        assert picks.size == 10 and not labelled[picks].any()
        per_round.append(_round_record(ranker, total))
    post = ranker.posterior
    hyper = post.hyper_
    peak_ours_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cache_mb = post.cache_bytes / 2**20
    mean_ours, std_ours = post.mean_.copy(), post.std_.copy()
    ranker = post = None  # free V before gpytorch runs

    # gpytorch's default predictive path with the same hyperparameters (float32).
    m = m0 + 10 * rounds
    rows_l = order[:m]
    if groups is not None:  # one length scale for gpytorch: the same cost
        hyper = dataclasses.replace(hyper, lengthscale=float(np.median(hyper.lengthscale)))
    model, _ = model_from_hyper(hyper, x[rows_l], scores[:m] / 5.0, dtype="float32")
    rows = min(gpytorch_rows, n)
    gpytorch_predict(model, x[:1000], batch_size=1000)  # warm-up (caches the train solve)
    t0 = time.perf_counter()
    g_mean, g_std = gpytorch_predict(model, x[:rows], batch_size=10_000)
    g_measured = time.perf_counter() - t0
    g_s = g_measured * n / rows

    def stat(key, fn):
        return round(fn([r[key] for r in per_round]), 4)

    steady = stat("total_s", statistics.median)
    steps = [
        k
        for k in per_round[0]
        if k.endswith("_s") and all(isinstance(r.get(k), float) for r in per_round)
    ]
    return {
        "n": n,
        "d": x.shape[1],
        "groups": 1 if groups is None else 2,
        "labels": m,
        "torch_threads": torch.get_num_threads(),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "ours": {
            "round_median_s": steady,
            "round_max_s": stat("total_s", max),
            "rounds": len(per_round),
            "step_median_s": {k: stat(k, statistics.median) for k in steps},
            "modes": [r.get("posterior_mode") for r in per_round],
            "per_round": per_round,
            "full_recompute_s": cold.get("posterior_update_s"),
            "cold_round": cold,
            "setup_s": round(setup_s, 4),
        },
        "gpytorch_default": {
            "predict_s": round(g_s, 3),
            "measured_s": round(g_measured, 3),
            "extrapolated_from": rows if rows < n else None,
            "batch_rows": 10_000,
            # With two groups gpytorch gets one length scale: same cost, other values.
            "max_abs_diff_mean": None
            if groups is not None
            else float(np.abs(g_mean * 5 - mean_ours[:rows]).max()),
            "max_abs_diff_std": None
            if groups is not None
            else float(np.abs(g_std * 5 - std_ours[:rows]).max()),
        },
        "speedup_round": round(g_s / steady, 1),
        "speedup_full_recompute": round(g_s / cold["posterior_update_s"], 1),
        "peak_rss_mb_ours": round(peak_ours_mb, 1),
        "peak_rss_mb_with_gpytorch": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "features_mb": round(x.nbytes / 2**20, 1),
        "cache_mb": round(cache_mb, 1),
    }


def session(n: int, *, rounds: int, seed: int) -> dict:
    """A simulated session: oracle labels, 10 per round, from 12 seed labels."""
    from oddfinder.rank.gp_ranker import GPRanker

    x, truth, prior = _features(n, 40, seed)
    rng = np.random.default_rng(seed + 2)
    oracle = np.where(truth, 5.0, rng.uniform(0.0, 1.0, size=n).round(0))
    ranker = GPRanker(x, prior=prior, seed=seed)
    # The researcher starts from 10 random galaxies and 2 known examples of the rare kind.
    rows = np.concatenate(
        [rng.choice(np.flatnonzero(~truth), 10, replace=False), np.flatnonzero(truth)[:2]]
    )
    labelled = np.zeros(n, bool)
    labelled[rows] = True
    record = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        ranker.fit(rows, oracle[rows])
        picks = ranker.select(10, labelled)
        total = time.perf_counter() - t0
        timings = ranker.posterior.timings_
        record.append((timings.get("mode"), total, timings.get("lml_gain")))
        rows = np.concatenate([rows, picks])
        labelled[picks] = True
    # Drift of the incremental updates: the final posterior against a fresh full computation.
    post = ranker.posterior
    mean_inc, std_inc = post.mean_.copy(), post.std_.copy()
    post._full(post.hyper_, post.rows_, post.y_)
    drift_mean = float(np.abs(mean_inc - post.mean_).max())
    drift_std = float(np.abs(std_inc - post.std_).max())
    full = [t for mode, t, _ in record if mode == "full"]
    inc = [t for mode, t, _ in record if mode == "incremental"]
    return {
        "n": n,
        "rounds": rounds,
        "final_labels": int(rows.size),
        "positives_found": int(truth[rows].sum()),
        "full_rounds": len(full),
        "full_round_indices": [i for i, (mode, _, _) in enumerate(record) if mode == "full"],
        "lml_gains": [None if g is None else round(g, 2) for _, _, g in record],
        "full_round_median_s": round(statistics.median(full), 4) if full else None,
        "incremental_round_median_s": round(statistics.median(inc), 4) if inc else None,
        "total_s": round(sum(t for _, t, _ in record), 3),
        "final_incremental_vs_full_max_abs_diff": {"mean": drift_mean, "std": drift_std},
        "hyper_tol": ranker.posterior.hyper_tol,
        "ml_tol": ranker.posterior.ml_tol,
    }


def _child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="round latency at survey scale")
    parser.add_argument("--n", type=int, nargs="*", default=None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument("--gpytorch-rows", type=int, default=20_000)
    parser.add_argument("--session-n", type=int, default=None, help="default 1e6 (1e5 quick)")
    parser.add_argument("--session-rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--extra-dims",
        type=int,
        default=0,
        help="append this many columns as a second GP group (27: the morphometry's width)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="N = 100000, 20-round session on 100000"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-session", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_session:
        n = args.session_n or 1_000_000
        print(json.dumps(session(n, rounds=args.session_rounds, seed=args.seed)))
        return 0
    if args.child:
        result = measure(
            args.n[0],
            rounds=args.rounds,
            labels=args.labels,
            gpytorch_rows=args.gpytorch_rows,
            seed=args.seed,
            extra_dims=args.extra_dims,
        )
        print(json.dumps(result))
        return 0
    sizes = args.n or ([100_000] if args.quick else [100_000, 1_000_000])
    session_rounds = min(args.session_rounds, 20) if args.quick else args.session_rounds
    session_n = args.session_n or (100_000 if args.quick else 1_000_000)
    t0 = time.perf_counter()
    results = []
    for n in sizes:
        common = ["--rounds", str(args.rounds), "--labels", str(args.labels)]
        common += ["--gpytorch-rows", str(min(args.gpytorch_rows, n)), "--seed", str(args.seed)]
        common += ["--extra-dims", str(args.extra_dims)]
        results.append(_child(["--n", str(n), *common]))
    sess = None
    if session_rounds > 0:
        sess = _child(
            [
                "--child-session",
                "--session-n",
                str(session_n),
                "--session-rounds",
                str(session_rounds),
                "--seed",
                str(args.seed),
            ]
        )
    out = {
        "results": results,
        "session": sess,
        "cpu_count": os.cpu_count(),
        "bench_wall_s": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
