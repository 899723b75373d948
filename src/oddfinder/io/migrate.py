"""Workspaces written by other versions: detect the format version and migrate older ones.

Format versions (``format_version`` in ``workspace.json``):

* **0** - the pre-release layout: ``workspace.json`` without ``format_version``, arrays that
  may be float64, galaxy ids that may be stored as numbers, the map in ``umap.parquet``.
* **1** - the current layout (see :mod:`oddfinder.io.workspace`): float32 arrays, string ids,
  ``map.parquet``, and ``format_version: 1``.

A workspace from a *newer* oddfinder cannot be read: the error says to upgrade. An older one
is migrated in place by ``oddfinder migrate WS``. Each step writes atomically and the version is
bumped last, so an interrupted migration leaves a workspace that migrates again cleanly.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from oddfinder.errors import WorkspaceError
from oddfinder.io.atomic import atomic_path, write_json, write_parquet
from oddfinder.io.workspace import FORMAT_VERSION, Workspace

__all__ = ["MIGRATIONS", "detect_version", "migrate_workspace"]

logger = logging.getLogger(__name__)

_CHUNK_ROWS = 65_536


def _read_meta(path: Path) -> dict:
    meta_path = path / "workspace.json"
    if not meta_path.is_file():
        raise WorkspaceError(f"not an oddfinder workspace (no workspace.json): {path}")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WorkspaceError(f"unreadable workspace.json in {path}: {error}") from None
    if not isinstance(meta, dict):
        raise WorkspaceError(f"{meta_path}: expected a JSON object, got {type(meta).__name__}")
    return meta


def detect_version(path: str | os.PathLike) -> int:
    """The format version of the workspace at ``path`` (0 when ``format_version`` is absent).

    Raises
    ------
    WorkspaceError
        If ``path`` is not a workspace or its ``format_version`` is not a whole number.
    """
    path = Path(path)
    version = _read_meta(path).get("format_version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise WorkspaceError(
            f"{path / 'workspace.json'}: format_version {version!r} is not a version number"
        )
    return version


def _float32_array(path: Path) -> str | None:
    """Rewrite a non-float32 ``.npy`` as float32, chunk by chunk, atomically."""
    if not path.is_file():
        return None
    source = np.load(path, mmap_mode="r", allow_pickle=False)
    if source.dtype == np.float32:
        return None
    if source.ndim != 2 or source.dtype.kind not in "fiu":
        raise WorkspaceError(
            f"{path}: expected a 2-d numeric array, got {source.dtype} {source.shape}"
        )
    with atomic_path(path, suffix=".npy") as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=source.shape)
        for start in range(0, source.shape[0], _CHUNK_ROWS):
            out[start : start + _CHUNK_ROWS] = source[start : start + _CHUNK_ROWS]
        out.flush()
        del out
    return f"{path.name}: {source.dtype} -> float32"


def _string_ids(path: Path) -> str | None:
    if not path.is_file():
        return None
    table = pd.read_parquet(path)
    if "id" not in table.columns or pd.api.types.is_string_dtype(table["id"].dtype):
        return None
    table["id"] = table["id"].astype(str)
    write_parquet(path, table)
    return f"{path.name}: ids stored as strings"


def _v0_to_v1(path: Path) -> list[str]:
    steps = []
    for name in ("embeddings.npy", "features.npy"):
        steps.append(_float32_array(path / name))
    for name in ("catalog.parquet", "prior.parquet", "umap.parquet", "map.parquet"):
        steps.append(_string_ids(path / name))
    old_map, new_map = path / "umap.parquet", path / "map.parquet"
    if old_map.is_file() and not new_map.is_file():
        os.replace(old_map, new_map)
        steps.append("umap.parquet renamed to map.parquet")
    return [s for s in steps if s]


MIGRATIONS: dict[int, Callable[[Path], list[str]]] = {0: _v0_to_v1}
"""``MIGRATIONS[v](path)`` turns format ``v`` into ``v + 1`` in place; returns what it did."""


def migrate_workspace(path: str | os.PathLike, *, dry_run: bool = False) -> list[str]:
    """Bring the workspace at ``path`` to the current format version, in place.

    Parameters
    ----------
    path : path-like
        The workspace folder.
    dry_run : bool
        Only report whether a migration is needed (returns the versions it would pass).

    Returns
    -------
    list of str
        What was done, one line per step (empty if the workspace was current).

    Raises
    ------
    WorkspaceError
        If the workspace was written by a newer oddfinder, or is not a workspace.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> ws = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (ws / "workspace.json").write_text('{"n": 0}')
    >>> migrate_workspace(ws)
    ['format version 0 -> 1']
    >>> detect_version(ws)
    1
    """
    path = Path(path)
    version = detect_version(path)
    if version > FORMAT_VERSION:
        raise WorkspaceError(
            f"workspace {path} has format version {version}, written by a newer oddfinder; this "
            f"one reads up to version {FORMAT_VERSION}: upgrade oddfinder (pip install -U "
            "oddfinder)"
        )
    done: list[str] = []
    while version < FORMAT_VERSION:
        if dry_run:
            done.append(f"format version {version} -> {version + 1} (dry run)")
        else:
            steps = MIGRATIONS[version](path)
            meta = _read_meta(path)
            meta["format_version"] = version + 1
            meta.setdefault("migrated_from", version)
            write_json(path / "workspace.json", meta)  # last: a crash before this reruns
            done += [*steps, f"format version {version} -> {version + 1}"]
            logger.info("%s: migrated format %d -> %d", path, version, version + 1)
        version += 1
    if not dry_run and done:
        Workspace.open(path)  # the result must open
    return done
