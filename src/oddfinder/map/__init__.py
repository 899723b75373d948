"""The 2-d UMAP map of the survey and the nearest-neighbour similarity index.

The names are imported lazily so that ``import oddfinder.map`` stays cheap.
"""

from __future__ import annotations

__all__ = ["SimilarityIndex", "UmapMap", "map_workspace"]


def __getattr__(name: str):
    if name in ("UmapMap", "map_workspace"):
        from oddfinder.map import umap_map

        return getattr(umap_map, name)
    if name == "SimilarityIndex":
        from oddfinder.map.similarity import SimilarityIndex

        return SimilarityIndex
    raise AttributeError(f"module 'oddfinder.map' has no attribute {name!r}")
