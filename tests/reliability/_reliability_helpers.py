"""Helpers for the reliability tests: tiny image surveys and workspaces, leftover checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from oddfinder.io.ingest import ingest_images
from oddfinder.io.workspace import Workspace

__all__ = ["leftovers", "make_image_workspace", "make_images"]


def make_images(folder: Path, n: int, *, size: int = 24, seed: int = 0) -> pd.DataFrame:
    """Write ``n`` small noisy blob JPEGs under ``folder/images`` and return a manifest."""
    rng = np.random.default_rng(seed)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[:size, :size] - (size - 1) / 2
    rows = []
    for i in range(n):
        r = size / rng.uniform(4, 10)
        blob = np.exp(-0.5 * ((x / r) ** 2 + (y / (r * rng.uniform(0.3, 1))) ** 2))
        rgb = blob[..., None] * rng.uniform(0.5, 1.0, 3) + rng.normal(0, 0.05, (size, size, 3))
        path = folder / "images" / f"g{i:04d}.png"
        Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8)).save(path)
        rows.append(
            {"id": f"g{i:04d}", "path": f"images/g{i:04d}.png", "ra": 10.0 + i * 1e-3, "dec": -5.0}
        )
    table = pd.DataFrame(rows)
    table.to_csv(folder / "manifest.csv", index=False)
    return table


def make_image_workspace(folder: Path, n: int, *, seed: int = 0) -> Workspace:
    """A workspace ingested from ``n`` small images (``folder/ws``)."""
    make_images(folder, n, seed=seed)
    return ingest_images(folder / "manifest.csv", folder / "ws", workers=0, thumb_size=16)


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders (names starting with a dot) anywhere under ``folder``."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*"))
