"""Zooming the Map of a large survey: the page redraws the chart for the view box, with every
galaxy inside it as points; resetting the zoom returns to the density overview."""

from __future__ import annotations

import base64
import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

HERE = Path(__file__).resolve().parent


def _figure(at) -> dict:
    (chart,) = at.get("plotly_chart")
    return json.loads(chart.proto.spec)


def _array(value) -> np.ndarray:
    """A plotly array: a list, or ``{"dtype", "bdata"}`` (base64 of the raw values)."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.asarray(value)


def _rows(figure) -> list[int]:
    rows = []
    for trace in figure["data"]:
        if trace["type"] == "scattergl":
            rows += _array(trace["customdata"]).astype(int).tolist()
    return sorted(rows)


@pytest.fixture
def big_app(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    spec = importlib.util.spec_from_file_location("factory", HERE / "workspace_factory.py")
    factory = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(factory)
    ws = factory.make_workspace(tmp_path / "big", n=60_000, d=8, thumbs=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("ODDFINDER_WORKSPACE", str(ws))
    at = AppTest.from_file(str(HERE.parents[1] / "anomaly_app" / "streamlit_app.py"))
    at.default_timeout = 120
    yield at, ws
    st.cache_data.clear()
    st.cache_resource.clear()


def test_zooming_shows_every_galaxy_in_the_box(big_app):
    at, ws = big_app
    at.run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception
    overview = _figure(at)
    assert len(_rows(overview)) == 20_000
    assert any(t["type"] == "heatmap" for t in overview["data"])

    table = pd.read_parquet(ws / "map.parquet")
    x, y = table["x"].to_numpy(), table["y"].to_numpy()
    # A box round the middle of the map with between 1,000 and 20,000 galaxies inside.
    cx, cy = np.median(x), np.median(y)
    half = 0.5 * np.std(x)
    box = ((cx - half, cx + half), (cy - half, cy + half))
    inside = np.flatnonzero(
        (x >= box[0][0]) & (x <= box[0][1]) & (y >= box[1][0]) & (y <= box[1][1])
    )
    assert 1000 < len(inside) <= 20_000, len(inside)

    at.session_state["map_hover"] = {"hover": None, "view": {"x": list(box[0]), "y": list(box[1])}}
    at.run()
    assert not at.exception
    zoomed = _figure(at)
    assert _rows(zoomed) == inside.tolist()  # all of them, and customdata names their rows
    assert not any(t["type"] == "heatmap" for t in zoomed["data"])
    assert zoomed["layout"]["xaxis"]["range"] == pytest.approx(list(box[0]))
    assert zoomed["layout"]["yaxis"]["range"] == pytest.approx(list(box[1]))
    assert any("all" in c.value and "in this view" in c.value for c in at.caption)
    # Coloured by a category the same galaxies are drawn, split by category.
    at.selectbox(key="map_color").set_value("kind").run()
    assert not at.exception
    assert _rows(_figure(at)) == inside.tolist()

    # Reset (double-click): back to the overview.
    at.session_state["map_hover"] = {"hover": None, "view": None}
    at.run()
    assert not at.exception
    assert len(_rows(_figure(at))) == 20_000
    assert "range" not in _figure(at)["layout"].get("xaxis", {})


def test_zooming_on_a_crowded_box_shows_its_density_and_a_sample(big_app):
    at, ws = big_app
    at.run()
    at.switch_page("app_pages/map.py").run()
    table = pd.read_parquet(ws / "map.parquet")
    x, y = table["x"].to_numpy(), table["y"].to_numpy()
    box = ((float(np.min(x)), float(np.max(x))), (float(np.min(y)), float(np.max(y))))
    at.session_state["map_hover"] = {"hover": None, "view": {"x": list(box[0]), "y": list(box[1])}}
    at.run()
    assert not at.exception
    figure = _figure(at)
    rows = _rows(figure)
    assert len(rows) == 20_000
    assert any(t["type"] == "heatmap" for t in figure["data"])
    assert any("60,000 in this view" in c.value for c in at.caption)
