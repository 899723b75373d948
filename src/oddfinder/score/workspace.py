"""Score a whole workspace with an anomaly prior and save it as ``prior.parquet``."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from oddfinder.io.workspace import Workspace
from oddfinder.score.priors import make_prior, scale_scores

__all__ = ["answer_prior", "read_prior", "score_features", "score_workspace"]

logger = logging.getLogger(__name__)


def score_features(features: np.ndarray, *, method: str = "iforest", seed: int = 0) -> np.ndarray:
    """Anomaly prior of every row of ``features``, scaled to ``[0, 1]`` by rank.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = np.vstack([rng.normal(size=(300, 4)), 10 + rng.normal(size=(2, 4))])
    >>> p = score_features(x)
    >>> bool(p[-2:].min() > 0.95)
    True
    """
    features = np.asarray(features, dtype=np.float32)
    raw = make_prior(method, seed=seed).fit(features).score_samples(features)
    return scale_scores(raw)


ANSWER_PREFIX = "answer:"


def answer_prior(ws: Workspace, column: str) -> np.ndarray:
    """An informative prior: the bundled CNN's answer ``column`` (e.g. ``merging``), by rank.

    Where the researcher's interest matches one of the questions the CNN answers, its answer
    is a better first guess than "anomalous" (GZ1 mergers: ROC AUC 0.75 for ``merging`` against
    0.68 for the isolation forest; README "Benchmarks").

    Raises
    ------
    WorkspaceError
        Without ``answers.parquet``, or when ``column`` is not one of its answers.
    """
    from oddfinder.embed.inference import load_answers
    from oddfinder.errors import WorkspaceError

    answers = load_answers(ws)
    names = [c for c in answers.columns if c != "id"]
    if column not in names:
        raise WorkspaceError(
            f"{ws.path / 'answers.parquet'} has no answer {column!r}: use one of {', '.join(names)}"
        )
    if len(answers) != ws.n or not np.array_equal(answers["id"].astype(str).to_numpy(), ws.ids):
        raise WorkspaceError(
            f"{ws.path / 'answers.parquet'} does not match the catalogue: rerun `oddfinder embed`"
        )
    values = answers[column].to_numpy(np.float64)
    if not np.isfinite(values).all():
        row = int(np.flatnonzero(~np.isfinite(values))[0])
        raise WorkspaceError(
            f"{ws.path / 'answers.parquet'}: {column} of row {row} (id {ws.ids[row]}) is not finite"
        )
    return scale_scores(values)


def score_workspace(ws: Workspace, *, method: str = "iforest", seed: int = 0) -> np.ndarray:
    """Score every galaxy of ``ws`` and write ``ws/prior.parquet`` (id, prior, method).

    ``method`` is ``"iforest"`` or ``"lof"`` (anomaly priors on the ranking features), or
    ``"answer:COLUMN"``: the bundled CNN's answer ``COLUMN`` (:func:`answer_prior`).

    Returns
    -------
    numpy.ndarray
        The prior, float32 in ``[0, 1]``, higher = more anomalous (or more likely the
        answer), row ``i`` = galaxy ``i``.
    """
    from oddfinder.rank.features import ranking_features

    if method.startswith(ANSWER_PREFIX):
        prior = answer_prior(ws, method[len(ANSWER_PREFIX) :])
        ws.write_table("prior", pd.DataFrame({"id": ws.ids, "prior": prior, "method": method}))
        return prior
    features = ranking_features(ws).values
    logger.info("scoring %d galaxies with %s", features.shape[0], method)
    prior = score_features(features, method=method, seed=seed)
    ws.write_table("prior", pd.DataFrame({"id": ws.ids, "prior": prior, "method": method}))
    return prior


def read_prior(ws: Workspace) -> np.ndarray | None:
    """The workspace's saved prior in row order, or ``None`` when it has none."""
    if not ws.has("prior"):
        return None
    table = ws.read_table("prior")
    if len(table) != ws.n or not np.array_equal(table["id"].astype(str).to_numpy(), ws.ids):
        logger.warning("prior.parquet does not match the catalogue; ignoring it")
        return None
    return table["prior"].to_numpy(dtype=np.float32)
