"""Shared by the browser tests: Debian's Chromium, its offline flags, and a real app server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "free_port", "start_app", "stop_app"]

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


# Page coordinates and row of point i of the Map's scatter trace.
MAP_POINT_XY = """(i) => {
    const gd = document.querySelector('.st-key-map_chart .js-plotly-plot');
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const box = gd.getBoundingClientRect();
    const trace = gd._fullData.find((t) => t.type === 'scattergl');
    return [
        box.left + xa._offset + xa.l2p(trace.x[i]),
        box.top + ya._offset + ya.l2p(trace.y[i]),
        Number(trace.customdata[i]),
    ];
}"""


# The index of the Map point farthest from all others (nothing else nearer the cursor).
MAP_ISOLATED_POINT = """() => {
    const gd = document.querySelector('.st-key-map_chart .js-plotly-plot');
    const t = gd._fullData.find((t) => t.type === 'scattergl');
    let best = 0, bestGap = -1;
    for (let i = 0; i < t.x.length; i++) {
        let gap = Infinity;
        for (let j = 0; j < t.x.length; j++) {
            if (j !== i) gap = Math.min(gap, Math.hypot(t.x[i] - t.x[j], t.y[i] - t.y[j]));
        }
        if (gap > bestGap) { bestGap = gap; best = i; }
    }
    return best;
}"""


def open_map(page, url: str) -> None:
    """Open the app's Map page in ``page`` and wait until its chart is drawn and idle."""
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    page.goto(f"{url}/map")
    expect(page.locator(".st-key-map_chart .js-plotly-plot")).to_be_visible()
    expect(page.locator("[data-test-script-state='notRunning']")).to_be_attached()
    page.wait_for_timeout(1500)  # plotly attaches its hover and drag handlers


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(workspace: Path, port: int, log: Path, *, timeout: float = 90.0):
    """Start ``oddfinder app WORKSPACE`` in its own process group; return once it is healthy.

    Output is appended to ``log``; a server that exits or stays unhealthy fails the test.
    """
    command = [sys.executable, "-m", "oddfinder.cli", "app", str(workspace), "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--headless"],
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: oddfinder app and streamlit
        env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            pytest.fail(f"oddfinder app exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return server
        except OSError:
            if time.monotonic() > deadline:
                stop_app(server, kill=True)
                pytest.fail(f"oddfinder app did not become healthy within {timeout:.0f} s")
            time.sleep(0.5)


def stop_app(server: subprocess.Popen, *, kill: bool = False) -> None:
    """Stop the server's process group: SIGKILL at once (``kill``), else SIGTERM then SIGKILL."""
    if server.poll() is not None:
        return
    if kill:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
