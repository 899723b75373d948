"""Hover thumbnails on the Map page: the hover component gets the hovered galaxy's card
(thumbnail as a data URL, id, colour value) from Python."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

APP_DIR = Path(__file__).resolve().parents[2] / "anomaly_app"


def _hover_card():
    sys.path.insert(0, str(APP_DIR))
    try:
        from map_component import hover_card
    finally:
        sys.path.remove(str(APP_DIR))
    return hover_card


def _sent(at) -> dict:
    """The data the Map page sent to its hover component."""
    (component,) = [e for e in at.get("bidi_component") if e.key == "map_hover"]
    assert component.proto.WhichOneof("data") == "json"
    return json.loads(component.proto.json)


def _image_bytes(card) -> bytes:
    prefix = "data:image/jpeg;base64,"
    assert card["image"].startswith(prefix)
    return base64.b64decode(card["image"][len(prefix) :])


def test_hover_card_carries_thumbnail_id_and_value(tmp_path):
    hover_card = _hover_card()
    thumb = tmp_path / "7.jpg"
    thumb.write_bytes(b"\xff\xd8 not really a jpeg \xff\xd9")
    card = hover_card(7, gid="G7", thumb=thumb, label="anomaly prior", value=np.float64(0.51234))
    assert card["row"] == 7 and card["id"] == "G7" and card["label"] == "anomaly prior"
    assert card["value"] == "0.512"
    assert _image_bytes(card) == thumb.read_bytes()
    json.dumps(card)  # what the component receives must be JSON


def test_hover_card_without_thumbnail_or_value(tmp_path):
    card = _hover_card()(3, gid="G3", thumb=tmp_path / "missing.jpg", label="x", value=np.nan)
    assert card["image"] is None
    assert card["value"] == ""


def test_map_page_mounts_hover_component_without_card(app):
    app.run()
    app.switch_page("app_pages/map.py").run()
    assert not app.exception
    sent = _sent(app)
    assert sent["card"] is None
    assert "map_chart" in sent["selector"]


def test_hovering_a_point_sends_its_card(app, workspace):
    app.run()
    app.switch_page("app_pages/map.py").run()
    row = 27
    app.session_state["map_hover"] = {"hover": row}
    app.run()
    assert not app.exception
    card = _sent(app)["card"]
    assert card["row"] == row and card["id"] == "G000027"
    thumb = workspace / "thumbs" / "00000" / f"{row}.jpg"
    assert _image_bytes(card) == thumb.read_bytes()
    prior = pd.read_parquet(workspace / "prior.parquet").set_index("id")["prior"]
    assert card["label"] == "anomaly prior"
    assert abs(float(card["value"]) - prior["G000027"]) < 1e-3
    # Coloured by a categorical column, the card shows the category.
    app.selectbox(key="map_color").set_value("kind").run()
    assert not app.exception
    card = _sent(app)["card"]
    catalog = pd.read_parquet(workspace / "catalog.parquet")
    assert card["label"] == "kind" and card["value"] == catalog["kind"].iloc[row]


def test_hovering_an_unknown_row_sends_no_card(app):
    app.run()
    app.switch_page("app_pages/map.py").run()
    app.session_state["map_hover"] = {"hover": 10_000}
    app.run()
    assert not app.exception
    assert _sent(app)["card"] is None


def test_a_clicked_point_is_shown_as_the_selection(app):
    """The browser reports a single click as ``picked`` (what st.plotly_chart misses on a
    WebGL scatter in lasso mode); the page shows that galaxy, ready for "Want more like this"."""
    app.run()
    app.switch_page("app_pages/map.py").run()
    assert any("Click a galaxy" in c.value for c in app.caption)
    app.session_state["map_hover"] = {"picked": 27}
    app.run()
    assert not app.exception
    assert [h.value for h in app.subheader] == ["1 selected"]
    assert app.button(key="map_seed").proto.help.startswith("Record the galaxy shown below")
    # A row from another workspace, or a click off every point, selects nothing.
    for picked in (10_000, None):
        app.session_state["map_hover"] = {"picked": picked}
        app.run()
        assert not app.exception
        assert not app.subheader
        assert any("Click a galaxy" in c.value for c in app.caption)


def test_picked_row_reads_only_valid_rows():
    sys.path.insert(0, str(APP_DIR))
    try:
        from map_component import picked_row
    finally:
        sys.path.remove(str(APP_DIR))
    assert picked_row({"picked": 3}, n=5) == 3
    assert picked_row({"picked": 3.0}, n=5) == 3
    for state in (
        {"picked": 5},
        {"picked": -1},
        {"picked": 2.5},
        {"picked": True},
        {"picked": "3"},
        {"picked": float("nan")},
        {},
        None,
    ):
        assert picked_row(state, n=5) is None
