"""Fixtures for the Streamlit AppTest tests: a small workspace and clean Streamlit caches."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
APP_FILE = _HERE.parents[1] / "anomaly_app" / "streamlit_app.py"


def _factory():
    spec = importlib.util.spec_from_file_location(
        "workspace_factory", _HERE / "workspace_factory.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _restore_interpreter_state():
    """AppTest leaves the app as ``__main__``, its folder on ``sys.path`` and its modules
    imported; put everything back so later tests (multiprocessing spawn) are unaffected."""
    import sys

    main, path = sys.modules.get("__main__"), list(sys.path)
    before = set(sys.modules)
    yield
    if main is not None:
        sys.modules["__main__"] = main
    sys.path[:] = path
    app_dir = str(APP_FILE.parent)
    for name in set(sys.modules) - before:
        if str(getattr(sys.modules[name], "__file__", "") or "").startswith(app_dir):
            del sys.modules[name]


@pytest.fixture(scope="session")
def workspace_template(tmp_path_factory):
    return _factory().make_workspace(tmp_path_factory.mktemp("template") / "ws", n=200)


@pytest.fixture
def workspace(workspace_template, tmp_path):
    """A fresh copy of the template workspace (labels and exports start empty)."""
    import shutil

    return Path(shutil.copytree(workspace_template, tmp_path / "ws"))


@pytest.fixture
def app(workspace, monkeypatch):
    """An AppTest of the app on ``workspace``, with Streamlit's caches cleared."""
    pytest.importorskip("streamlit")
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("ODDFINDER_WORKSPACE", str(workspace))
    at = AppTest.from_file(str(APP_FILE), default_timeout=60)
    yield at
    st.cache_data.clear()
    st.cache_resource.clear()
