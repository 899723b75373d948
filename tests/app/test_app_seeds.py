"""Start from examples (AppTest): seed ids on the Label page, "Want more like this" on the
Similar and Map pages, and the Similar page's search by an image of the user's own."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _app_helpers import batch_ids as _batch
from _app_helpers import metric_value as _metric
from _app_helpers import start as _start
from PIL import Image

from oddfinder.labels.store import LabelStore

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

APP_FILE = Path(__file__).resolve().parents[2] / "anomaly_app" / "streamlit_app.py"


@pytest.fixture(autouse=True)
def _one_torch_thread():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _labels(workspace, researcher="ada"):
    return LabelStore(workspace / "labels.sqlite").labels(researcher)


def test_seed_ids_are_recorded_and_start_the_next_round(app, workspace):
    _start(app)
    first = _batch(app)
    app.text_input(key="seed_ids").set_value("G000007, G000027").run()
    app.button(key="seed_add").click().run()
    assert not app.exception
    assert _labels(workspace) == {"G000007": 5, "G000027": 5}
    assert _metric(app, "Round") == "1"
    assert _metric(app, "Labels given") == "2"
    second = _batch(app)
    assert len(second) == 10 and second != first
    assert not {"G000007", "G000027"} & set(second)
    # The seeds are rings; the ranking now puts other rings (every 20th from 7) first.
    ranked = app.session_state["loops"]["ada"].ranking_table()
    top = [g for g in ranked["id"] if g not in {"G000007", "G000027"}][:5]
    assert all(int(g[1:]) % 20 == 7 for g in top), top
    assert app.text_input(key="seed_ids").value == ""


def test_seed_ids_from_an_uploaded_file(app, workspace):
    _start(app)
    uploader = app.file_uploader(key="seed_file_0")
    uploader.set_value(("mine.csv", b"id,why\nG000047,ring\nG000067,ring\n", "text/csv")).run()
    app.button(key="seed_add").click().run()
    assert not app.exception
    assert _labels(workspace) == {"G000047": 5, "G000067": 5}
    assert _metric(app, "Round") == "1"
    # The uploader is cleared for the next use.
    assert [u.key for u in app.file_uploader] == ["seed_file_1"]


@pytest.mark.parametrize(
    ("ids", "message"),
    [("G000007,nope", "unknown galaxy id 'nope'"), ("G000007,G000007", "given twice")],
)
def test_bad_seed_ids_are_reported_and_nothing_is_recorded(app, workspace, ids, message):
    _start(app)
    app.text_input(key="seed_ids").set_value(ids).run()
    app.button(key="seed_add").click().run()
    assert not app.exception
    assert any(message in e.value for e in app.error)
    assert _labels(workspace) == {}
    assert _metric(app, "Round") == "0"


def test_empty_uploaded_ids_file_is_reported(app, workspace):
    _start(app)
    app.file_uploader(key="seed_file_0").set_value(("empty.txt", b"\n", "text/plain")).run()
    app.button(key="seed_add").click().run()
    assert any("lists no galaxy ids" in e.value for e in app.error)
    assert _labels(workspace) == {}


def test_want_more_like_this_on_the_similar_page(app, workspace):
    _start(app)
    app.switch_page("app_pages/similar.py").run()
    app.text_input(key="similar_id").set_value("G000107").run()
    app.button(key="similar_seed").click().run()
    assert not app.exception
    assert _labels(workspace) == {"G000107": 5}
    assert any("G000107" in t.value for t in app.toast)


def test_want_more_like_this_needs_a_researcher(app, workspace):
    app.run()
    app.switch_page("app_pages/similar.py").run()
    app.text_input(key="similar_id").set_value("G000107").run()
    app.button(key="similar_seed").click().run()
    assert not app.exception
    assert LabelStore(workspace / "labels.sqlite").researchers() == []


def test_want_more_like_this_on_a_map_selection(app, workspace):
    _start(app)
    app.switch_page("app_pages/map.py").run()
    assert not app.exception
    selection = {"selection": {"points": [{"customdata": 7}, {"customdata": 27}]}}
    app.session_state["map_chart"] = selection
    app.run()
    assert not app.exception
    app.button(key="map_seed").click().run()
    assert not app.exception
    assert _labels(workspace) == {"G000007": 5, "G000027": 5}


def test_image_upload_without_an_encoder_is_explained(app):
    _start(app)
    app.switch_page("app_pages/similar.py").run()
    png = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 100, 50)).save(png, format="PNG")
    app.file_uploader(key="similar_image_0").set_value(("mine.png", png.getvalue(), "image/png"))
    app.run()
    assert not app.exception
    assert any("records no image encoder" in e.value for e in app.error)


# --- a workspace embedded with the bundled encoder, for image search ----------------------------
def _disc(colour, size=64):
    y, x = np.mgrid[:size, :size] - (size - 1) / 2
    blob = np.exp(-0.5 * (x**2 + (y / 0.5) ** 2) / 8.0**2)
    return (np.clip(blob[..., None] * np.array(colour), 0, 1) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def embedded_template(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from oddfinder.embed.inference import embed_workspace
    from oddfinder.io.workspace import FORMAT_VERSION, Workspace

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("embedded")
    rng = np.random.default_rng(0)
    (root / "images").mkdir()
    ids, paths = [], []
    for i in range(24):
        colour = rng.uniform(0.3, 1.0, 3)
        path = root / "images" / f"E{i:03d}.png"
        Image.fromarray(_disc(colour)).rotate(15 * i).save(path)
        ids.append(f"E{i:03d}")
        paths.append(str(path))
    ws = Workspace(root / "ws")
    ws.path.mkdir()
    ws.update_meta(format_version=FORMAT_VERSION, n=len(ids))
    ws.write_table("catalog", pd.DataFrame({"id": ids, "path": paths}))
    ws = Workspace.open(ws.path)
    embed_workspace(ws, encoder="bundled", workers=0, batch_size=24, components=10, progress=False)
    ws.write_table("prior", pd.DataFrame({"id": ids, "prior": rng.uniform(0, 1, len(ids))}))
    return ws.path


def test_image_upload_shows_its_nearest_galaxies_and_records_examples(
    embedded_template, tmp_path, monkeypatch
):
    import shutil

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    workspace = Path(shutil.copytree(embedded_template, tmp_path / "ws"))
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("ODDFINDER_WORKSPACE", str(workspace))
    at = _start(AppTest.from_file(str(APP_FILE), default_timeout=60))
    at.switch_page("app_pages/similar.py").run()
    data = (Path(embedded_template).parent / "images" / "E005.png").read_bytes()
    at.file_uploader(key="similar_image_0").set_value(("mine.png", data, "image/png")).run()
    assert not at.exception
    assert any("nearest to your image" in h.value for h in at.subheader)
    shown = [b.key.removeprefix("tosimilar_") for b in at.button if b.key.startswith("tosimilar_")]
    assert shown[0] == "E005" and len(shown) == 12
    assert at.button(key="image_seed").disabled  # nothing picked yet
    at.multiselect(key="image_seed_pick").set_value(["E005", shown[1]]).run()
    at.button(key="image_seed").click().run()
    assert not at.exception
    assert _labels(workspace) == {"E005": 5, shown[1]: 5}
    # A neighbour can be labelled in place, too.
    at.button(key=f"score_{shown[2]}_3").click().run()
    assert _labels(workspace)[shown[2]] == 3
    # Handing a galaxy to the Similar page replaces the image.
    at.button(key=f"tosimilar_{shown[3]}").click().run()
    assert not at.exception
    assert at.text_input(key="similar_id").value == shown[3]
    assert [u.key for u in at.file_uploader] == ["similar_image_1"]
    st.cache_data.clear()
    st.cache_resource.clear()


def test_unreadable_uploaded_image_is_one_line(embedded_template, tmp_path, monkeypatch):
    import shutil

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    workspace = Path(shutil.copytree(embedded_template, tmp_path / "ws"))
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("ODDFINDER_WORKSPACE", str(workspace))
    at = _start(AppTest.from_file(str(APP_FILE), default_timeout=60))
    at.switch_page("app_pages/similar.py").run()
    at.file_uploader(key="similar_image_0").set_value(("broken.jpg", b"nope", "image/jpeg")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("cannot read image broken.jpg" in e and "\n" not in e for e in errors), errors
    st.cache_data.clear()
    st.cache_resource.clear()
