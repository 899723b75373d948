"""Train a few-label classifier on a workspace, save it, and score every galaxy with it.

Scores go to ``WS/scores.parquet`` (``id`` plus one column per classifier, e.g.
``finetune_ring``): the app offers them as map colours and ranking columns.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oddfinder.errors import WorkspaceError

__all__ = [
    "MODES",
    "SCORES_TABLE",
    "finetune_workspace",
    "read_images",
    "score_workspace",
    "survey_sample",
]

logger = logging.getLogger(__name__)

MODES = ("head", "full", "scratch")
SCORES_TABLE = "scores"


def read_images(ws, rows: np.ndarray, *, size: int = 64, workers: int = 0) -> np.ndarray:
    """The images of catalogue ``rows`` as uint8 ``(len(rows), 3, size, size)``.

    Raises
    ------
    WorkspaceError
        If the catalogue has no image paths.
    oddfinder.errors.ImageError
        If an image cannot be read (naming its row and id).
    """
    from oddfinder.embed.dataset import read_uint8
    from oddfinder.errors import ImageError

    catalog = ws.catalog
    if "path" not in catalog.columns:
        raise WorkspaceError(
            f"{ws.path / 'catalog.parquet'} has no image paths: modes full and scratch need "
            "images (use --mode head on precomputed embeddings)"
        )
    paths = catalog["path"].to_numpy()
    out = np.empty((len(rows), 3, size, size), dtype=np.uint8)
    for i, row in enumerate(np.asarray(rows, dtype=np.int64)):
        try:
            out[i] = read_uint8(str(paths[row]), size=size).transpose(2, 0, 1)
        except ImageError as error:
            raise ImageError(f"row {row} (id {ws.ids[row]}): {error}") from error
    return out


def _inputs(ws, mode: str, rows: np.ndarray) -> np.ndarray:
    if mode == "head":
        return np.asarray(ws.embeddings()[rows], dtype=np.float32)
    return read_images(ws, rows)


def survey_sample(ws, *, size: int = 20_000, seed: int = 0) -> np.ndarray:
    """Embeddings of up to ``size`` galaxies drawn at random from ``ws`` (sorted rows, float32).

    The head's centre and scale come from these (:meth:`HeadClassifier.fit`'s ``reference``).
    """
    rows = np.arange(ws.n)
    if ws.n > size:
        rows = np.sort(np.random.default_rng(seed).choice(ws.n, size=size, replace=False))
    return np.asarray(ws.embeddings()[rows], dtype=np.float32)


def score_workspace(ws, classifier, *, column: str, batch_rows: int = 4096) -> pd.DataFrame:
    """Score every galaxy with ``classifier`` into column ``column`` of ``WS/scores.parquet``.

    Other columns of the table are kept; the write is atomic.

    Returns
    -------
    pandas.DataFrame
        The whole scores table.
    """
    if column in ("id",):
        raise ValueError("the score column cannot be called 'id'")
    values = np.empty(ws.n, dtype=np.float32)
    for start in range(0, ws.n, batch_rows):
        rows = np.arange(start, min(start + batch_rows, ws.n))
        values[rows] = classifier.predict_proba(_inputs(ws, classifier.mode, rows))[:, 1]
    table = pd.DataFrame({"id": ws.ids})
    if ws.has(SCORES_TABLE):
        old = ws.read_table(SCORES_TABLE)
        if len(old) == ws.n and (old["id"].astype(str).to_numpy() == ws.ids).all():
            table = old.drop(columns=[column], errors="ignore")
    table[column] = values
    ws.write_table(SCORES_TABLE, table)
    logger.info("wrote column %r of %s", column, ws.path / f"{SCORES_TABLE}.parquet")
    return table


def finetune_workspace(
    ws,
    label_column: str,
    *,
    mode: str = "head",
    out: str | os.PathLike,
    train_ids: str | os.PathLike | list[str] | None = None,
    positive: str | None = None,
    column: str | None = None,
    seed: int = 0,
    epochs: float = 10.0,
    max_steps: int = 80,
) -> dict[str, Any]:
    """Train a ``mode`` classifier on ``label_column``, save it to ``out``, score the workspace.

    Parameters
    ----------
    ws : Workspace
        Embedded (mode ``head``) or with images (``full``, ``scratch``).
    label_column : str
        A 0/1 catalogue column (or any column with ``positive``).
    mode : {"head", "full", "scratch"}
    out : path-like
        Where the classifier is saved (see :func:`~oddfinder.finetune.model_file.load_classifier`).
    train_ids : path-like or list of str, optional
        Train only on these galaxies (default: every labelled one).
    column : str, optional
        Name of the score column (default ``finetune_<label_column>``).
    seed, epochs, max_steps
        Training settings of the CNN modes.

    Returns
    -------
    dict
        ``mode``, ``column``, ``n_train``, ``n_positive``, ``model`` (path) and
        ``train_accuracy``.
    """
    from oddfinder.finetune.full import CNNClassifier
    from oddfinder.finetune.head import HeadClassifier
    from oddfinder.finetune.model_file import save_classifier
    from oddfinder.finetune.scratch import ScratchClassifier
    from oddfinder.finetune.targets import training_labels

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "head" and not ws.has("embeddings"):
        raise WorkspaceError(f"workspace {ws.path} has no embeddings.npy: run `oddfinder embed`")
    rows, y = training_labels(ws, label_column, train_ids=train_ids, positive=positive)
    if mode == "head":
        classifier = HeadClassifier()
    else:
        kind = CNNClassifier if mode == "full" else ScratchClassifier
        classifier = kind(seed=seed, epochs=epochs, max_steps=max_steps)
    inputs = _inputs(ws, mode, rows)
    if mode == "head":
        classifier.fit(inputs, y, reference=survey_sample(ws, seed=seed))
    else:
        classifier.fit(inputs, y)
    accuracy = float(((classifier.predict_proba(inputs)[:, 1] > 0.5) == y).mean())
    column = column or f"finetune_{label_column}"
    path = save_classifier(
        out,
        classifier,
        label_column=label_column,
        column=column,
        n_train=len(y),
        n_positive=int(y.sum()),
        encoder_version=str(ws.meta.get("encoder_version", "")),
    )
    score_workspace(ws, classifier, column=column)
    return {
        "mode": mode,
        "column": column,
        "n_train": len(y),
        "n_positive": int(y.sum()),
        "model": str(Path(path)),
        "train_accuracy": accuracy,
    }
