"""Fixtures for the finetune tests: a tiny workspace with images, embeddings and a 0/1 label."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

N = 40


def _blob(rng: np.random.Generator, axis: float, size: int = 32) -> np.ndarray:
    y, x = np.mgrid[:size, :size] - (size - 1) / 2
    angle = rng.uniform(0, np.pi)
    u = x * np.cos(angle) + y * np.sin(angle)
    v = -x * np.sin(angle) + y * np.cos(angle)
    image = np.exp(-0.5 * ((u / 5) ** 2 + (v / (5 * axis)) ** 2))
    rgb = image[..., None] * np.array([1.0, 0.9, 0.8]) + rng.normal(0, 0.03, (size, size, 3))
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def tiny_ws(tmp_path_factory: pytest.TempPathFactory):
    """40 galaxies: round blobs (label 1) and thin ones (label 0), with separable embeddings.

    ``label`` has four missing values; ``kind`` holds strings.
    """
    from oddfinder.io.ingest import ingest_images

    root = tmp_path_factory.mktemp("finetune")
    rng = np.random.default_rng(0)
    (root / "images").mkdir()
    rows = []
    for i in range(N):
        positive = i % 2 == 0
        Image.fromarray(_blob(rng, 1.0 if positive else 0.25)).save(root / "images" / f"{i}.png")
        rows.append(
            {
                "id": f"G{i:03d}",
                "path": f"images/{i}.png",
                "label": float(positive) if i >= 4 else np.nan,
                "kind": "round" if positive else "thin",
            }
        )
    pd.DataFrame(rows).to_csv(root / "manifest.csv", index=False)
    ws = ingest_images(root / "manifest.csv", root / "ws", workers=0, thumb_size=32)
    labels = np.array([i % 2 == 0 for i in range(N)], dtype=np.float32)
    embeddings = rng.normal(size=(N, 16)).astype(np.float32)
    embeddings[:, 0] += 6.0 * labels  # the label is linearly separable in the embedding
    ws.write_array("embeddings", embeddings)
    return ws
