"""How well nearest neighbours share a label: precision at k, and the baselines to beat.

Used on the Galaxy Zoo field guide: for each example image, what fraction of its ``k`` nearest
neighbours (searched only among images of the same group, e.g. the same survey) illustrate the
same answer. Baselines: a random ordering (its expected precision, computed exactly) and the
raw pixels reduced by PCA.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from oddfinder.map.similarity import SimilarityIndex

__all__ = ["neighbour_precision", "pixel_features", "precision_table"]

logger = logging.getLogger(__name__)


def pixel_features(
    paths: Sequence[str | os.PathLike], *, size: int = 32, n_components: int = 10
) -> np.ndarray:
    """Raw-pixel baseline: colour images resized to ``size`` px, flattened, PCA-reduced.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> rng = np.random.default_rng(0)
    >>> paths = []
    >>> for i in range(5):
    ...     paths.append(folder / f"{i}.png")
    ...     Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(paths[-1])
    >>> pixel_features(paths, size=8, n_components=3).shape
    (5, 3)
    """
    from oddfinder.embed.dataset import read_uint8
    from oddfinder.embed.reduce import pca_reduce

    pixels = np.stack([read_uint8(p, size=size).ravel() for p in paths]).astype(np.float32)
    pixels /= 255.0
    pca = pca_reduce(pixels, n_components=n_components)
    return pca.transform(pixels).astype(np.float32)


def neighbour_precision(
    features: np.ndarray | None,
    groups: Sequence,
    answers: Sequence,
    *,
    k: int = 5,
    metric: str = "cosine",
) -> np.ndarray:
    """Per item, the fraction of its ``k`` nearest neighbours within its group with its answer.

    Parameters
    ----------
    features : ndarray of shape (n, d) or None
        ``None`` gives the expected precision of a random ordering instead (exact).
    groups : sequence of length n
        Neighbours are searched only among items of the same group.
    answers : sequence of length n
        The label compared.
    k : int
        Neighbours per item (fewer where a group is smaller than ``k + 1``).
    metric : {"cosine", "euclidean"}

    Returns
    -------
    numpy.ndarray
        float ``(n,)``; NaN for items alone in their group.

    Examples
    --------
    >>> x = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> neighbour_precision(x, [0, 0, 0, 0], ["a", "a", "b", "b"], k=1, metric="euclidean")
    array([1., 1., 1., 1.])
    >>> neighbour_precision(None, [0, 0, 0, 0], ["a", "a", "b", "b"], k=1)
    array([0.33333333, 0.33333333, 0.33333333, 0.33333333])
    """
    groups = np.asarray(pd.Series(list(groups)).astype(str))
    answers = np.asarray(pd.Series(list(answers)).astype(str))
    out = np.full(len(answers), np.nan)
    for group in np.unique(groups):
        rows = np.flatnonzero(groups == group)
        if len(rows) < 2:
            continue
        kk = min(int(k), len(rows) - 1)
        local = answers[rows]
        if features is None:
            same = np.array([(local == a).sum() - 1 for a in local], dtype=np.float64)
            out[rows] = same / (len(rows) - 1)
            continue
        index = SimilarityIndex(np.asarray(features)[rows], metric=metric, index="exact")
        neighbours = index.query_many(np.arange(len(rows)), kk)
        hits = local[neighbours] == local[:, None]
        out[rows] = hits.mean(axis=1)
    return out


def precision_table(
    table: pd.DataFrame,
    representations: dict[str, np.ndarray | None],
    *,
    group: str | Sequence[str] = "survey",
    answer: str | Sequence[str] = ("question", "answer"),
    by: str = "question",
    k: int = 5,
    metric: str = "cosine",
    min_group: int = 4,
) -> pd.DataFrame:
    """Mean neighbour precision at ``k`` per value of ``by``, one column per representation.

    Parameters
    ----------
    table : DataFrame
        One row per image, aligned with every representation's rows.
    representations : dict of name to features (or ``None`` for the random baseline)
    group, answer : column name or names
        Neighbours are searched within ``group``; a hit shares every ``answer`` column.
    by : str
        Column the result is broken down by (plus an ``all`` row).
    min_group : int
        Groups smaller than this are left out (too small to have neighbours).

    Returns
    -------
    pandas.DataFrame
        Index ``by`` values and ``all``; columns the representations and ``n`` (images).
    """

    def key(columns: str | Sequence[str]) -> pd.Series:
        columns = [columns] if isinstance(columns, str) else list(columns)
        joined = table[columns[0]].map(str)
        for column in columns[1:]:
            joined = joined + " | " + table[column].map(str)
        return joined

    groups, answers = key(group), key(answer)
    sizes = groups.map(groups.value_counts())
    keep = (sizes >= min_group).to_numpy()
    result = {}
    for name, features in representations.items():
        values = neighbour_precision(
            None if features is None else np.asarray(features)[keep],
            groups[keep],
            answers[keep],
            k=k,
            metric=metric,
        )
        result[name] = values
    frame = pd.DataFrame(result)
    frame[by] = table.loc[keep, by].to_numpy()
    summary = frame.groupby(by).mean()
    summary["n"] = frame.groupby(by).size()
    total = frame.drop(columns=[by]).mean().to_frame("all").T
    total["n"] = len(frame)
    return pd.concat([summary, total])
