"""Turn a manifest of images (or a table of precomputed embeddings) into a workspace.

:func:`ingest_images` checks every row of a manifest, reads every image once (which validates
it) to make its display thumbnail, and writes ``catalog.parquet``, ``thumbs/`` and
``workspace.json``. :func:`ingest_embeddings` (from :mod:`oddfinder.io.embeddings_file`) does the
same for published embeddings. Either builds the workspace in a temporary folder beside the
target and renames it into place, so a failure leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oddfinder import __version__
from oddfinder.errors import ImageError, IngestError
from oddfinder.io.atomic import write_json
from oddfinder.io.embeddings_file import ingest_embeddings
from oddfinder.io.images import FITS_SUFFIXES, save_thumbnail
from oddfinder.io.manifest import make_ids, read_manifest
from oddfinder.io.staging import check_target, staged_workspace, utc_now
from oddfinder.io.validation import BadRow, check_coordinates
from oddfinder.io.workspace import FORMAT_VERSION, Workspace

__all__ = ["ingest_embeddings", "ingest_images"]

logger = logging.getLogger(__name__)

# Below this many images a process pool costs more than it saves.
_MIN_ROWS_FOR_POOL = 64


def _coordinate(frame: pd.DataFrame, column: str, reasons: np.ndarray) -> np.ndarray:
    """``frame[column]`` as float (NaN if absent); non-numeric cells get a reason."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    not_numeric = np.isnan(values) & raw.notna().to_numpy()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        blank = raw.astype(str).str.strip().isin(["", "nan", "NaN"]).to_numpy()
        not_numeric &= ~blank
    for i in np.flatnonzero(not_numeric & (reasons == "")):
        reasons[i] = f"{column} is not a number: {raw.iloc[i]!r}"
    return values


def _catalog_frame(
    frame: pd.DataFrame, ids: np.ndarray, ra: np.ndarray, dec: np.ndarray
) -> pd.DataFrame:
    """The catalogue columns in order: ``id``, ``ra``, ``dec``, then the rest as given."""
    rest = frame.drop(columns=[c for c in ("id", "ra", "dec") if c in frame.columns])
    out = pd.DataFrame(
        {"id": pd.Series(ids, dtype=object), "ra": ra.astype(float), "dec": dec.astype(float)}
    )
    rest = rest.reset_index(drop=True)
    return pd.concat([out, rest], axis=1)


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn object columns that Parquet cannot store (mixed types) into strings."""
    import pyarrow as pa

    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            try:
                pa.array(frame[column], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                frame[column] = [None if pd.isna(v) else str(v) for v in frame[column]]
    return frame


def _check_rows(frame: pd.DataFrame, base: Path) -> tuple[pd.DataFrame, np.ndarray, list[BadRow]]:
    """Row-level checks before any image is read: ids, paths, coordinates, duplicates."""
    n = len(frame)
    reasons = np.full(n, "", dtype=object)
    ids = frame["id"].to_numpy(dtype=object) if "id" in frame.columns else make_ids(n)
    for i in np.flatnonzero(ids == ""):
        reasons[i] = "empty id"
    paths = frame["path"].to_numpy(dtype=object)
    resolved = np.empty(n, dtype=object)
    for i, value in enumerate(paths):
        if value == "" or "\x00" in str(value):
            reasons[i] = reasons[i] or ("empty path" if value == "" else "path has a NUL byte")
            resolved[i] = ""
        else:
            resolved[i] = str((base / Path(value).expanduser()).resolve())
    ra = _coordinate(frame, "ra", reasons)
    dec = _coordinate(frame, "dec", reasons)
    coordinate_reasons = check_coordinates(ra, dec)
    reasons = np.where(reasons == "", coordinate_reasons, reasons)
    first_row: dict[str, int] = {}
    bad = []
    for i in range(n):
        gid = ids[i]
        if reasons[i] == "" and gid in first_row:
            reasons[i] = f"duplicate id (first at row {first_row[gid] + 1})"
        elif reasons[i] == "":
            first_row[gid] = i
        if reasons[i]:
            bad.append(BadRow(i + 1, gid, reasons[i]))
    frame_out = _catalog_frame(frame.drop(columns=["path"]), ids, ra, dec)
    frame_out.insert(3, "path", resolved)
    return frame_out, reasons, bad


def _thumbnail_job(job: tuple[int, str, str, int]) -> tuple[int, int, int, str]:
    """Worker: make one thumbnail; return (index, width, height, error or "")."""
    index, source, target, size = job
    try:
        width, height = save_thumbnail(source, target, size=size)
    except ImageError as error:
        return index, 0, 0, str(error)
    return index, width, height, ""


def _run_jobs(
    jobs: Sequence[tuple[int, str, str, int]], *, workers: int, chunksize: int = 16
) -> Iterator[tuple[int, int, int, str]]:
    """Results of :func:`_thumbnail_job`, in job order, with a progress bar."""
    from tqdm.auto import tqdm

    progress = tqdm(total=len(jobs), desc="thumbnails", unit="img", disable=None)
    try:
        if workers <= 1 or len(jobs) < _MIN_ROWS_FOR_POOL:
            for job in jobs:
                yield _thumbnail_job(job)
                progress.update()
            return
        # fork on Linux: workers start at once and do not re-import the caller's script
        # (spawn would, and breaks scripts without a __main__ guard). They only run PIL/astropy.
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        context = multiprocessing.get_context(method)
        with context.Pool(processes=workers) as pool:
            for result in pool.imap(_thumbnail_job, jobs, chunksize=chunksize):
                yield result
                progress.update()
    finally:
        progress.close()


def _image_stats(widths: np.ndarray, heights: np.ndarray, paths: np.ndarray) -> dict[str, Any]:
    def kind(path: str) -> str:
        name = path.lower()
        if name.endswith(FITS_SUFFIXES):
            return "fits"
        suffix = Path(name).suffix.lstrip(".")
        return "jpeg" if suffix == "jpg" else suffix

    if len(widths) == 0:
        return {}
    sizes = Counter(f"{w}x{h}" for w, h in zip(widths, heights, strict=True))
    return {
        "formats": dict(Counter(kind(p) for p in paths)),
        "width": {"min": int(widths.min()), "max": int(widths.max())},
        "height": {"min": int(heights.min()), "max": int(heights.max())},
        "common_sizes": dict(sizes.most_common(5)),
    }


def ingest_images(
    manifest: str | os.PathLike,
    out: str | os.PathLike,
    *,
    skip_bad: bool = False,
    thumb_size: int = 160,
    workers: int = 2,
    force: bool = False,
) -> Workspace:
    """Create a workspace from a manifest of galaxy images.

    Every row is checked (id, path, ``ra``/``dec``), every image is read once to make its
    ``thumb_size`` thumbnail (which also validates it), and the workspace is written in a
    temporary folder beside ``out`` that is renamed to ``out`` only when all went well.

    Parameters
    ----------
    manifest : path-like
        CSV, Parquet or FITS table (see :func:`oddfinder.io.manifest.read_manifest`) with a
        ``path`` column; optional ``id`` (else ``row000001``, ...), ``ra``, ``dec``.
    out : path-like
        The workspace folder to create.
    skip_bad : bool
        Skip bad rows (missing or unreadable image, empty or duplicate id, bad coordinates)
        instead of failing; they are listed in ``out/ingest_report.json``. Of duplicate ids
        the first row is kept.
    thumb_size : int
        Thumbnail side in pixels.
    workers : int
        Processes that read images and write thumbnails.
    force : bool
        Replace an existing workspace at ``out``.

    Returns
    -------
    Workspace
        The new workspace: ``catalog.parquet`` with ``id``, ``ra``, ``dec``, ``path`` (absolute)
        and the manifest's other columns; ``thumbs/``; ``workspace.json``.

    Raises
    ------
    IngestError
        On the first bad row (unless ``skip_bad``), naming the manifest, row and id; if the
        manifest has no ``path`` column, or no rows (left).
    WorkspaceError
        If ``out`` exists and ``force`` is false.
    """
    manifest = Path(manifest)
    out = Path(out).expanduser().absolute()
    if thumb_size < 8:
        raise IngestError(f"thumbnail size must be at least 8 pixels, got {thumb_size}")
    check_target(out, force=force)
    frame = read_manifest(manifest)
    if "path" not in frame.columns:
        raise IngestError(
            f"{manifest}: no 'path' column (columns: {', '.join(map(str, frame.columns))})"
        )
    if len(frame) == 0:
        raise IngestError(f"{manifest}: the manifest has no rows")
    n_rows = len(frame)
    catalog, reasons, bad = _check_rows(frame, manifest.absolute().parent)
    if bad and not skip_bad:
        raise IngestError(bad[0].message(manifest))
    keep = np.flatnonzero(reasons == "")

    with staged_workspace(out, force=force) as tmp:
        staging = Workspace(tmp)
        paths = catalog["path"].to_numpy(dtype=object)
        jobs = [
            (int(row), paths[row], str(staging.thumb_path(k)), thumb_size)
            for k, row in enumerate(keep)
        ]
        widths = np.zeros(len(keep), dtype=np.int64)
        heights = np.zeros(len(keep), dtype=np.int64)
        good = np.ones(len(keep), dtype=bool)
        results = contextlib.closing(_run_jobs(jobs, workers=workers))
        with results as stream:  # closing stops the worker pool before the folder goes
            for k, (row, width, height, error) in enumerate(stream):
                if error:
                    bad_row = BadRow(row + 1, catalog["id"].iloc[row], error)
                    if not skip_bad:
                        raise ImageError(bad_row.message(manifest))
                    bad.append(bad_row)
                    good[k] = False
                widths[k], heights[k] = width, height
        if not good.all():
            # Thumbnails are named by final row: rename the survivors down into place (a failed
            # row wrote no thumbnail, so nothing is overwritten).
            for new, k in enumerate(np.flatnonzero(good)):
                if new != k:
                    target = staging.thumb_path(new)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staging.thumb_path(int(k)), target)
            keep, widths, heights = keep[good], widths[good], heights[good]
        if len(keep) == 0:
            raise IngestError(f"{manifest}: no usable rows ({len(bad)} bad, all skipped)")
        kept = catalog.iloc[keep].reset_index(drop=True)
        staging.write_table("catalog", _parquet_safe(kept))
        bad.sort(key=lambda b: b["row"])
        if skip_bad:
            write_json(tmp / "ingest_report.json", list(bad))
        staging.update_meta(
            format_version=FORMAT_VERSION,
            oddfinder_version=__version__,
            created=utc_now(),
            source={"manifest": str(manifest.absolute())},
            n=len(kept),
            has_images=True,
            thumb_size=thumb_size,
            ingest={
                "rows_read": n_rows,
                "rows_kept": len(kept),
                "rows_skipped": len(bad),
                "report": "ingest_report.json" if skip_bad else None,
                "skipped": list(bad[:20]),
            },
            image_stats=_image_stats(widths, heights, kept["path"].to_numpy(dtype=object)),
        )
    workspace = Workspace.open(out)
    if bad:
        logger.warning(
            "skipped %d of %d rows (see %s); first: %s",
            len(bad),
            n_rows,
            workspace.path / "ingest_report.json",
            bad[0].message(manifest.name),
        )
    logger.info("ingested %d galaxies from %s into %s", len(kept), manifest, workspace.path)
    return workspace
