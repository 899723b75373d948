"""Read a manifest: a CSV, Parquet or FITS table listing one galaxy per row.

A manifest has a ``path`` column (the image, relative to the manifest's folder or absolute),
and optionally ``id``, ``ra`` and ``dec``; every other column is kept as metadata. Ids are
always read as strings, exactly as written (``"007"`` stays ``"007"``, 18-digit survey ids are
never rounded through floats).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from oddfinder.errors import IngestError

__all__ = [
    "MANIFEST_SUFFIXES",
    "SPECIAL_COLUMNS",
    "make_ids",
    "read_manifest",
    "stringify_ids",
]

logger = logging.getLogger(__name__)

MANIFEST_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".parquet", ".pq", ".fits", ".fit", ".fits.gz")
SPECIAL_COLUMNS = ("id", "path", "ra", "dec")

# What counts as missing in a metadata column (never in ``id`` or ``path``).
_NA_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "NULL", "null", "None", "#N/A", "<NA>"]


def make_ids(n: int) -> np.ndarray:
    """Ids made from 1-based row numbers, zero-padded: ``row000001``, ``row000002``, ...

    Examples
    --------
    >>> make_ids(2).tolist()
    ['row000001', 'row000002']
    """
    width = max(6, len(str(n)))
    return np.array([f"row{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def stringify_ids(values: pd.Series) -> pd.Series:
    """Ids as stripped strings; integers exactly, integral floats without ``.0``; missing -> ``""``.

    Examples
    --------
    >>> stringify_ids(pd.Series([7, 12])).tolist()
    ['7', '12']
    >>> stringify_ids(pd.Series([" a ", None])).tolist()
    ['a', '']
    """
    if pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
        return values.astype("int64").astype(str).astype(object)
    if pd.api.types.is_float_dtype(values.dtype):
        finite = values.dropna()
        if (finite == np.round(finite)).all() and (finite.abs() < 2**53).all():
            return pd.Series(
                ["" if pd.isna(v) else str(int(v)) for v in values],
                index=values.index,
                dtype=object,
            )
    out = []
    for value in values:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            out.append("")
        elif isinstance(value, bytes):
            out.append(value.decode("utf-8", errors="replace").strip())
        else:
            out.append(str(value).strip())
    return pd.Series(out, index=values.index, dtype=object)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(MANIFEST_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _read_csv(path: Path, sep: str) -> pd.DataFrame:
    def read(encoding: str) -> pd.DataFrame:
        header = pd.read_csv(path, sep=sep, nrows=0, encoding=encoding)
        columns = [str(c) for c in header.columns]
        keep_raw = {c for c in columns if c.strip().lower() in ("id", "path")}
        return pd.read_csv(
            path,
            sep=sep,
            encoding=encoding,
            dtype={c: str for c in keep_raw},
            keep_default_na=False,
            na_values={c: _NA_VALUES for c in columns if c not in keep_raw},
        )

    try:
        return read("utf-8-sig")
    except UnicodeDecodeError:
        logger.warning("%s is not UTF-8; reading it as Latin-1", path)
        return read("latin-1")


def _read_fits(path: Path) -> pd.DataFrame:
    from astropy.table import Table

    table = Table.read(path, format="fits")
    flat = [name for name in table.colnames if len(table[name].shape) <= 1]
    dropped = sorted(set(table.colnames) - set(flat))
    if dropped:
        logger.warning("%s: dropping multi-dimensional columns %s", path, ", ".join(dropped))
    frame = table[flat].to_pandas()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = [
                v.decode("utf-8", errors="replace").strip() if isinstance(v, bytes) else v
                for v in frame[column]
            ]
    return frame


def read_manifest(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV, TSV, Parquet or FITS manifest into a DataFrame.

    Column names are stripped of surrounding spaces, and ``ID``, ``Path``, ``RA``, ``DEC`` (any
    case) are renamed to lower case when the lower-case name is not already present. ``id`` and
    ``path`` come back as stripped strings (missing values as ``""``); other columns keep the
    types the reader gives them. Nothing else is validated here: see
    :func:`oddfinder.io.ingest.ingest_images`.

    Parameters
    ----------
    path : path-like
        ``.csv`` (UTF-8, a byte-order mark is fine; Latin-1 is tried as a fallback),
        ``.csv.gz``, ``.tsv``, ``.parquet``/``.pq`` or ``.fits``/``.fit`` (first table HDU).

    Returns
    -------
    pandas.DataFrame
        One row per manifest row, with a fresh ``RangeIndex``.

    Raises
    ------
    IngestError
        If the file is missing, of an unknown type, or cannot be parsed as a table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.csv"
    >>> _ = p.write_text("ID,path,mag\\n007,a.jpg,NA\\n")
    >>> frame = read_manifest(p)
    >>> frame["id"].tolist(), frame["mag"].isna().tolist()
    (['007'], [True])
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"manifest not found: {path}")
    suffix = _suffix(path)
    try:
        if suffix in (".csv", ".csv.gz"):
            frame = _read_csv(path, ",")
        elif suffix == ".tsv":
            frame = _read_csv(path, "\t")
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif suffix in (".fits", ".fit", ".fits.gz"):
            frame = _read_fits(path)
        else:
            raise IngestError(
                f"{path}: unknown manifest type {suffix!r}; use one of "
                + ", ".join(MANIFEST_SUFFIXES)
            )
    except IngestError:
        raise
    except pd.errors.EmptyDataError as error:
        raise IngestError(f"{path}: the manifest is empty") from error
    except Exception as error:  # parsers raise many types; all mean "not a readable table"
        reason = " ".join(str(error).split()) or type(error).__name__
        raise IngestError(f"{path}: cannot read manifest: {reason}") from error

    frame.columns = [str(c).strip() for c in frame.columns]
    present = set(frame.columns)
    renames = {}
    for column in frame.columns:
        lower = column.lower()
        if lower in SPECIAL_COLUMNS and column != lower and lower not in present:
            renames[column] = lower
            present.add(lower)
    frame = frame.rename(columns=renames)
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise IngestError(f"{path}: duplicate column names {duplicated}")
    for column in ("id", "path"):
        if column in frame.columns:
            frame[column] = stringify_ids(frame[column])
    return frame.reset_index(drop=True)
