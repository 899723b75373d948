"""Fixtures for the real-browser journeys: a workspace and a running ``oddfinder app``."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_FACTORY = Path(__file__).resolve().parents[1] / "app" / "workspace_factory.py"


def _make_workspace(path: Path, **kwargs) -> Path:
    spec = importlib.util.spec_from_file_location("workspace_factory", _FACTORY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_workspace(path, **{"n": 300, "thumb_size": 128, **kwargs})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def app_server(tmp_path, request):
    """Start ``oddfinder app`` on a fresh workspace; yields ``(url, workspace)``.

    Parametrize it indirectly with a dict to pass other ``make_workspace`` arguments.
    """
    if not CHROMIUM.is_file():
        pytest.skip("needs /usr/bin/chromium (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    workspace = _make_workspace(tmp_path / "ws", **getattr(request, "param", {}))
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oddfinder.cli",
            "app",
            str(workspace),
            "--port",
            str(port),
            "--headless",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"oddfinder app exited: {(tmp_path / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("oddfinder app did not become healthy within 90 s")
            time.sleep(0.5)
        yield url, workspace
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()


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
