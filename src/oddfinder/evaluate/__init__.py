"""Simulated researcher, discovery metrics and the benchmark runner."""

from oddfinder.evaluate.benchmark import run_benchmark
from oddfinder.evaluate.metrics import average_precision, precision_at, rank_weighted_score
from oddfinder.evaluate.oracle import Oracle, truth_from_catalog

__all__ = [
    "Oracle",
    "average_precision",
    "precision_at",
    "rank_weighted_score",
    "run_benchmark",
    "truth_from_catalog",
]
