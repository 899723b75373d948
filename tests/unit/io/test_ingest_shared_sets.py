"""The four real sets in ../shared/data ingest as they are (ids exact, every image read)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PIL import Image

from oddfinder.io.ingest import ingest_images

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"

pytestmark = pytest.mark.shared_data


def _raw_rows(manifest: Path) -> list[dict[str, str]]:
    with manifest.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("name", "limit", "size"),
    [
        ("field_guide", None, (128, 128)),
        ("rings", None, (128, 128)),
        ("hsc_anomalies", None, (96, 96)),
        ("gz1_dev", 400, (423, 423)),  # a subset keeps the suite fast; the full set is checked
    ],
)
def test_shared_set_ingests(tmp_path: Path, name: str, limit: int | None, size) -> None:
    folder = DATA / name
    if not (folder / "manifest.csv").is_file():
        pytest.skip(f"{folder} not available")
    manifest = folder / "manifest.csv"
    rows = _raw_rows(manifest)
    if limit is not None:
        rows = rows[:limit]
        manifest = tmp_path / "manifest.csv"
        with manifest.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow({**row, "path": str(folder / row["path"])})

    ws = ingest_images(manifest, tmp_path / "ws", thumb_size=64, workers=2)

    assert ws.n == len(rows)
    assert ws.catalog["id"].tolist() == [row["id"] for row in rows]  # exact strings
    assert ws.catalog["id"].is_unique
    assert set(rows[0]) - {"id", "path"} <= set(ws.catalog.columns)
    assert ws.meta["image_stats"]["width"] == {"min": size[0], "max": size[0]}
    for i in (0, ws.n // 2, ws.n - 1):
        with Image.open(ws.thumb_path(i)) as thumb:
            assert thumb.size == (64, 64)
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in ws.catalog["path"][:50])
