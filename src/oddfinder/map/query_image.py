"""Galaxies like an image of the researcher's own: embed it as the workspace was, then search.

``workspace.json`` records the encoder that made ``embeddings.npy`` (``encoder``,
``encoder_version``, ``embedding_dim``) and that ``features.npy`` is their PCA
(``features: "pca"``, ``feature_dim``), but not the PCA's components. A PCA is an affine map,
so :class:`FeatureMap` recovers it exactly from rows of the workspace's own embeddings and
features (a least-squares fit on up to 20,000 rows; a residual above 10^-3 of the features'
spread is logged, as it means the features are not a linear function of the embeddings).

:func:`find_similar_to_image` then embeds the image with that encoder, maps it to features and
asks the similarity index (:mod:`oddfinder.map.similarity`) for its nearest galaxies, in the
same leading principal components ``oddfinder similar`` searches.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from oddfinder.errors import ImageError, WorkspaceError

__all__ = [
    "FeatureMap",
    "embed_image",
    "find_similar_to_image",
    "image_features",
    "read_query_image",
    "similarity_vector",
    "workspace_encoder",
]

logger = logging.getLogger(__name__)

_FIT_ROWS = 20_000
_RESIDUAL_WARN = 1e-3


def _recorded_encoder(ws) -> str | None:
    spec = ws.meta.get("encoder")
    return spec if isinstance(spec, str) else None


def workspace_encoder(ws, *, encoder: str | None = None, device: str = "cpu"):
    """The encoder that embedded ``ws``, loaded, or the one given, checked against the workspace.

    Parameters
    ----------
    ws : Workspace
        An embedded workspace.
    encoder : str, optional
        An encoder spec (see :func:`~oddfinder.embed.encoders.load_encoder`) to use instead of
        the recorded one: needed when the workspace was embedded from a file
        (``workspace.json`` keeps only its name) or its embeddings were precomputed.
    device : str
        Where the encoder runs.

    Raises
    ------
    EncoderError
        If no usable encoder is recorded or given, it cannot be loaded, the recorded one's
        version differs from the one that embedded the workspace, or its embeddings have
        another size.
    """
    from oddfinder.embed.encoders import EncoderError, load_encoder

    recorded = _recorded_encoder(ws)
    spec = encoder or recorded
    if spec is None:
        raise EncoderError(
            f"workspace {ws.path} records no image encoder (its embeddings were precomputed): "
            "pass the encoder that made them with --encoder SPEC"
        )
    try:
        enc = load_encoder(spec, device=device)
    except EncoderError as error:
        if encoder is None:
            raise EncoderError(
                f"cannot load encoder {spec!r} recorded in {ws.path / 'workspace.json'} ({error}); "
                "pass the encoder that embedded the workspace with --encoder SPEC"
            ) from None
        raise
    version = ws.meta.get("encoder_version")
    if version is not None and str(version) != str(enc.version):
        message = (
            f"encoder {spec!r} is version {enc.version}, but {ws.path} was embedded with "
            f"version {version}"
        )
        if encoder is None:
            raise EncoderError(message + ": re-embed the workspace or pass its encoder")
        logger.warning("%s: image search may be off", message)
    dim = ws.meta.get("embedding_dim")
    if dim is not None and int(dim) != enc.embedding_dim:
        raise EncoderError(
            f"encoder {spec!r} gives {enc.embedding_dim}-d embeddings, but {ws.path} holds "
            f"{dim}-d ones: use the encoder that embedded it"
        )
    return enc


@dataclass(frozen=True)
class FeatureMap:
    """The affine map from the workspace's embeddings to its features (its PCA).

    ``features = (embedding - mean_in) @ weights + mean_out``.

    Attributes
    ----------
    mean_in, mean_out : ndarray
        Means of the fitted embedding and feature rows.
    weights : ndarray of shape (d_embed, d_features)
    residual : float
        RMS error of the fit over the RMS spread of the features (about 1e-7 for a PCA).
    """

    mean_in: np.ndarray
    mean_out: np.ndarray
    weights: np.ndarray
    residual: float

    @classmethod
    def fit(cls, embeddings: np.ndarray, features: np.ndarray) -> FeatureMap:
        """Fit the map by least squares to matching rows of embeddings and features.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> e = rng.normal(size=(50, 6))
        >>> f = (e - 1.0) @ rng.normal(size=(6, 3))
        >>> fmap = FeatureMap.fit(e, f)
        >>> bool(np.allclose(fmap.transform(e), f, atol=1e-5)), fmap.residual < 1e-6
        (True, True)
        """
        e = np.asarray(embeddings, dtype=np.float64)
        f = np.asarray(features, dtype=np.float64)
        if e.ndim != 2 or f.ndim != 2 or len(e) != len(f) or len(e) < 2:
            raise ValueError(f"need matching 2-d rows, got shapes {e.shape} and {f.shape}")
        mean_in, mean_out = e.mean(axis=0), f.mean(axis=0)
        centred_in, centred_out = e - mean_in, f - mean_out
        # rcond: directions the float32 embeddings barely span carry no PCA component.
        weights = np.linalg.lstsq(centred_in, centred_out, rcond=1e-6)[0]
        error = centred_in @ weights - centred_out
        spread = float(np.sqrt(np.mean(centred_out**2)))
        residual = float(np.sqrt(np.mean(error**2)) / max(spread, 1e-30))
        return cls(mean_in, mean_out, weights, residual)

    @classmethod
    def from_workspace(cls, ws, *, max_rows: int = _FIT_ROWS, seed: int = 0) -> FeatureMap:
        """Recover the map from (up to ``max_rows`` evenly chosen) rows of ``ws``.

        Raises
        ------
        WorkspaceError
            If the workspace lacks embeddings or features, or their row counts differ.
        """
        if not ws.has("embeddings") or not ws.has("features"):
            raise WorkspaceError(
                f"workspace {ws.path} needs embeddings.npy and features.npy to search by "
                "image: run `oddfinder embed`"
            )
        embeddings, features = ws.embeddings(), ws.features()
        n = len(embeddings)
        if len(features) != n:
            raise WorkspaceError(
                f"{ws.path}: embeddings.npy has {n} rows, features.npy {len(features)}: "
                "run `oddfinder reduce`"
            )
        want = min(n, max(int(max_rows), 4 * embeddings.shape[1]))
        rows = (
            np.arange(n)
            if want >= n
            else np.sort(np.random.default_rng(seed).choice(n, size=want, replace=False))
        )
        fmap = cls.fit(np.asarray(embeddings[rows]), np.asarray(features[rows]))
        if fmap.residual > _RESIDUAL_WARN:
            logger.warning(
                "%s: features are not a linear map of the embeddings (relative residual %.2g); "
                "image search is approximate",
                ws.path,
                fmap.residual,
            )
        return fmap

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        """Features (float32) of embedding rows ``(m, d_embed)`` or one embedding."""
        e = np.asarray(embeddings, dtype=np.float64)
        if e.shape[-1] != len(self.mean_in):
            raise ValueError(
                f"embedding has {e.shape[-1]} dimensions, the workspace's {len(self.mean_in)}"
            )
        return ((e - self.mean_in) @ self.weights + self.mean_out).astype(np.float32)


def read_query_image(
    image: str | os.PathLike | bytes, *, name: str | None = None, size: int | None = None
) -> np.ndarray:
    """An image file, or an uploaded file's bytes, as uint8 RGB ``(H, W, 3)``.

    Read as catalogue images are (FITS with an asinh stretch), resized to ``size`` x ``size``
    when given. ``name`` is the uploaded file's name: it gives the format and names the file
    in errors.

    Raises
    ------
    ImageError
        If the image is missing, unreadable or of an unsupported format.
    """
    from oddfinder.io.images import read_rgb

    if not isinstance(image, bytes):
        return np.array(read_rgb(image, size=size), dtype=np.uint8)
    label = name or "uploaded image"
    lower = label.lower()
    suffix = "".join(Path(lower).suffixes[-2:]) if lower.endswith(".gz") else Path(lower).suffix
    with tempfile.TemporaryDirectory(prefix="oddfinder-image-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(image)
        try:
            return np.array(read_rgb(path, size=size), dtype=np.uint8)
        except ImageError as error:
            raise ImageError(str(error).replace(str(path), label)) from None


def embed_image(
    encoder, image: str | os.PathLike | bytes, *, name: str | None = None
) -> np.ndarray:
    """The encoder's embedding (float32, 1-d) of one JPEG, PNG or FITS image.

    ``image`` is a path, or the bytes of an uploaded file whose ``name`` gives its format.

    Raises
    ------
    ImageError
        If the image is missing, unreadable or of an unsupported format.
    """
    import torch

    array = read_query_image(image, name=name, size=encoder.image_size)
    batch = torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1)[None]
    return encoder.embed(batch).numpy()[0].astype(np.float32)


def image_features(
    ws,
    image: str | os.PathLike | bytes,
    *,
    name: str | None = None,
    encoder=None,
    feature_map: FeatureMap | None = None,
) -> np.ndarray:
    """An image's feature vector, in the space of ``WS/features.npy``.

    ``encoder`` is a loaded encoder or a spec (default: the one recorded in the workspace,
    see :func:`workspace_encoder`); ``feature_map`` a fitted :class:`FeatureMap` (fitted here
    when not given).
    """
    if encoder is None or isinstance(encoder, str):
        encoder = workspace_encoder(ws, encoder=encoder)
    embedding = embed_image(encoder, image, name=name)
    if feature_map is None:
        feature_map = FeatureMap.from_workspace(ws)
    return feature_map.transform(embedding)


def similarity_vector(ws, features: np.ndarray, *, n_components: int | None = 10) -> np.ndarray:
    """A feature vector in the space :func:`~oddfinder.map.similarity.similarity_features`
    searches: its first ``n_components`` principal components."""
    vector = np.asarray(features, dtype=np.float32).reshape(-1)
    d = ws.features().shape[1]
    if n_components is None or n_components >= d:
        return vector
    if ws.meta.get("features") == "pca":
        return vector[: int(n_components)]
    from oddfinder.embed.reduce import pca_reduce  # as similarity_features does

    pca = pca_reduce(ws.features(), n_components=int(n_components))
    return pca.transform(vector[None]).astype(np.float32)[0]


def find_similar_to_image(
    ws,
    image: str | os.PathLike | bytes,
    *,
    k: int = 20,
    name: str | None = None,
    metric: str = "cosine",
    n_components: int | None = 10,
    index: str = "auto",
    encoder=None,
    feature_map: FeatureMap | None = None,
    search=None,
) -> pd.DataFrame:
    """The ``k`` workspace galaxies nearest to an image of the user's own.

    Parameters
    ----------
    ws : Workspace
        An embedded workspace (``embeddings.npy`` and ``features.npy``).
    image : path-like or bytes
        A JPEG, PNG or FITS file, or an uploaded file's bytes (then ``name`` is its name).
    k : int
        Number of galaxies.
    metric, n_components, index
        As for :func:`~oddfinder.map.similarity.find_similar`.
    encoder : str or Encoder, optional
        Default: the encoder recorded in the workspace.
    feature_map : FeatureMap, optional
        Reuse a fitted map (the app caches one).
    search : SimilarityIndex, optional
        Reuse an index over ``similarity_features(ws, n_components=n_components)``.

    Returns
    -------
    pandas.DataFrame
        ``rank, id, row, distance``, nearest first.

    Raises
    ------
    ImageError
        If the image cannot be read.
    EncoderError, WorkspaceError
        If the workspace's encoder cannot be loaded or it has no embeddings or features.
    """
    from oddfinder.map.similarity import SimilarityIndex, similarity_features

    if int(k) < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if not ws.has("features"):
        raise WorkspaceError(f"workspace {ws.path} has no features.npy: run `oddfinder embed`")
    vector = image_features(ws, image, name=name, encoder=encoder, feature_map=feature_map)
    query = similarity_vector(ws, vector, n_components=n_components)
    if search is None:
        search = SimilarityIndex(
            similarity_features(ws, n_components=n_components), metric=metric, index=index
        )
    rows, distances = search.query_vector(query, int(k))
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(rows) + 1),
            "id": ws.ids[rows],
            "row": rows,
            "distance": distances,
        }
    )
