"""Export tables (the top-N ranking) as CSV, Parquet or FITS, atomically and safely named."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pandas as pd

from oddfinder.errors import OddfinderError
from oddfinder.io.atomic import atomic_path

__all__ = ["EXPORT_FORMATS", "ExportError", "export_bytes", "safe_export_path", "write_export"]

logger = logging.getLogger(__name__)

EXPORT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".fits": "fits"}


class ExportError(OddfinderError):
    """An export name or format is not allowed."""


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ExportError(
            f"cannot export to {path.name!r}: use a name ending in .csv, .parquet or .fits"
        )
    return EXPORT_FORMATS[suffix]


def _fits_table(table: pd.DataFrame):
    from astropy.table import Table

    clean = table.reset_index(drop=True).copy()
    for column in clean.columns:
        series = clean[column]
        if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            clean[column] = series.astype(str).where(series.notna(), "")
        elif isinstance(series.dtype, pd.BooleanDtype | pd.CategoricalDtype):
            clean[column] = series.astype(str)
        elif pd.api.types.is_extension_array_dtype(series.dtype):
            clean[column] = series.astype("float64")
    fits = Table.from_pandas(clean)
    for column in fits.colnames:
        if fits[column].dtype.kind == "U":  # FITS holds bytes: encode unicode as UTF-8
            fits[column] = [value.encode("utf-8") for value in fits[column]]
    return fits


def export_bytes(table: pd.DataFrame, fmt: str) -> bytes:
    """Serialise ``table`` as ``"csv"``, ``"parquet"`` or ``"fits"`` bytes (for downloads).

    Examples
    --------
    >>> export_bytes(pd.DataFrame({"id": ["a"], "x": [1.0]}), "csv")
    b'id,x\\na,1.0\\n'
    """
    buffer = io.BytesIO()
    if fmt == "csv":
        buffer.write(table.to_csv(index=False).encode("utf-8"))
    elif fmt == "parquet":
        table.to_parquet(buffer, index=False)
    elif fmt == "fits":
        _fits_table(table).write(buffer, format="fits")
    else:
        raise ExportError(f"unknown export format {fmt!r}: use csv, parquet or fits")
    return buffer.getvalue()


def write_export(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``table`` to ``path`` as CSV, Parquet or FITS (chosen by the suffix), atomically.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ExportError
        If the suffix is not ``.csv``, ``.parquet`` or ``.fits``.
    """
    path = Path(path)
    fmt = _format_of(path)
    data = export_bytes(table, fmt)
    with atomic_path(path, suffix=path.suffix) as tmp:
        tmp.write_bytes(data)
    logger.info("exported %d rows to %s", len(table), path)
    return path


def safe_export_path(exports_dir: str | os.PathLike, name: str) -> Path:
    """``exports_dir / name``, refusing names that would leave ``exports_dir``.

    Raises
    ------
    ExportError
        If ``name`` is empty, absolute, holds a path separator or ``..``, starts with a dot, or
        has a suffix other than ``.csv``, ``.parquet`` or ``.fits``.

    Examples
    --------
    >>> safe_export_path("ws/exports", "top100.csv").as_posix()
    'ws/exports/top100.csv'
    """
    name = str(name).strip()
    if (
        not name
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or ".." in name
        or "\x00" in name
        or os.path.isabs(name)
    ):
        raise ExportError(
            f"invalid export name {name!r}: give a plain file name such as top100.csv"
        )
    exports_dir = Path(exports_dir)
    path = exports_dir / name
    _format_of(path)
    if path.resolve().parent != exports_dir.resolve():
        raise ExportError(f"invalid export name {name!r}: it leaves {exports_dir}")
    return path
