"""Build a small, complete workspace for app tests (no images, embedding or UMAP needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from oddfinder.io.workspace import Workspace

__all__ = ["KINDS", "make_workspace"]

KINDS = ("spiral", "elliptical", "edge-on", "ring")
_COLOURS = {
    "spiral": (120, 150, 255),
    "elliptical": (255, 200, 120),
    "edge-on": (230, 230, 230),
    "ring": (255, 120, 200),
}


def _thumbnail(kind: str, rng: np.random.Generator, size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), (5, 5, 12))
    draw = ImageDraw.Draw(image)
    c = size / 2
    r = size * rng.uniform(0.15, 0.3)
    colour = _COLOURS[kind]
    if kind == "edge-on":
        draw.ellipse((c - r * 1.6, c - r * 0.3, c + r * 1.6, c + r * 0.3), fill=colour)
    elif kind == "ring":
        draw.ellipse((c - r * 1.4, c - r * 1.4, c + r * 1.4, c + r * 1.4), outline=colour, width=3)
        draw.ellipse((c - r * 0.3, c - r * 0.3, c + r * 0.3, c + r * 0.3), fill=colour)
    else:
        draw.ellipse((c - r, c - r * 0.8, c + r, c + r * 0.8), fill=colour)
    return image


def make_workspace(
    path: str | Path,
    *,
    n: int = 200,
    d: int = 40,
    seed: int = 0,
    thumbs: bool = True,
    thumb_size: int = 64,
    with_map: bool = True,
) -> Path:
    """Write a workspace of ``n`` synthetic galaxies; every 20th is an "interesting" ring.

    Rings sit in their own cluster of feature space and get a higher anomaly prior.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    kind = np.array([KINDS[i % 3] for i in range(n)], dtype=object)
    interesting = np.arange(n) % 20 == 7
    kind[interesting] = "ring"
    features = rng.normal(size=(n, d)).astype(np.float32)
    features[interesting, :5] += 4.0
    ids = np.array([f"G{i:06d}" for i in range(n)])
    catalog = pd.DataFrame(
        {
            "id": ids,
            "ra": rng.uniform(150.0, 160.0, n),
            "dec": rng.uniform(0.0, 5.0, n),
            "path": [f"images/{g}.jpg" for g in ids],
            "kind": kind.astype(str),
            "mag_r": rng.uniform(14.0, 18.0, n).round(2),
        }
    )
    ws = Workspace(path)
    ws.update_meta(n=n, feature_dim=d, source="tests/app/workspace_factory.py")
    ws.write_table("catalog", catalog)
    ws.write_array("features", features)
    prior = np.clip(rng.uniform(0.0, 0.5, n) + 0.45 * interesting, 0.0, 1.0)
    ws.write_table("prior", pd.DataFrame({"id": ids, "prior": prior}))
    if with_map:
        xy = features[:, :2] + rng.normal(scale=0.1, size=(n, 2))
        ws.write_table("map", pd.DataFrame({"id": ids, "x": xy[:, 0], "y": xy[:, 1]}))
    if thumbs:
        for i in range(n):
            target = ws.thumb_path(i)
            target.parent.mkdir(parents=True, exist_ok=True)
            _thumbnail(str(kind[i]), rng, thumb_size).save(target, quality=85)
    return path
