"""``oddfinder app`` validates the workspace and builds the right ``streamlit run`` line."""

from __future__ import annotations

import sys

import pytest

from oddfinder.app_command import app_script, streamlit_command
from oddfinder.cli import main


def test_command_line_serves_the_app_on_the_workspace(workspace):
    command = streamlit_command(workspace, host="0.0.0.0", port=8600, theme="dark")
    assert command[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert command[4] == str(app_script())
    assert app_script().name == "streamlit_app.py" and app_script().is_file()
    pairs = dict(zip(command[5:-3:2], command[6:-3:2], strict=True))
    assert pairs["--server.address"] == "0.0.0.0"
    assert pairs["--server.port"] == "8600"
    assert pairs["--server.headless"] == "true"
    assert pairs["--browser.gatherUsageStats"] == "false"
    assert pairs["--theme.base"] == "dark"
    assert command[-3:] == ["--", "--workspace", str(workspace.resolve())]


def test_missing_workspace_is_a_one_line_error(tmp_path, capsys):
    assert main(["app", str(tmp_path / "nowhere"), "--headless"]) == 2
    err = capsys.readouterr().err
    assert "workspace.json" in err
    assert err.count("\n") == 1


def test_missing_app_folder_is_reported(monkeypatch, tmp_path):
    import oddfinder
    from oddfinder.errors import OddfinderError

    fake = tmp_path / "site" / "lib" / "oddfinder" / "__init__.py"
    monkeypatch.setattr(oddfinder, "__file__", str(fake))
    with pytest.raises(OddfinderError, match="anomaly_app"):
        app_script()


def test_map_page_shows_a_density_overview_for_large_surveys(tmp_path, monkeypatch):
    import importlib.util
    from pathlib import Path

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    here = Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location("factory", here / "workspace_factory.py")
    factory = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(factory)
    ws = factory.make_workspace(tmp_path / "big", n=60_000, d=8, thumbs=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("ODDFINDER_WORKSPACE", str(ws))
    at = AppTest.from_file(str(here.parents[1] / "anomaly_app" / "streamlit_app.py"))
    at.default_timeout = 120
    at.run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception
    assert any("density" in c.value for c in at.caption)
    at.selectbox(key="map_color").set_value("kind").run()
    assert not at.exception
    st.cache_data.clear()
    st.cache_resource.clear()
