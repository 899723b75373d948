"""ingest_images: manifests of JPEG/PNG/FITS to a workspace; bad input fails cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _ingest_fixtures import leftovers, make_images, write_manifest
from PIL import Image

from oddfinder.errors import ImageError, IngestError, WorkspaceError
from oddfinder.io.ingest import ingest_images
from oddfinder.io.workspace import Workspace


@pytest.fixture
def frame(tmp_path: Path) -> pd.DataFrame:
    return make_images(tmp_path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".fits"])
def test_ingest_every_image_kind(tmp_path: Path, frame: pd.DataFrame, suffix: str) -> None:
    manifest = write_manifest(frame, tmp_path / f"manifest{suffix}")
    ws = ingest_images(manifest, tmp_path / "ws", thumb_size=32, workers=1)

    assert isinstance(ws, Workspace)
    assert ws.path == (tmp_path / "ws").absolute()
    catalog = ws.catalog
    assert list(catalog.columns[:4]) == ["id", "ra", "dec", "path"]
    assert catalog["id"].tolist() == frame["id"].tolist()  # exact strings, "007" kept
    user = {c.lower(): c for c in catalog.columns[4:]}  # the FITS manifest has MAG, KIND
    assert sorted(user) == ["kind", "mag"]
    np.testing.assert_allclose(catalog[user["mag"]], frame["mag"])
    np.testing.assert_array_equal(np.isnan(catalog["ra"]), np.isnan(frame["ra"]))
    for stored, relative in zip(catalog["path"], frame["path"], strict=True):
        assert Path(stored).is_absolute()
        assert Path(stored) == (tmp_path / relative).resolve()
    for i in range(len(frame)):
        with Image.open(ws.thumb_path(i)) as thumb:
            assert thumb.size == (32, 32)
            assert thumb.mode == "RGB"

    meta = ws.meta
    assert meta["n"] == 5
    assert meta["has_images"] is True
    assert meta["format_version"] == 1
    assert meta["source"]["manifest"] == str(manifest.absolute())
    assert meta["ingest"]["rows_skipped"] == 0
    assert meta["image_stats"]["formats"] == {"jpeg": 1, "png": 2, "fits": 2}
    assert meta["image_stats"]["width"] == {"min": 24, "max": 64}
    assert meta["created"].endswith("+00:00")
    assert leftovers(tmp_path) == ["ws"]


def test_ids_made_from_row_numbers_and_absolute_paths(tmp_path: Path, frame: pd.DataFrame):
    frame = frame.drop(columns=["id", "ra", "dec"])
    frame.loc[0, "path"] = str((tmp_path / "images" / "a.jpg").absolute())
    manifest = write_manifest(frame, tmp_path / "sub" / "manifest.csv")
    frame.loc[1:, "path"] = "../" + frame.loc[1:, "path"]
    write_manifest(frame, manifest)
    ws = ingest_images(manifest, tmp_path / "ws", thumb_size=16, workers=1)
    assert ws.catalog["id"].tolist() == [f"row{i:06d}" for i in range(1, 6)]
    assert ws.catalog["ra"].isna().all() and ws.catalog["dec"].isna().all()
    assert all(Path(p).is_file() for p in ws.catalog["path"])


def test_parallel_workers_match_serial(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    (tmp_path / "images").mkdir()
    rows = []
    for i in range(70):  # above the size where a process pool is used
        size = int(rng.integers(20, 40))
        image = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
        Image.fromarray(image).save(tmp_path / "images" / f"{i}.png")
        rows.append({"id": f"g{i}", "path": f"images/{i}.png"})
    manifest = write_manifest(pd.DataFrame(rows), tmp_path / "manifest.csv")
    serial = ingest_images(manifest, tmp_path / "serial", thumb_size=16, workers=1)
    parallel = ingest_images(manifest, tmp_path / "parallel", thumb_size=16, workers=2)
    pd.testing.assert_frame_equal(serial.catalog, parallel.catalog)
    for i in (0, 33, 69):
        assert serial.thumb_path(i).read_bytes() == parallel.thumb_path(i).read_bytes()
    assert serial.meta["image_stats"] == parallel.meta["image_stats"]

    (tmp_path / "images" / "50.png").write_bytes(b"broken")
    with pytest.raises(ImageError, match=r"manifest\.csv row 51 \(id 'g50'\): cannot read"):
        ingest_images(manifest, tmp_path / "failed", thumb_size=16, workers=2)
    assert leftovers(tmp_path) == ["parallel", "serial"]


def _corrupt(tmp_path: Path, frame: pd.DataFrame, case: str) -> tuple[pd.DataFrame, str]:
    """Break row 3 (1-based) of ``frame`` in one way; return the frame and the expected reason."""
    frame = frame.copy()
    images = tmp_path / "images"
    if case == "missing image":
        frame.loc[2, "path"] = "images/nope.jpg"
        return frame, "image not found"
    if case == "truncated jpeg":
        data = (images / "a.jpg").read_bytes()
        (images / "t.jpg").write_bytes(data[: len(data) // 2])
        frame.loc[2, "path"] = "images/t.jpg"
        return frame, "truncated"
    if case == "not an image":
        (images / "x.png").write_text("hello")
        frame.loc[2, "path"] = "images/x.png"
        return frame, "cannot read image"
    if case == "truncated fits":
        data = (images / "e.fits").read_bytes()
        (images / "t.fits").write_bytes(data[:4000])
        frame.loc[2, "path"] = "images/t.fits"
        return frame, "cannot read image"
    if case == "duplicate id":
        frame.loc[2, "id"] = frame.loc[0, "id"]
        return frame, "duplicate id (first at row 1)"
    if case == "empty id":
        frame.loc[2, "id"] = ""
        return frame, "empty id"
    if case == "empty path":
        frame.loc[2, "path"] = ""
        return frame, "empty path"
    if case == "dec out of range":
        frame.loc[2, "dec"] = 95.0
        return frame, "dec 95.0 outside [-90, 90]"
    if case == "ra out of range":
        frame.loc[2, "ra"] = -3.0
        return frame, "ra -3.0 outside [0, 360]"
    if case == "ra not a number":
        frame["ra"] = frame["ra"].astype(object)
        frame.loc[2, "ra"] = "12h30m"
        return frame, "ra is not a number: '12h30m'"
    raise ValueError(case)


BAD_CASES = [
    "missing image",
    "truncated jpeg",
    "not an image",
    "truncated fits",
    "duplicate id",
    "empty id",
    "empty path",
    "dec out of range",
    "ra out of range",
    "ra not a number",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_row_names_file_and_row_and_leaves_nothing(
    tmp_path: Path, frame: pd.DataFrame, case: str
) -> None:
    bad, reason = _corrupt(tmp_path, frame, case)
    manifest = write_manifest(bad, tmp_path / "manifest.csv")
    with pytest.raises((IngestError, ImageError)) as caught:
        ingest_images(manifest, tmp_path / "ws", thumb_size=16, workers=1)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{manifest} row 3 (id ")
    assert reason in message
    assert leftovers(tmp_path) == []  # no workspace, no temporary folder


@pytest.mark.parametrize("case", BAD_CASES)
def test_skip_bad_skips_the_row_and_reports_it(
    tmp_path: Path, frame: pd.DataFrame, case: str
) -> None:
    bad, reason = _corrupt(tmp_path, frame, case)
    manifest = write_manifest(bad, tmp_path / "manifest.csv")
    ws = ingest_images(manifest, tmp_path / "ws", thumb_size=16, workers=1, skip_bad=True)

    expected_ids = [gid for i, gid in enumerate(bad["id"]) if i != 2]
    assert ws.catalog["id"].tolist() == expected_ids
    report = json.loads((ws.path / "ingest_report.json").read_text())
    assert len(report) == 1
    assert report[0]["row"] == 3
    assert reason in report[0]["reason"]
    assert ws.meta["ingest"]["rows_skipped"] == 1
    assert ws.meta["n"] == 4
    # Thumbnails follow the surviving rows: row 3 of the manifest is gone.
    for i, kind in enumerate(ws.catalog["kind"]):
        assert ws.thumb_path(i).is_file(), kind
    assert not ws.thumb_path(4).exists()
    with Image.open(ws.thumb_path(2)) as thumb:  # the grey-band FITS (row 4) moved to row 2
        assert thumb.size == (16, 16)
    assert leftovers(tmp_path) == ["ws"]


def test_skip_bad_thumbnails_stay_aligned_with_rows(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    rows = []
    for i in range(6):
        value = 40 * i
        Image.fromarray(np.full((20, 20), value, dtype=np.uint8)).save(
            tmp_path / "images" / f"{i}.png"
        )
        rows.append({"id": f"g{i}", "path": f"images/{i}.png", "value": value})
    (tmp_path / "images" / "2.png").write_bytes(b"broken")
    (tmp_path / "images" / "4.png").unlink()
    manifest = write_manifest(pd.DataFrame(rows), tmp_path / "manifest.csv")
    ws = ingest_images(manifest, tmp_path / "ws", thumb_size=8, workers=1, skip_bad=True)
    assert ws.catalog["id"].tolist() == ["g0", "g1", "g3", "g5"]
    for i, value in enumerate(ws.catalog["value"]):
        with Image.open(ws.thumb_path(i)) as thumb:
            assert abs(float(np.asarray(thumb).mean()) - value) < 3
    report = json.loads((ws.path / "ingest_report.json").read_text())
    assert [item["row"] for item in report] == [3, 5]
    assert [item["id"] for item in report] == ["g2", "g4"]


def test_missing_path_column(tmp_path: Path, frame: pd.DataFrame) -> None:
    manifest = write_manifest(frame.drop(columns=["path"]), tmp_path / "manifest.csv")
    with pytest.raises(IngestError, match=r"manifest\.csv: no 'path' column"):
        ingest_images(manifest, tmp_path / "ws")
    assert leftovers(tmp_path) == []


def test_empty_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("id,path\n")
    with pytest.raises(IngestError, match="no rows"):
        ingest_images(manifest, tmp_path / "ws")
    manifest.write_text("")
    with pytest.raises(IngestError, match="empty"):
        ingest_images(manifest, tmp_path / "ws")
    assert leftovers(tmp_path) == []


def test_all_rows_bad_with_skip_bad_is_an_error(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("id,path\na,nope.jpg\nb,nope2.png\n")
    with pytest.raises(IngestError, match="no usable rows"):
        ingest_images(manifest, tmp_path / "ws", skip_bad=True)
    assert leftovers(tmp_path) == []


def test_existing_workspace_needs_force(tmp_path: Path, frame: pd.DataFrame) -> None:
    manifest = write_manifest(frame, tmp_path / "manifest.csv")
    first = ingest_images(manifest, tmp_path / "ws", thumb_size=16, workers=1)
    created = first.meta["created"]
    (first.path / "labels.sqlite").write_text("precious")
    with pytest.raises(WorkspaceError, match="--force"):
        ingest_images(manifest, tmp_path / "ws", thumb_size=16, workers=1)
    assert (first.path / "labels.sqlite").read_text() == "precious"

    write_manifest(frame.iloc[:2], manifest)
    second = ingest_images(manifest, tmp_path / "ws", thumb_size=16, workers=1, force=True)
    assert second.n == 2
    assert not (second.path / "labels.sqlite").exists()
    assert second.meta["created"] >= created
    assert leftovers(tmp_path) == ["ws"]


def test_failed_force_keeps_the_old_workspace(tmp_path: Path, frame: pd.DataFrame) -> None:
    manifest = write_manifest(frame, tmp_path / "manifest.csv")
    ingest_images(manifest, tmp_path / "ws", thumb_size=16, workers=1)
    bad, _ = _corrupt(tmp_path, frame, "missing image")
    write_manifest(bad, manifest)
    with pytest.raises(ImageError):
        ingest_images(manifest, tmp_path / "ws", thumb_size=16, workers=1, force=True)
    assert Workspace.open(tmp_path / "ws").n == 5
    assert leftovers(tmp_path) == ["ws"]


def test_never_replaces_a_folder_that_is_not_a_workspace(tmp_path: Path, frame: pd.DataFrame):
    manifest = write_manifest(frame, tmp_path / "manifest.csv")
    other = tmp_path / "mystuff"
    other.mkdir()
    (other / "thesis.tex").write_text("...")
    with pytest.raises(WorkspaceError, match="not an oddfinder workspace"):
        ingest_images(manifest, other, force=True)
    assert (other / "thesis.tex").read_text() == "..."
    empty = tmp_path / "empty"
    empty.mkdir()
    assert ingest_images(manifest, empty, thumb_size=16, workers=1).n == 5


def test_interrupt_leaves_nothing(tmp_path: Path, frame: pd.DataFrame, monkeypatch) -> None:
    import oddfinder.io.ingest as ingest_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_module, "_image_stats", interrupted)
    manifest = write_manifest(frame, tmp_path / "manifest.csv")
    with pytest.raises(KeyboardInterrupt):
        ingest_images(manifest, tmp_path / "ws", thumb_size=16, workers=1)
    assert leftovers(tmp_path) == []
