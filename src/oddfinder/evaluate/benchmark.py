"""The discovery benchmark: simulated researchers label what each method shows.

For every method and seed a :class:`~oddfinder.rank.session.RankingSession` shows batches,
an :class:`~oddfinder.evaluate.oracle.Oracle` labels them, and at each label budget the
session's ranking of the whole survey (labelled galaxies by their label, the rest by
predicted interest) is scored with :mod:`oddfinder.evaluate.metrics`. ``ap_unlabelled`` is the
average precision of the same ranking restricted to the galaxies not yet labelled: on a small
survey, where the labels cover a large fraction, the plain AP mostly counts the positives found
by labelling (ranked first), and this one tells whether the model ranks the rest any better.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np

from oddfinder.evaluate.metrics import average_precision, precision_at, rank_weighted_score
from oddfinder.evaluate.oracle import Oracle

__all__ = ["DEFAULT_BUDGETS", "METRICS", "run_benchmark", "run_one"]

logger = logging.getLogger(__name__)

DEFAULT_BUDGETS = (10, 20, 50, 100, 150, 200)
METRICS = ("p@20", "p@50", "p@100", "p@200", "ap", "ap_unlabelled", "rws", "found")


def _metrics(
    ranking: np.ndarray, truth: np.ndarray, found: int, labelled: np.ndarray
) -> dict[str, float]:
    rest = ranking[~labelled[ranking]]
    return {
        "p@20": precision_at(ranking, truth, 20),
        "p@50": precision_at(ranking, truth, 50),
        "p@100": precision_at(ranking, truth, 100),
        "p@200": precision_at(ranking, truth, 200),
        "ap": average_precision(ranking, truth),
        "ap_unlabelled": average_precision(rest, truth),
        "rws": rank_weighted_score(ranking, truth, n=100),
        "found": float(found),
    }


def run_one(
    features: np.ndarray,
    scores: np.ndarray,
    *,
    prior: np.ndarray | None,
    method: str,
    labels: Sequence[int] = DEFAULT_BUDGETS,
    batch: int = 10,
    seed: int = 0,
    seed_examples: int = 0,
    positive: float = 3.0,
    options: dict | None = None,
) -> dict[str, list[float]]:
    """One method, one seed: metrics at each label budget (plus timings)."""
    from oddfinder.rank.session import RankingSession

    truth = scores >= positive
    oracle = Oracle(scores)
    t0 = time.perf_counter()
    session = RankingSession(
        features, prior=prior, method=method, batch_size=batch, seed=seed, **(options or {})
    )
    if seed_examples:
        rng = np.random.default_rng(10_000 + seed)
        pos = np.flatnonzero(truth)
        given = rng.choice(pos, size=min(seed_examples, pos.size), replace=False)
        session.update(oracle.label(given))
    out: dict[str, list[float]] = {name: [] for name in METRICS}
    budgets = sorted(int(b) for b in labels)
    n_labels = len(session.labels_)
    for budget in budgets:
        while n_labels < budget:
            picks = session.next_batch(min(batch, budget - n_labels))
            if picks.size == 0:
                break
            session.update(oracle.label(picks))
            n_labels = len(session.labels_)
        rows = np.fromiter(session.labels_.keys(), dtype=np.int64)
        found = int(truth[rows].sum()) if rows.size else 0
        metrics = _metrics(session.ranking(), truth, found, session.labelled_mask)
        for name, value in metrics.items():
            out[name].append(value)
    out["seconds"] = [time.perf_counter() - t0]
    return out


def run_benchmark(
    features: np.ndarray,
    truth: np.ndarray,
    *,
    prior: np.ndarray | None = None,
    methods: Sequence[str] = ("gp", "random", "prior", "neighbourscore", "walmsley"),
    labels: Sequence[int] = DEFAULT_BUDGETS,
    batch: int = 10,
    seeds: int = 5,
    seed_examples: int = 0,
    method_options: dict[str, dict] | None = None,
) -> dict:
    """Run every method for every seed on arrays; returns the ``results.json`` structure.

    Parameters
    ----------
    features : array (N, d)
        Every galaxy's features.
    truth : array (N,)
        Oracle scores 0-5 (a boolean array counts ``True`` as 5); >= 3 is interesting.
    prior : array (N,), optional
        Anomaly prior in [0, 1].
    methods : sequence of str
        Methods to compare (see :data:`oddfinder.rank.session.METHODS`).
    labels : sequence of int
        Label budgets at which the ranking is scored.
    batch : int
        Batch size per round.
    seeds : int
        Number of seeds (simulated researchers) per method.
    seed_examples : int
        Interesting examples the researcher gives before the first round.
    method_options : dict, optional
        Extra constructor options per method name.

    Returns
    -------
    dict
        ``{"n", "n_interesting", "labels", "methods": {name: {metric: [mean per budget],
        metric + "_min": [worst seed per budget], "per_seed": {metric: [[...], ...]}}}}``.
    """
    scores = np.asarray(truth)
    scores = np.where(scores, 5.0, 0.0) if scores.dtype == bool else scores.astype(np.float64)
    budgets = sorted(int(b) for b in labels)
    result: dict = {
        "n": int(scores.size),
        "n_interesting": int((scores >= 3.0).sum()),
        "labels": budgets,
        "batch": batch,
        "seeds": seeds,
        "seed_examples": seed_examples,
        "methods": {},
    }
    for method in methods:
        per_seed: dict[str, list[list[float]]] = {name: [] for name in [*METRICS, "seconds"]}
        for seed in range(seeds):
            one = run_one(
                features,
                scores,
                prior=prior,
                method=method,
                labels=budgets,
                batch=batch,
                seed=seed,
                seed_examples=seed_examples,
                options=(method_options or {}).get(method),
            )
            for name, values in one.items():
                per_seed[name].append(values)
            logger.info(
                "%s seed %d: p@100 %s found %s (%.1f s)",
                method,
                seed,
                [round(v, 2) for v in one["p@100"]],
                [int(v) for v in one["found"]],
                one["seconds"][0],
            )
        summary: dict = {"per_seed": per_seed}
        for name in METRICS:
            arr = np.asarray(per_seed[name], dtype=np.float64)
            summary[name] = arr.mean(axis=0).round(4).tolist()
            summary[f"{name}_min"] = arr.min(axis=0).round(4).tolist()
        summary["seconds"] = float(np.sum(per_seed["seconds"]))
        result["methods"][method] = summary
    return result
