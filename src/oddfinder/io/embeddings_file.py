"""Ingest precomputed embeddings: a Parquet table (id + feature columns) or a ``.npy`` + ids.

Published representations come as they are: Zoobot's 8.7-million-row GZ DESI table (``dr8_id``,
``ra``, ``dec``, ``feat_pca_0`` ... ``feat_pca_39``), Walmsley et al.'s ``cnn_features_*.parquet``
(``iauname``, ``feat_*``). The Parquet file is read once, in batches of rows, straight into a
preallocated memory-mapped ``embeddings.npy``, so the table never has to fit in memory twice.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oddfinder import __version__
from oddfinder.errors import IngestError
from oddfinder.io.atomic import write_json
from oddfinder.io.manifest import MANIFEST_SUFFIXES, make_ids, read_manifest, stringify_ids
from oddfinder.io.staging import check_target, staged_workspace, utc_now
from oddfinder.io.validation import BadRow, check_coordinates
from oddfinder.io.workspace import FORMAT_VERSION, Workspace

__all__ = [
    "ID_COLUMN_CANDIDATES",
    "detect_feature_columns",
    "detect_id_column",
    "ingest_embeddings",
    "read_ids_file",
]

logger = logging.getLogger(__name__)

ID_COLUMN_CANDIDATES = ("id", "dr8_id", "iauname", "objid", "galaxy_id")
_COORDINATES = ("ra", "dec")


def detect_id_column(
    names: Sequence[str], string_columns: Sequence[str], *, given: str | None = None
) -> str:
    """The id column: ``given``, else the first of :data:`ID_COLUMN_CANDIDATES` present (any
    case), else the only string column.

    Examples
    --------
    >>> detect_id_column(["ra", "dr8_id", "feat_0"], ["dr8_id"])
    'dr8_id'
    >>> detect_id_column(["name", "x"], ["name"])
    'name'
    """
    if given is not None:
        if given not in names:
            raise IngestError(f"no id column {given!r} (columns: {_preview(names)})")
        return given
    lower = {name.lower(): name for name in names}
    for candidate in ID_COLUMN_CANDIDATES:
        if candidate in lower:
            return lower[candidate]
    if len(string_columns) == 1:
        return string_columns[0]
    raise IngestError(
        "cannot tell which column holds the galaxy ids (none of "
        f"{', '.join(ID_COLUMN_CANDIDATES)}; string columns: {list(string_columns)}): "
        "name it with --id-column"
    )


def detect_feature_columns(
    names: Sequence[str],
    numeric_columns: Sequence[str],
    *,
    exclude: Sequence[str] = (),
    given: str | Sequence[str] | None = None,
) -> list[str]:
    """The feature columns, in file order.

    ``given`` is a list of names or a prefix (a string); by default the ``feat_pca_*`` columns
    if any, else ``feat_*``, else every numeric column except ``exclude`` and ``ra``/``dec``.

    Examples
    --------
    >>> detect_feature_columns(["id", "ra", "feat_pca_0", "feat_pca_1"], ["ra", "feat_pca_0",
    ...     "feat_pca_1"])
    ['feat_pca_0', 'feat_pca_1']
    >>> detect_feature_columns(["id", "a", "b"], ["a", "b"], given="b")
    ['b']
    """
    if isinstance(given, str):
        columns = [name for name in names if name.startswith(given)]
        if not columns:
            raise IngestError(f"no columns start with {given!r} (columns: {_preview(names)})")
    elif given is not None:
        columns = list(given)
        missing = [name for name in columns if name not in names]
        if missing:
            raise IngestError(f"no feature columns {missing} (columns: {_preview(names)})")
    else:
        columns = []
        for prefix in ("feat_pca_", "feat_"):
            columns = [name for name in names if name.lower().startswith(prefix)]
            if columns:
                break
        if not columns:
            skip = {*exclude, *(n for n in names if n.lower() in _COORDINATES)}
            columns = [name for name in numeric_columns if name not in skip]
        if not columns:
            raise IngestError(
                f"no numeric feature columns found (columns: {_preview(names)}): "
                "name them with --feature-columns"
            )
    not_numeric = [name for name in columns if name not in numeric_columns]
    if not_numeric:
        raise IngestError(f"feature columns are not numeric: {_preview(not_numeric)}")
    return columns


def read_ids_file(path: str | os.PathLike, n: int) -> pd.DataFrame:
    """Read the ids for a ``.npy`` of embeddings: a table or plain text, one id per row.

    A CSV/Parquet/FITS table (see :func:`~oddfinder.io.manifest.read_manifest`) needs an ``id``
    column or a single column; its other columns (``ra``, ``dec``, metadata) are kept. Any
    other file is read as text, one id per line.

    Raises
    ------
    IngestError
        If the file is missing or holds a different number of ids than ``n``.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"ids file not found: {path}")
    if path.name.lower().endswith(MANIFEST_SUFFIXES):
        frame = read_manifest(path)
        if "id" not in frame.columns:
            if frame.shape[1] != 1:
                raise IngestError(f"{path}: no 'id' column (columns: {_preview(frame.columns)})")
            frame = frame.rename(columns={frame.columns[0]: "id"})
            frame["id"] = stringify_ids(frame["id"])
    else:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        while lines and not lines[-1].strip():
            lines.pop()
        frame = pd.DataFrame({"id": pd.Series([line.strip() for line in lines], dtype=object)})
    if len(frame) != n:
        raise IngestError(f"{path} holds {len(frame)} ids but the embeddings have {n} rows")
    return frame


def _preview(names: Sequence[str], limit: int = 12) -> str:
    names = [str(name) for name in names]
    more = f", ... ({len(names)} in all)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


class _Sink:
    """Checks batches of (ids, features, coordinates, metadata) and writes the good rows."""

    def __init__(self, folder: Path, source: Path, n: int, dim: int, *, skip_bad: bool) -> None:
        from numpy.lib.format import open_memmap

        self.folder, self.source, self.n, self.dim = folder, source, n, dim
        self.skip_bad = skip_bad
        self.partial = folder / ".embeddings.npy.partial"
        self.array = open_memmap(self.partial, mode="w+", dtype=np.float32, shape=(n, dim))
        self.written = 0
        self.rows: list[np.ndarray] = []  # source row (0-based) of each written row
        self.tables: list[Any] = []
        self.bad: list[BadRow] = []

    def _reject(self, row: int, gid: str, reason: str) -> None:
        item = BadRow(int(row) + 1, gid, reason)
        if not self.skip_bad:
            raise IngestError(item.message(self.source))
        self.bad.append(item)

    def add(self, start: int, ids: np.ndarray, block: np.ndarray, table: Any) -> None:
        """Add rows ``start`` .. ``start + len(ids)``; ``table`` holds id, ra, dec, metadata."""
        import pyarrow as pa

        m = len(ids)
        with np.errstate(over="ignore", invalid="ignore"):
            block = np.asarray(block, dtype=np.float32)
        reasons = np.full(m, "", dtype=object)
        reasons[ids == ""] = "empty id"
        finite = np.isfinite(block)
        for i in np.flatnonzero(~finite.all(axis=1)):
            if not reasons[i]:
                j = int(np.flatnonzero(~finite[i])[0])
                reasons[i] = f"non-finite embedding value {float(block[i, j])} in dimension {j}"
        ra = table.column("ra").to_numpy(zero_copy_only=False)
        dec = table.column("dec").to_numpy(zero_copy_only=False)
        coordinates = check_coordinates(ra, dec)
        reasons = np.where(reasons == "", coordinates, reasons)
        good = reasons == ""
        for i in np.flatnonzero(~good):
            self._reject(start + i, ids[i], reasons[i])
        if not good.all():
            block = block[good]
            table = table.filter(pa.array(good))
        k = len(block)
        self.array[self.written : self.written + k] = block
        self.written += k
        self.rows.append(np.flatnonzero(good) + start)
        self.tables.append(table)

    def finish(self) -> Any:
        """Drop duplicate ids, compact, rename; return the catalogue as a pyarrow Table."""
        import pyarrow as pa
        import pyarrow.compute as pc

        rows = np.concatenate(self.rows) if self.rows else np.zeros(0, dtype=np.int64)
        table = pa.concat_tables(self.tables, promote_options="default") if self.tables else None
        if table is None or table.num_rows == 0:
            raise IngestError(f"{self.source}: no usable rows ({len(self.bad)} bad, all skipped)")

        duplicated = None
        if len(pc.unique(table.column("id"))) < table.num_rows:  # cheap test first
            ids = table.column("id").to_pandas()
            duplicated = ids.duplicated(keep="first").to_numpy()
        if duplicated is not None:
            first = pd.Series(np.arange(len(ids))).groupby(ids.to_numpy()).transform("min")
            for i in np.flatnonzero(duplicated):
                self._reject(
                    rows[i], ids.iloc[i], f"duplicate id (first at row {rows[first.iloc[i]] + 1})"
                )
            keep = ~duplicated
            table = table.filter(pa.array(keep))
        else:
            keep = None
        self.array.flush()
        if keep is not None or self.written < self.n:
            self._compact(keep)
        else:
            del self.array
            os.replace(self.partial, self.folder / "embeddings.npy")
        self.bad.sort(key=lambda item: item["row"])
        return table

    def _compact(self, keep: np.ndarray | None, chunk: int = 1 << 18) -> None:
        """Copy the good written rows into an exactly sized ``embeddings.npy``."""
        from numpy.lib.format import open_memmap

        source = self.array[: self.written]
        index = np.flatnonzero(keep) if keep is not None else None
        n_out = len(index) if index is not None else self.written
        target_path = self.folder / ".embeddings.npy.compact"
        target = open_memmap(target_path, mode="w+", dtype=np.float32, shape=(n_out, self.dim))
        for lo in range(0, n_out, chunk):
            hi = min(lo + chunk, n_out)
            target[lo:hi] = source[index[lo:hi]] if index is not None else source[lo:hi]
        target.flush()
        del target, source, self.array
        os.replace(target_path, self.folder / "embeddings.npy")
        self.partial.unlink()


def _parquet_batches(
    path: Path,
    *,
    id_column: str | None,
    feature_columns: str | Sequence[str] | None,
    batch_rows: int,
) -> tuple[int, list[str], str, Iterator[tuple[int, np.ndarray, np.ndarray, Any]]]:
    """Open a Parquet file; return (n, features, id column, batches of (start, ids, X, table))."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        # pre_buffer would keep every column chunk read so far until the file is closed.
        parquet = pq.ParquetFile(path, pre_buffer=False)
    except (OSError, pa.ArrowException) as error:
        raise IngestError(f"{path}: cannot read Parquet: {' '.join(str(error).split())}") from error
    schema = parquet.schema_arrow
    names = [name for name in schema.names if not name.startswith("__index_level_")]
    types = {name: schema.field(name).type for name in names}
    strings = [
        n for n in names if pa.types.is_string(types[n]) or pa.types.is_large_string(types[n])
    ]
    numeric = [n for n in names if pa.types.is_integer(types[n]) or pa.types.is_floating(types[n])]
    id_name = detect_id_column(names, strings, given=id_column)
    features = detect_feature_columns(names, numeric, exclude=[id_name], given=feature_columns)
    coordinates = {
        lower: next((n for n in names if n.lower() == lower and n not in features), None)
        for lower in _COORDINATES
    }
    used = {id_name, *features, *(c for c in coordinates.values() if c)}
    meta = [name for name in names if name not in used]
    n = parquet.metadata.num_rows

    def batches() -> Iterator[tuple[int, np.ndarray, np.ndarray, Any]]:
        start = 0
        columns = [id_name, *features, *(c for c in coordinates.values() if c), *meta]
        try:
            for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
                m = batch.num_rows
                raw_ids = batch.column(id_name)
                if pa.types.is_floating(raw_ids.type):
                    ids = stringify_ids(raw_ids.to_pandas()).to_numpy(dtype=object)
                else:
                    text = pc.utf8_trim_whitespace(pc.cast(raw_ids, pa.string()))
                    ids = text.fill_null("").to_numpy(zero_copy_only=False).astype(object)
                block = np.empty((m, len(features)), dtype=np.float32)
                with np.errstate(over="ignore", invalid="ignore"):
                    for j, name in enumerate(features):
                        block[:, j] = batch.column(name).to_numpy(zero_copy_only=False)
                arrays = {"id": pa.array(ids, type=pa.string())}
                for lower, name in coordinates.items():
                    column = batch.column(name) if name else pa.nulls(m, pa.float64())
                    values = pc.cast(column, pa.float64(), safe=False) if name else column
                    arrays[lower] = values.fill_null(np.nan)
                for name in meta:
                    arrays[name if name not in arrays else f"{name}_original"] = batch.column(name)
                yield start, ids, block, pa.table(arrays)
                start += m
        except pa.ArrowException as error:
            reason = " ".join(str(error).split())
            raise IngestError(f"{path}: cannot read rows from {start + 1}: {reason}") from error

    return n, features, id_name, batches()


def _npy_batches(
    path: Path, ids_file: str | os.PathLike | None, *, batch_rows: int
) -> tuple[int, int, Iterator[tuple[int, np.ndarray, np.ndarray, Any]]]:
    """Open a ``.npy``; return (n, dim, batches of (start, ids, X, table))."""
    import pyarrow as pa

    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as error:
        raise IngestError(f"{path}: cannot read .npy: {' '.join(str(error).split())}") from error
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
        raise IngestError(
            f"{path}: expected a 2-d numeric array (galaxies x dimensions), got "
            f"shape {array.shape} of {array.dtype}"
        )
    n, dim = array.shape
    if ids_file is None:
        logger.warning("no --ids file given: ids are the row numbers (row000001, ...)")
        frame = pd.DataFrame({"id": make_ids(n)})
    else:
        frame = read_ids_file(ids_file, n)
    frame = frame.copy()
    for column in _COORDINATES:
        values = frame[column] if column in frame.columns else pd.Series(np.nan, index=frame.index)
        numeric = pd.to_numeric(values, errors="coerce")
        bad = numeric.isna() & values.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise IngestError(
                f"{ids_file} row {i + 1} (id {frame['id'].iloc[i]!r}): "
                f"{column} is not a number: {values.iloc[i]!r}"
            )
        frame[column] = numeric.astype(float)
    ordered = ["id", *_COORDINATES, *(c for c in frame.columns if c not in ("id", *_COORDINATES))]
    frame = frame[ordered]

    def batches() -> Iterator[tuple[int, np.ndarray, np.ndarray, Any]]:
        for start in range(0, n, batch_rows):
            part = frame.iloc[start : start + batch_rows]
            table = pa.Table.from_pandas(part, preserve_index=False)
            yield start, part["id"].to_numpy(dtype=object), array[start : start + batch_rows], table

    return n, dim, batches()


def ingest_embeddings(
    path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    id_column: str | None = None,
    feature_columns: str | Sequence[str] | None = None,
    ids_file: str | os.PathLike | None = None,
    skip_bad: bool = False,
    force: bool = False,
    batch_rows: int = 262_144,
) -> Workspace:
    """Create a workspace from precomputed embeddings, without images.

    Parameters
    ----------
    path : path-like
        A Parquet table with an id column and feature columns (``ra``/``dec`` are kept when
        present, other columns as metadata), or a 2-d ``.npy`` array with ``ids_file``.
    out : path-like
        The workspace folder to create.
    id_column : str, optional
        The id column; by default the first of ``id``, ``dr8_id``, ``iauname``, ``objid``,
        ``galaxy_id``, else the only string column.
    feature_columns : str or sequence of str, optional
        Feature column names, or (a string) their common prefix; by default ``feat_pca_*``,
        else ``feat_*``, else every numeric column but the id and ``ra``/``dec``.
    ids_file : path-like, optional
        For a ``.npy``: the ids, one per row (text, or a table with an ``id`` column whose
        other columns are kept). Without it, ids are made from row numbers.
    skip_bad : bool
        Skip rows with a non-finite embedding, an empty or duplicate id, or bad coordinates
        (listed in ``out/ingest_report.json``) instead of failing.
    force : bool
        Replace an existing workspace at ``out``.
    batch_rows : int
        Rows read per batch; memory use is about ``batch_rows`` times the row size.

    Returns
    -------
    Workspace
        With ``catalog.parquet`` (``id``, ``ra``, ``dec``, metadata), ``embeddings.npy``
        (float32, row ``i`` is catalogue row ``i``) and ``workspace.json`` (``has_images``
        false, ``encoder`` ``{"name": "precomputed", "source": path}``, ``embedding_dim``).

    Raises
    ------
    IngestError
        If the file cannot be read, the id or feature columns cannot be found, or (without
        ``skip_bad``) a row is bad: the message names the file, row and id.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    out = Path(out).expanduser().absolute()
    if not path.is_file():
        raise IngestError(f"embeddings file not found: {path}")
    if batch_rows < 1:
        raise IngestError(f"batch_rows must be positive, got {batch_rows}")
    check_target(out, force=force)
    name = path.name.lower()
    if name.endswith(".npy"):
        if id_column is not None or feature_columns is not None:
            raise IngestError("--id-column and --feature-columns apply to Parquet, not .npy")
        n, dim, batches = _npy_batches(path, ids_file, batch_rows=batch_rows)
        features, id_name = None, None
    elif name.endswith((".parquet", ".pq")):
        if ids_file is not None:
            raise IngestError("--ids applies to a .npy; a Parquet table holds its own ids")
        n, features, id_name, batches = _parquet_batches(
            path, id_column=id_column, feature_columns=feature_columns, batch_rows=batch_rows
        )
        dim = len(features)
    else:
        raise IngestError(f"{path}: unsupported embeddings file; use .parquet or .npy")
    if n == 0:
        raise IngestError(f"{path}: no rows")
    logger.info("reading %d x %d embeddings from %s", n, dim, path)

    from tqdm.auto import tqdm

    with staged_workspace(out, force=force) as tmp:
        sink = _Sink(tmp, path, n, dim, skip_bad=skip_bad)
        with tqdm(total=n, desc="embeddings", unit="row", disable=None) as progress:
            for start, ids, block, table in batches:
                sink.add(start, ids, block, table)
                progress.update(len(ids))
        catalog = sink.finish()
        pq.write_table(catalog, tmp / "catalog.parquet")
        if skip_bad:
            write_json(tmp / "ingest_report.json", sink.bad)
        workspace = Workspace(tmp)
        source = {"embeddings": str(path.absolute())}
        if ids_file is not None:
            source["ids"] = str(Path(ids_file).absolute())
        workspace.update_meta(
            format_version=FORMAT_VERSION,
            oddfinder_version=__version__,
            created=utc_now(),
            source=source,
            n=catalog.num_rows,
            has_images=False,
            encoder={"name": "precomputed", "source": str(path.absolute())},
            embedding_dim=dim,
            id_column=id_name,
            feature_columns=features,
            ingest={
                "rows_read": n,
                "rows_kept": catalog.num_rows,
                "rows_skipped": len(sink.bad),
                "report": "ingest_report.json" if skip_bad else None,
                "skipped": sink.bad[:20],
            },
        )
    if sink.bad:
        first = sink.bad[0]
        logger.warning(
            "skipped %d of %d rows (see %s); first: row %d (id %r): %s",
            len(sink.bad),
            n,
            out / "ingest_report.json",
            first["row"],
            first["id"],
            first["reason"],
        )
    logger.info("ingested %d precomputed embeddings (%d-d) into %s", catalog.num_rows, dim, out)
    return Workspace.open(out)
