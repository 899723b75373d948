"""The workspace: one folder per survey holding everything later steps need.

Layout (see docs/architecture.md)::

    WS/workspace.json    format version, encoder, dimensions, counts, provenance
    WS/catalog.parquet   id (unique string), ra, dec, path, user columns; row i is galaxy i
    WS/embeddings.npy    float32 (n, d_embed), memory-mappable
    WS/features.npy      float32 (n, d_features), PCA of the embeddings
    WS/prior.parquet     unsupervised anomaly scores, one row per galaxy
    WS/map.parquet       UMAP coordinates x, y
    WS/thumbs/           display thumbnails, thumbs/{i // 1000:05d}/{i}.jpg
    WS/labels.sqlite     every label given, the moment it is given
    WS/exports/          what the researcher exported

Every file is written atomically (temporary name, then rename).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oddfinder.errors import WorkspaceError
from oddfinder.io.atomic import write_json, write_npy, write_parquet

__all__ = ["FORMAT_VERSION", "Workspace"]

FORMAT_VERSION = 1

_ARRAYS = ("embeddings", "features")
_TABLES = ("catalog", "prior", "map")


class Workspace:
    """A survey workspace folder.

    Parameters
    ----------
    path : path-like
        The workspace folder. Use :meth:`open` to check that it is a valid workspace.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    # --- opening and metadata -------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike) -> Workspace:
        """Open an existing workspace, checking its format version.

        Raises
        ------
        WorkspaceError
            If ``path`` holds no ``workspace.json`` or was written by another format version.
        """
        workspace = cls(path)
        meta_path = workspace.path / "workspace.json"
        if not meta_path.is_file():
            raise WorkspaceError(
                f"not an oddfinder workspace (no workspace.json): {workspace.path}"
            )
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise WorkspaceError(
                f"unreadable workspace.json in {workspace.path}: {error}"
            ) from error
        version = meta.get("format_version", 0) if isinstance(meta, dict) else None
        if version != FORMAT_VERSION:
            if isinstance(version, int) and not isinstance(version, bool):
                advice = (
                    "upgrade oddfinder (pip install -U oddfinder)"
                    if version > FORMAT_VERSION
                    else f"run `oddfinder migrate {workspace.path}`"
                )
            else:
                advice = "re-ingest it"
            raise WorkspaceError(
                f"workspace {workspace.path} has format version {version}; this oddfinder reads "
                f"version {FORMAT_VERSION}: {advice}"
            )
        return workspace

    @property
    def meta(self) -> dict[str, Any]:
        """The contents of ``workspace.json``."""
        return json.loads((self.path / "workspace.json").read_text())

    def update_meta(self, **fields: Any) -> None:
        """Merge ``fields`` into ``workspace.json``, atomically."""
        meta_path = self.path / "workspace.json"
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        meta.update(fields)
        meta.setdefault("format_version", FORMAT_VERSION)
        write_json(meta_path, meta)

    # --- catalogue --------------------------------------------------------------------------
    @functools.cached_property
    def catalog(self) -> pd.DataFrame:
        """The catalogue table; row ``i`` describes galaxy ``i``."""
        return self.read_table("catalog")

    @property
    def n(self) -> int:
        """Number of galaxies."""
        return len(self.catalog)

    @functools.cached_property
    def ids(self) -> np.ndarray:
        """Galaxy ids as an array of strings, in row order."""
        return self.catalog["id"].astype(str).to_numpy()

    @functools.cached_property
    def row_of(self) -> dict[str, int]:
        """Map from galaxy id to row number."""
        return {gid: i for i, gid in enumerate(self.ids)}

    # --- arrays and tables ------------------------------------------------------------------
    def has(self, name: str) -> bool:
        """Whether the workspace holds the array or table ``name`` (e.g. ``"features"``)."""
        suffix = ".npy" if name in _ARRAYS else ".parquet"
        return (self.path / f"{name}{suffix}").is_file()

    def read_array(self, name: str, *, mmap: bool = True) -> np.ndarray:
        """Read ``embeddings`` or ``features``, memory-mapped (read-only) by default."""
        path = self.path / f"{name}.npy"
        if not path.is_file():
            raise WorkspaceError(f"workspace {self.path} has no {name}.npy: run `oddfinder embed`")
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)

    def embeddings(self, *, mmap: bool = True) -> np.ndarray:
        """The encoder's embeddings, float32 ``(n, d)``."""
        return self.read_array("embeddings", mmap=mmap)

    def features(self, *, mmap: bool = True) -> np.ndarray:
        """The reduced features used for ranking, float32 ``(n, d)``."""
        return self.read_array("features", mmap=mmap)

    def read_table(self, name: str) -> pd.DataFrame:
        """Read ``catalog``, ``prior`` or ``map`` as a DataFrame."""
        path = self.path / f"{name}.parquet"
        if not path.is_file():
            raise WorkspaceError(f"workspace {self.path} has no {name}.parquet")
        return pd.read_parquet(path)

    def write_array(self, name: str, array: np.ndarray) -> None:
        """Write an array atomically as float32."""
        write_npy(self.path / f"{name}.npy", np.asarray(array, dtype=np.float32))

    def write_table(self, name: str, table: pd.DataFrame) -> None:
        """Write a table atomically; ``catalog`` resets the cached catalogue."""
        write_parquet(self.path / f"{name}.parquet", table)
        if name == "catalog":
            for attr in ("catalog", "ids", "row_of"):
                self.__dict__.pop(attr, None)

    # --- files ------------------------------------------------------------------------------
    def thumb_path(self, i: int) -> Path:
        """Path of galaxy ``i``'s display thumbnail (it may not exist)."""
        return self.path / "thumbs" / f"{i // 1000:05d}" / f"{i}.jpg"

    @property
    def labels_path(self) -> Path:
        """Path of the label store."""
        return self.path / "labels.sqlite"

    @property
    def exports_dir(self) -> Path:
        """Folder for exports (created on demand)."""
        return self.path / "exports"
