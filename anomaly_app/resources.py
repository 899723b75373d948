"""Shared, read-only resources of the app, loaded once per server.

``@st.cache_resource`` holds objects every session shares and nobody mutates (the workspace,
its catalogue, the memory-mapped features, the label store, the similarity index);
``@st.cache_data`` holds small derived tables and bytes. Per-user state lives in
``st.session_state`` (see ``state.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from oddfinder.io.export import export_bytes
from oddfinder.io.workspace import Workspace
from oddfinder.labels.store import LabelStore

__all__ = [
    "catalog",
    "density",
    "export_data",
    "feature_map",
    "features",
    "image_encoder",
    "label_store",
    "map_table",
    "prior",
    "similarity_index",
    "workspace",
]


@st.cache_resource(show_spinner=False)
def workspace(path: str) -> Workspace:
    """The opened workspace (its catalogue, ids and row lookup are cached on it)."""
    return Workspace.open(path)


@st.cache_resource(show_spinner="Reading the catalogue…")
def catalog(path: str) -> pd.DataFrame:
    """The catalogue, row ``i`` for galaxy ``i`` (shared: never modify it in place).

    Scores of fine-tuned classifiers (``WS/scores.parquet``, ``oddfinder finetune``) are
    appended as columns, so the map can be coloured and the ranking table sorted by them.
    """
    ws = workspace(path)
    cat = ws.catalog
    if ws.has("scores"):
        scores = ws.read_table("scores")
        if len(scores) == ws.n and (scores["id"].astype(str).to_numpy() == ws.ids).all():
            extra = scores[[c for c in scores.columns if c not in cat.columns]]
            cat = pd.concat([cat.reset_index(drop=True), extra.reset_index(drop=True)], axis=1)
    return cat


@st.cache_resource(show_spinner=False)
def features(path: str) -> np.ndarray | None:
    """The embedding's PCA features, memory-mapped read-only, or None before ``oddfinder embed``."""
    ws = workspace(path)
    return ws.features() if ws.has("features") else None


@st.cache_resource(show_spinner=False)
def ranking_features(path: str):
    """What the interest model ranks on (PCA features plus morphometry when measured)."""
    from oddfinder.rank.features import ranking_features as build

    return build(workspace(path)) if features(path) is not None else None


@st.cache_resource(show_spinner=False)
def prior_method(path: str) -> str | None:
    """How the saved prior was made (``iforest``, ``lof``, ``answer:COLUMN``), or None."""
    ws = workspace(path)
    if not ws.has("prior"):
        return None
    table = ws.read_table("prior")
    return str(table["method"].iloc[0]) if "method" in table.columns and len(table) else None


@st.cache_resource(show_spinner=False)
def answer_names(path: str) -> list[str]:
    """The bundled CNN's answers saved in the workspace (empty without ``answers.parquet``)."""
    ws = workspace(path)
    if not ws.has("answers"):
        return []
    return [c for c in ws.read_table("answers").columns if c != "id"]


@st.cache_resource(show_spinner=False)
def prior(path: str) -> np.ndarray | None:
    """The anomaly prior aligned to catalogue rows, or None before ``oddfinder score``."""
    ws = workspace(path)
    if not ws.has("prior"):
        return None
    table = ws.read_table("prior")
    if len(table) == ws.n and (table["id"].astype(str).to_numpy() == ws.ids).all():
        values = table["prior"].to_numpy(dtype=np.float64)
    else:
        values = np.full(ws.n, np.nan)
        rows = table["id"].astype(str).map(ws.row_of)
        keep = rows.notna().to_numpy()
        values[rows[keep].astype(int).to_numpy()] = table["prior"].to_numpy()[keep]
    values.setflags(write=False)
    return values


@st.cache_resource(show_spinner=False)
def map_table(path: str) -> pd.DataFrame | None:
    """UMAP coordinates ``x, y`` aligned to catalogue rows, or None before ``oddfinder map``."""
    ws = workspace(path)
    if not ws.has("map"):
        return None
    table = ws.read_table("map")
    if len(table) != ws.n or not (table["id"].astype(str).to_numpy() == ws.ids).all():
        table = (
            pd.DataFrame({"id": ws.ids})
            .merge(table.astype({"id": str}), on="id", how="left")
            .reset_index(drop=True)
        )
    return table


@st.cache_resource(show_spinner=False)
def label_store(path: str) -> LabelStore:
    """The workspace's label store (safe to share: one SQLite connection per call)."""
    return LabelStore(workspace(path).labels_path)


@st.cache_resource(show_spinner="Building the similarity index…")
def similarity_index(path: str, metric: str):
    """Nearest-neighbour index over the first 10 principal components of the embedding."""
    from oddfinder.map.similarity import SimilarityIndex, similarity_features

    if features(path) is None:
        return None
    return SimilarityIndex(similarity_features(workspace(path), n_components=10), metric=metric)


@st.cache_resource(show_spinner="Loading the workspace's encoder…")
def image_encoder(path: str):
    """The encoder that embedded the workspace, for images users upload (raises
    :class:`~oddfinder.embed.encoders.EncoderError` when it cannot be loaded)."""
    from oddfinder.map.query_image import workspace_encoder

    return workspace_encoder(workspace(path))


@st.cache_resource(show_spinner="Reading the workspace's PCA…")
def feature_map(path: str):
    """The map from the encoder's embeddings to the workspace's features (its PCA)."""
    from oddfinder.map.query_image import FeatureMap

    return FeatureMap.from_workspace(workspace(path))


@st.cache_data(show_spinner=False, max_entries=32)
def export_data(table: pd.DataFrame, fmt: str) -> bytes:
    """``table`` serialised as CSV, Parquet or FITS bytes for a download button."""
    return export_bytes(table, fmt)


@st.cache_data(show_spinner=False, max_entries=8)
def density(path: str, bins: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 2-d histogram of the map (counts, x edges, y edges) for large surveys."""
    table = map_table(path)
    x = table["x"].to_numpy(dtype=np.float64)
    y = table["y"].to_numpy(dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    counts, xedges, yedges = np.histogram2d(x[ok], y[ok], bins=bins)
    return counts, xedges, yedges
