"""The features the interest model ranks on: the embedding's PCA, plus morphometry when measured.

``WS/features.npy`` (the encoder's embedding reduced by PCA) serves the map and the similarity
search. The ranker uses it too, and where ``oddfinder embed`` has also measured the images'
morphometry (``WS/morphometry.parquet``, :mod:`oddfinder.embed.morphometry`) it appends those
columns as robust z-scores, as a second feature *group*. The GP gives each group its own
length scale, fitted to the researcher's labels, so the labels decide how much the CNN's view
and the classic morphology measures each count (README "Benchmarks" has the measurements
that chose this).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from oddfinder.errors import WorkspaceError
from oddfinder.io.workspace import Workspace

__all__ = ["RankingFeatures", "ranking_features"]

logger = logging.getLogger(__name__)

MORPHOMETRY_TABLE = "morphometry"


@dataclass(frozen=True)
class RankingFeatures:
    """Feature matrix for ranking and the group of each column.

    Attributes
    ----------
    values : array (N, d) float32
        Row ``i`` = galaxy ``i``.
    groups : array (d,) int or None
        Column groups (0 = embedding PCA, 1 = morphometry); ``None`` with a single group.
    names : tuple of str
        The groups' names, in group order.
    """

    values: np.ndarray
    groups: np.ndarray | None
    names: tuple[str, ...]

    @property
    def options(self) -> dict:
        """Options for :class:`~oddfinder.rank.session.RankingSession` (the GP's groups)."""
        return {} if self.groups is None else {"groups": self.groups}


def read_morphometry(ws: Workspace) -> np.ndarray | None:
    """The workspace's morphometry table as an (N, k) array in row order, or ``None``."""
    from oddfinder.embed.morphometry import FEATURE_NAMES

    if not ws.has(MORPHOMETRY_TABLE):
        return None
    table = ws.read_table(MORPHOMETRY_TABLE)
    if len(table) != ws.n or not np.array_equal(table["id"].astype(str).to_numpy(), ws.ids):
        logger.warning("%s does not match the catalogue; ignoring it", MORPHOMETRY_TABLE)
        return None
    missing = [c for c in FEATURE_NAMES if c not in table.columns]
    if missing:
        raise WorkspaceError(
            f"{ws.path / (MORPHOMETRY_TABLE + '.parquet')}: columns {missing} are missing; "
            "rerun `oddfinder embed`"
        )
    values = table[list(FEATURE_NAMES)].to_numpy(np.float32)
    if not np.isfinite(values).all():
        row = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
        raise WorkspaceError(
            f"{ws.path / (MORPHOMETRY_TABLE + '.parquet')}: row {row} (id {ws.ids[row]}) "
            "is not finite"
        )
    return values


def ranking_features(ws: Workspace, *, morphometry: bool = True) -> RankingFeatures:
    """The ranking features of ``ws`` (see module docstring).

    Parameters
    ----------
    ws : Workspace
        A workspace with ``features.npy``.
    morphometry : bool
        Append the morphometry group when the workspace has one.
    """
    from oddfinder.embed.morphometry import standardise

    if not ws.has("features"):
        raise WorkspaceError(f"workspace {ws.path} has no features.npy: run `oddfinder embed`")
    features = np.asarray(ws.features(), dtype=np.float32)
    morph = read_morphometry(ws) if morphometry else None
    if morph is None:
        return RankingFeatures(features, None, ("embedding",))
    z = standardise(morph)
    keep = z.std(axis=0) > 0  # a measure constant over the survey carries nothing
    z = z[:, keep]
    values = np.ascontiguousarray(np.hstack([features, z]), dtype=np.float32)
    groups = np.r_[np.zeros(features.shape[1], np.int64), np.ones(z.shape[1], np.int64)]
    return RankingFeatures(values, groups, ("embedding", "morphometry"))
