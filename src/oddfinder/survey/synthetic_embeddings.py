"""A ready workspace of synthetic embeddings, for scale tests: no images, no encoder, no UMAP.

``oddfinder simulate OUT -n 1000000 --embeddings-only`` writes a complete workspace directly:
``catalog.parquet`` (``id, ra, dec, kind, interesting``), ``embeddings.npy`` (``n x 512``,
written in chunks into an open memory map, so memory stays flat), ``features.npy``
(``n x 40``: the generating latent, standing in for the PCA of real embeddings),
``prior.parquet`` and ``map.parquet`` (a fixed random projection of the features to 2-d, *not*
UMAP; ``workspace.json`` says so). A small cluster of rare ``interesting`` objects sits away
from the bulk in feature space, so a ranking has something to find. There are no thumbnails.

The workspace is built in a temporary folder beside ``OUT`` and renamed into place.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from oddfinder import __version__
from oddfinder.io.staging import staged_workspace, utc_now
from oddfinder.io.workspace import FORMAT_VERSION, Workspace
from oddfinder.survey.errors import SurveyError

__all__ = ["synthetic_workspace"]

logger = logging.getLogger(__name__)

_COMMON = ("elliptical", "spiral", "edge_on", "bulge_disk")


def _latent(rng: np.random.Generator, kind: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Latent features: each kind a Gaussian blob around its centre."""
    z = rng.standard_normal((len(kind), centres.shape[1]), dtype=np.float32)
    z *= 0.6
    z += centres[kind]
    return z


def _write_rows(path, start: int, block: np.ndarray) -> None:
    """Write ``block`` into rows ``start:`` of an existing ``.npy`` through a short-lived map
    of just those rows, so resident memory stays one chunk whatever the file's size."""
    array = np.load(path, mmap_mode="r")  # reads the header only
    offset = array.offset
    width = array.shape[1]
    del array
    rows = np.memmap(
        path,
        dtype=np.float32,
        mode="r+",
        offset=offset + start * width * 4,
        shape=block.shape,
    )
    rows[:] = block
    rows.flush()
    del rows


def synthetic_workspace(
    out: str | os.PathLike,
    n: int,
    *,
    dim: int = 512,
    n_features: int = 40,
    rare_fraction: float = 0.002,
    seed: int = 0,
    chunk_rows: int = 65_536,
    force: bool = False,
) -> Workspace:
    """Write a ready-to-label workspace of ``n`` synthetic galaxies (embeddings only).

    Parameters
    ----------
    out : path-like
        The workspace folder to create.
    n : int
        Number of galaxies.
    dim : int
        Embedding dimension (512, like the bundled CNN).
    n_features : int
        Feature dimension (40, like the default PCA).
    rare_fraction : float
        Fraction of galaxies of kind ``interesting`` (at least one), clustered away from the
        bulk in feature space.
    seed : int
        Random seed; the same seed and ``chunk_rows`` give the same files.
    chunk_rows : int
        Rows generated and written at a time (bounds memory).
    force : bool
        Replace an existing workspace at ``out``.

    Returns
    -------
    Workspace

    Raises
    ------
    SurveyError
        If ``n``, ``n_features`` or ``rare_fraction`` is out of range.
    WorkspaceError
        If ``out`` exists and ``force`` is false.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> ws = synthetic_workspace(pathlib.Path(tempfile.mkdtemp()) / "ws", 500, dim=16,
    ...                          n_features=4)
    >>> ws.embeddings().shape, ws.features().shape, int(ws.catalog["interesting"].sum())
    ((500, 16), (500, 4), 1)
    """
    n = int(n)
    if n < 2:
        raise SurveyError(f"-n: need at least 2 galaxies, got {n}")
    if not 1 <= n_features <= dim:
        raise SurveyError(f"need 1 <= n_features <= dim, got {n_features} and {dim}")
    if not 0.0 <= rare_fraction < 1.0:
        raise SurveyError(f"rare_fraction must be in [0, 1), got {rare_fraction}")
    rng = np.random.default_rng(seed)
    kinds = (*_COMMON, "interesting")
    n_rare = max(1, round(rare_fraction * n))
    kind = rng.integers(0, len(_COMMON), n)
    kind[rng.choice(n, n_rare, replace=False)] = len(_COMMON)
    centres = rng.normal(scale=1.5, size=(len(kinds), n_features)).astype(np.float32)
    centres[-1] = 0.0
    centres[-1, : min(3, n_features)] = 6.0  # the rare cluster: far from the bulk
    # Embedding = latent through a fixed random linear map, plus a little noise, then ReLU-like
    # non-negativity as a CNN's pooled features have.
    mixing = rng.normal(scale=1 / np.sqrt(n_features), size=(n_features, dim)).astype(np.float32)
    projection = rng.normal(size=(n_features, 2)).astype(np.float32)

    out = Workspace(out).path
    with staged_workspace(out, force=force) as tmp:
        ws = Workspace(tmp)
        ids = np.char.add("syn", np.char.zfill(np.arange(n).astype(str), 7))
        catalog = pd.DataFrame(
            {
                "id": ids.astype(object),
                "ra": rng.uniform(0.0, 360.0, n),
                "dec": np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n))),
                "kind": np.asarray(kinds, dtype=object)[kind],
                "interesting": kind == len(_COMMON),
            }
        )
        ws.write_table("catalog", catalog)
        norm = np.empty(n, np.float64)
        xy = np.empty((n, 2), np.float32)
        emb_path, feat_path = tmp / "embeddings.npy", tmp / "features.npy"
        for path, width in ((emb_path, dim), (feat_path, n_features)):
            header = np.lib.format.open_memmap(path, "w+", dtype=np.float32, shape=(n, width))
            del header  # the file now has its .npy header and full size
        for start in range(0, n, chunk_rows):
            stop = min(start + chunk_rows, n)
            z = _latent(rng, kind[start:stop], centres)
            e = z @ mixing
            e += rng.standard_normal(e.shape, dtype=np.float32) * 0.05
            np.maximum(e, 0.0, out=e)
            _write_rows(emb_path, start, e)
            _write_rows(feat_path, start, z)
            gaps = z[:, None, :] - centres[None, : len(_COMMON), :]
            norm[start:stop] = np.sqrt(np.einsum("ijk,ijk->ij", gaps, gaps).min(axis=1))
            xy[start:stop] = z @ projection
        # Anomaly prior: rank of the distance to the nearest common kind's centre, in [0, 1].
        prior = np.empty(n, np.float64)
        prior[np.argsort(norm, kind="stable")] = np.linspace(0.0, 1.0, n)
        ws.write_table(
            "prior",
            pd.DataFrame(
                {"id": ids, "prior": prior, "method": "distance to the nearest common centre"}
            ),
        )
        ws.write_table("map", pd.DataFrame({"id": ids, "x": xy[:, 0], "y": xy[:, 1]}))
        ws.update_meta(
            format_version=FORMAT_VERSION,
            oddfinder_version=__version__,
            created=utc_now(),
            source={"synthetic": "embeddings-only", "seed": seed},
            n=n,
            has_images=False,
            encoder="synthetic",
            embedding_dim=dim,
            n_embedded=n,
            feature_dim=n_features,
            features="synthetic latent (not a PCA)",
            map={"method": "random projection of the features (not UMAP)", "seed": seed},
            n_interesting=int(n_rare),
        )
    logger.info("wrote a synthetic workspace of %d galaxies (%d interesting) to %s", n, n_rare, out)
    return Workspace.open(out)
