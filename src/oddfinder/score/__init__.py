"""Unsupervised anomaly priors (isolation forest, LOF)."""

from oddfinder.score.priors import IsolationPrior, LofPrior, scale_scores
from oddfinder.score.workspace import read_prior, score_features, score_workspace

__all__ = [
    "IsolationPrior",
    "LofPrior",
    "read_prior",
    "scale_scores",
    "score_features",
    "score_workspace",
]
