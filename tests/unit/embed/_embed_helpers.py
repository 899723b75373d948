"""Helpers for the embed tests: tiny synthetic galaxies, surveys and workspaces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from oddfinder.io.workspace import Workspace

__all__ = ["KINDS", "make_survey", "make_workspace"]

KINDS = ("elliptical", "spiral", "edge_on", "merger")


def _galaxy(rng: np.random.Generator, kind: str, size: int) -> np.ndarray:
    """A crude synthetic galaxy: one or two elliptical Gaussian blobs on noisy sky."""
    y, x = np.mgrid[:size, :size] - (size - 1) / 2
    axis = {"elliptical": 0.8, "spiral": 0.6, "edge_on": 0.2, "merger": 0.7}[kind]
    angle = rng.uniform(0, np.pi)
    u = x * np.cos(angle) + y * np.sin(angle)
    v = -x * np.sin(angle) + y * np.cos(angle)
    r = size / 8
    image = np.exp(-0.5 * ((u / r) ** 2 + (v / (axis * r)) ** 2))
    if kind == "merger":
        image += 0.7 * np.exp(-0.5 * (((x - r * 1.8) / r) ** 2 + ((y - r) / r) ** 2))
    colour = np.array([1.0, 0.85, 0.6]) if kind == "elliptical" else np.array([0.7, 0.8, 1.0])
    rgb = image[..., None] * colour + rng.normal(0, 0.03, (size, size, 3))
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def make_survey(folder: Path, n: int, *, size: int = 48, seed: int = 0) -> pd.DataFrame:
    """Write ``n`` synthetic galaxies and a simulator-style manifest.csv under ``folder``."""
    rng = np.random.default_rng(seed)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        path = f"images/g{i:05d}.jpg"
        Image.fromarray(_galaxy(rng, kind, size)).save(folder / path, quality=90)
        rows.append(
            {
                "id": f"g{i:05d}",
                "path": path,
                "kind": kind,
                "smooth": float(kind == "elliptical"),
                "edge_on": float(kind == "edge_on"),
                "bar": 0.0,
                "spiral_arms": 2 if kind == "spiral" else 0,
                "bulge_size": float(rng.uniform(0, 1)),
                "merging": float(kind == "merger"),
                "is_merger": int(kind == "merger"),
            }
        )
    table = pd.DataFrame(rows)
    table.to_csv(folder / "manifest.csv", index=False)
    return table


def make_workspace(folder: Path, n: int, *, seed: int = 0) -> Workspace:
    """A workspace over ``n`` synthetic images, built directly (no ingest)."""
    table = make_survey(folder / "survey", n, seed=seed)
    ws = Workspace(folder / "ws")
    ws.path.mkdir(parents=True)
    ws.update_meta(format_version=1, n=n)
    catalog = pd.DataFrame(
        {"id": table["id"], "path": [str((folder / "survey" / p).resolve()) for p in table["path"]]}
    )
    ws.write_table("catalog", catalog)
    return Workspace.open(ws.path)
