"""Property-based ingest: hostile manifests give a one-line error or a skip report, never a
traceback and never a half-written workspace."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from oddfinder.errors import OddfinderError
from oddfinder.io.ingest import ingest_images
from oddfinder.io.workspace import Workspace

KINDS = ("good", "good", "corrupt", "truncated", "missing", "text", "empty", "fits_junk", "gif")
IDS = st.one_of(
    st.sampled_from(["g1", "g2", "g1", "", " ", "ünï", "名字", "a,b", 'q"x', "\t", "nan", "0"]),
    st.text(min_size=0, max_size=6),
)
COORD = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "abc", "12:30:00", "1e400", "-91", "361", "NaN"]),
)
ODD_PATH = st.one_of(
    st.none(),
    st.sampled_from(["", "\x00a.png", "../../etc/passwd", "images", "é/x.png", "~/x.png", " "]),
)
ROW = st.fixed_dictionaries(
    {"kind": st.sampled_from(KINDS), "id": IDS, "ra": COORD, "dec": COORD, "path": ODD_PATH}
)
ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252")


def _png(size: int = 12) -> bytes:
    import io

    buffer = io.BytesIO()
    rgb = np.random.default_rng(size).integers(0, 255, (size, size, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


GOOD = _png()


def _write_image(path, kind: str) -> None:
    if kind == "missing":
        return
    data = {
        "good": GOOD,
        "corrupt": bytes(range(256)) * 4,
        "truncated": GOOD[: len(GOOD) // 2],
        "text": "not an image, é".encode(),
        "empty": b"",
        "fits_junk": b"SIMPLE  =                    T" + b" " * 50,
        "gif": b"GIF89a\x01\x00\x01\x00",
    }[kind]
    path.write_bytes(data)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(ROW, min_size=0, max_size=8),
    encoding=st.sampled_from(ENCODINGS),
    skip_bad=st.booleans(),
    with_id=st.booleans(),
)
def test_hostile_manifests_never_crash_or_leave_a_half_workspace(
    tmp_path_factory, rows, encoding, skip_bad, with_id
):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "images").mkdir()
    records = []
    for i, row in enumerate(rows):
        suffix = {"fits_junk": ".fits", "gif": ".gif", "text": ".jpg"}.get(row["kind"], ".png")
        name = f"images/img{i}{suffix}"
        _write_image(root / name, row["kind"])
        record = {
            "path": name if row["path"] is None else row["path"],
            "ra": row["ra"],
            "dec": row["dec"],
        }
        if with_id:
            record["id"] = row["id"]
        records.append(record)
    table = pd.DataFrame(records, columns=(["id"] if with_id else []) + ["path", "ra", "dec"])
    manifest = root / "manifest.csv"
    try:
        manifest.write_bytes(table.to_csv(index=False).encode(encoding))
    except UnicodeEncodeError:
        manifest.write_bytes(table.to_csv(index=False).encode("utf-8"))
    out = root / "ws"
    try:
        ws = ingest_images(manifest, out, skip_bad=skip_bad, workers=0, thumb_size=8)
    except OddfinderError as error:
        message = str(error)
        assert message and "\n" not in message and "Traceback" not in message
        assert not out.exists()
    else:
        ws = Workspace.open(out)
        assert 0 < ws.n <= len(rows)
        assert ws.catalog["id"].is_unique
        assert all(ws.thumb_path(i).is_file() for i in range(ws.n))
        if skip_bad:
            assert (out / "ingest_report.json").is_file()
        else:
            assert ws.n == len(rows)
    assert not [p.name for p in root.iterdir() if p.name.startswith(".")]
    shutil.rmtree(root)
