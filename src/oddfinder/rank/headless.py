"""Headless ranking of a workspace: labels from the store (or a CSV), fit, export, next batch."""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from oddfinder.errors import LabelError
from oddfinder.io.workspace import Workspace
from oddfinder.labels.store import LabelStore, label_sources

__all__ = ["export_table", "rank_workspace", "read_label_csv", "store_labels"]

logger = logging.getLogger(__name__)


def read_label_csv(path: str | os.PathLike) -> dict[str, float]:
    """Labels ``{id: score}`` from a CSV with columns ``id`` and ``score``.

    Raises
    ------
    LabelError
        Missing file or columns, or a score that is not a number (naming the line).
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype={"id": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise LabelError(f"cannot read labels file {path}: {error}") from None
    missing = {"id", "score"} - set(table.columns)
    if missing:
        raise LabelError(f"labels file {path} lacks column(s) {', '.join(sorted(missing))}")
    labels: dict[str, float] = {}
    for line, (gid, score) in enumerate(zip(table["id"], table["score"], strict=True), start=2):
        try:
            value = float(score)
        except (TypeError, ValueError):
            raise LabelError(f"{path} line {line}: score {score!r} is not a number") from None
        labels[str(gid)] = value
    return labels


def store_labels(ws: Workspace, researcher: str) -> dict[str, float]:
    """The researcher's labels from ``ws/labels.sqlite`` (empty when there is no store)."""
    if not ws.labels_path.is_file():
        return {}
    return {g: float(s) for g, s in LabelStore(ws.labels_path).labels(researcher).items()}


def _rows_of(ws: Workspace, labels: dict[str, float], source: str) -> dict[int, float]:
    rows: dict[int, float] = {}
    row_of = ws.row_of
    for gid, score in labels.items():
        if gid not in row_of:
            raise LabelError(f"label for unknown galaxy id {gid!r} (from {source})")
        if not math.isfinite(score) or not 0.0 <= score <= 5.0:
            raise LabelError(f"label for galaxy {gid!r} is {score!r} (from {source}): use 0 to 5")
        rows[row_of[gid]] = score
    return rows


def export_table(
    ws: Workspace, session, *, top: int = 100, examples: set[str] | None = None
) -> pd.DataFrame:
    """The top ``top`` galaxies: rank, id, ra, dec, label, label_source, interest_mean,
    interest_std, prior, then the catalogue's other columns.

    ``label_source`` is ``"example"`` for the ids in ``examples`` (galaxies given up front as
    what the researcher wants), ``"label"`` for the other labelled ones, missing otherwise.
    """
    table = session.ranking_table(ws.ids, top=top)
    catalog = ws.catalog.iloc[table["row"].to_numpy()].reset_index(drop=True)
    out = table.drop(columns="row")
    out.insert(
        out.columns.get_loc("label") + 1,
        "label_source",
        label_sources(out["id"], out["label"].notna(), examples or set()),
    )
    for column in ("ra", "dec"):
        out.insert(
            2 if column == "ra" else 3, column, catalog[column] if column in catalog else np.nan
        )
    extra = [c for c in catalog.columns if c not in out.columns]
    return pd.concat([out, catalog[extra]], axis=1)


def rank_workspace(
    ws: Workspace,
    researcher: str,
    *,
    method: str = "gp",
    labels_csv: str | os.PathLike | None = None,
    top: int = 100,
    batch_size: int = 10,
    seed: int = 0,
):
    """Fit the interest model on the researcher's labels; returns (session, export table).

    Labels come from ``labels_csv`` when given, else from the workspace's label store.
    The prior is read from ``prior.parquet`` (computed and saved first when missing).
    """
    from oddfinder.rank.features import ranking_features
    from oddfinder.rank.session import RankingSession
    from oddfinder.score.workspace import read_prior, score_workspace

    features = ranking_features(ws)
    prior = read_prior(ws)
    if prior is None:
        logger.info("no anomaly prior yet: computing it (isolation forest)")
        prior = score_workspace(ws)
    examples: set[str] = set()
    if labels_csv is not None:
        labels, source = read_label_csv(labels_csv), str(labels_csv)
    else:
        labels, source = store_labels(ws, researcher), str(ws.labels_path)
        if ws.labels_path.is_file():
            examples = LabelStore(ws.labels_path).examples(researcher)
    rows = _rows_of(ws, labels, source)
    logger.info("%s: %d labels from %s", researcher, len(rows), source)
    session = RankingSession(
        features.values,
        prior=prior,
        method=method,
        batch_size=batch_size,
        seed=seed,
        **(features.options if method == "gp" else {}),
    )
    if rows:
        session.update(rows)
    return session, export_table(ws, session, top=top, examples=examples)
