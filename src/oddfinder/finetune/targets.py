"""The training labels of a fine-tuning run: a binary catalogue column, optionally some ids."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from oddfinder.errors import LabelError

__all__ = ["MIN_PER_CLASS", "binary_labels", "read_id_file", "training_labels"]

MIN_PER_CLASS = 2


def binary_labels(ws, column: str, *, positive: str | None = None) -> np.ndarray:
    """The catalogue column ``column`` as float 1/0 labels, NaN where missing.

    Parameters
    ----------
    ws : Workspace
    column : str
        A catalogue column holding 0/1 (or booleans); with ``positive``, any column, and the
        rows equal to ``positive`` (compared as strings) are the positives.
    positive : str, optional
        The value that counts as a positive label.

    Raises
    ------
    LabelError
        If the column is missing or holds values other than 0/1.
    """
    catalog = ws.catalog
    where = ws.path / "catalog.parquet"
    if column not in catalog.columns or column in ("id", "path"):
        usable = ", ".join(c for c in catalog.columns if c not in ("id", "path")) or "none"
        raise LabelError(f"{where}: no label column {column!r} (columns: {usable})")
    values = catalog[column]
    missing = values.isna().to_numpy()
    if positive is not None:
        out = (values.astype(str) == str(positive)).to_numpy(dtype=np.float64)
        out[missing] = np.nan
        return out
    if pd.api.types.is_bool_dtype(values):
        out = values.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.flatnonzero(~missing & ~np.isin(numeric, (0.0, 1.0)))
        if bad.size:
            row = int(bad[0])
            raise LabelError(
                f"{where}: column {column!r} must hold 0/1 labels (or give a positive value); "
                f"row {row} (id {ws.ids[row]}) has {values.iloc[row]!r}"
            )
        out = numeric
    return out


def read_id_file(path: str | os.PathLike) -> list[str]:
    """Galaxy ids, one a line (blank lines and ``#`` comments skipped; a CSV's ``id`` column).

    Raises
    ------
    LabelError
        If the file cannot be read or lists no ids.
    """
    path = Path(path)
    if not path.is_file():
        raise LabelError(f"training id file not found: {path}")
    if path.suffix.lower() == ".csv":
        table = pd.read_csv(path, dtype=str)
        if "id" not in table.columns:
            raise LabelError(f"{path}: no 'id' column")
        ids = table["id"].dropna().str.strip().tolist()
    else:
        lines = path.read_text(encoding="utf-8").splitlines()
        ids = [s.strip() for s in lines if s.strip() and not s.strip().startswith("#")]
    if not ids:
        raise LabelError(f"{path}: lists no galaxy ids")
    return ids


def training_labels(
    ws,
    column: str,
    *,
    train_ids: str | os.PathLike | list[str] | None = None,
    positive: str | None = None,
    min_per_class: int = MIN_PER_CLASS,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows and 0/1 labels to train on: every labelled row, or only those in ``train_ids``.

    Returns
    -------
    rows : ndarray of int64
    labels : ndarray of int64 (0 or 1)

    Raises
    ------
    LabelError
        For a missing or non-binary column, an unknown or unlabelled training id, or fewer
        than ``min_per_class`` labels of either class.
    """
    labels = binary_labels(ws, column, positive=positive)
    if train_ids is None:
        rows = np.flatnonzero(~np.isnan(labels))
    else:
        source = train_ids if isinstance(train_ids, list) else read_id_file(train_ids)
        where = "the training ids" if isinstance(train_ids, list) else str(train_ids)
        row_of = ws.row_of
        rows_list = []
        for line, gid in enumerate(source, start=1):
            row = row_of.get(str(gid))
            if row is None:
                raise LabelError(f"{where}: entry {line}: unknown galaxy id {gid!r}")
            if np.isnan(labels[row]):
                raise LabelError(f"{where}: entry {line}: galaxy {gid!r} has no {column!r} label")
            rows_list.append(row)
        rows = np.unique(np.asarray(rows_list, dtype=np.int64))
    y = labels[rows].astype(np.int64)
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if min(n_pos, n_neg) < min_per_class:
        raise LabelError(
            f"too few labels in {column!r} to train on: {n_pos} positive and {n_neg} negative; "
            f"need at least {min_per_class} of each"
        )
    return rows.astype(np.int64), y
