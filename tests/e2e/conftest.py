"""Fixtures for the real-browser journeys: a workspace and a running ``oddfinder app``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from _browser import CHROMIUM, CHROMIUM_ARGS, free_port, start_app, stop_app

_FACTORY = Path(__file__).resolve().parents[1] / "app" / "workspace_factory.py"


def _make_workspace(path: Path, **kwargs) -> Path:
    spec = importlib.util.spec_from_file_location("workspace_factory", _FACTORY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_workspace(path, **{"n": 300, "thumb_size": 128, **kwargs})


@pytest.fixture
def app_server(tmp_path, request):
    """Start ``oddfinder app`` on a fresh workspace; yields ``(url, workspace)``.

    Parametrize it indirectly with a dict to pass other ``make_workspace`` arguments.
    """
    if not CHROMIUM.is_file():
        pytest.skip("needs /usr/bin/chromium (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    workspace = _make_workspace(tmp_path / "ws", **getattr(request, "param", {}))
    port = free_port()
    server = start_app(workspace, port, tmp_path / "server.log")
    try:
        yield f"http://127.0.0.1:{port}", workspace
    finally:
        stop_app(server)


@pytest.fixture
def browser_page():
    """A Chromium page (Debian's /usr/bin/chromium, headless)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.is_file():
        pytest.skip("needs /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()
