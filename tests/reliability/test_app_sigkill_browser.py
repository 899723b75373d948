"""The real app, SIGKILLed in the middle of labelling in a real browser, then restarted: every
label given before the kill is there, and the researcher's batch resumes."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import pytest

from oddfinder.survey.synthetic_embeddings import synthetic_workspace

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

_BROWSER = Path(__file__).resolve().parents[1] / "e2e" / "_browser.py"
_spec = importlib.util.spec_from_file_location("_browser", _BROWSER)
_browser = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_browser)
CHROMIUM, ARGS = _browser.CHROMIUM, _browser.CHROMIUM_ARGS


def _start(workspace: Path, port: int, log: Path):
    return _browser.start_app(workspace, port, log)


def _kill(server) -> None:
    _browser.stop_app(server, kill=True)


def _labels(workspace: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(workspace / "labels.sqlite") as conn:
        return conn.execute(
            "SELECT galaxy_id, score FROM labels WHERE researcher = 'Ada' ORDER BY id"
        ).fetchall()


def _metric(page, label):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def _enter(page, url):
    from playwright.sync_api import expect

    page.goto(url)
    name = page.get_by_label("Researcher", exact=True)
    expect(name).to_be_visible()
    name.fill("Ada")
    name.press("Enter")
    page.get_by_role("heading", name="Label").click()  # leave the text box


def _idle(page):
    from playwright.sync_api import expect

    expect(page.locator("[data-test-script-state='notRunning']")).to_be_attached()
    page.wait_for_timeout(150)


def test_app_killed_mid_labelling_keeps_every_label(tmp_path):
    if not CHROMIUM.is_file():
        pytest.skip("needs /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    expect.set_options(timeout=30_000)
    ws = synthetic_workspace(tmp_path / "ws", 3000, dim=16, n_features=8)
    port, log = _browser.free_port(), tmp_path / "server.log"
    server = _start(ws.path, port, log)
    url = f"http://127.0.0.1:{port}"
    keys = ["5", "0", "3", "1", "4", "2"]
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.set_default_timeout(60_000)
            _enter(page, url)
            expect(_metric(page, "This batch")).to_have_text("0 / 10")
            cards = page.locator("[class*='st-key-card_']")
            for i, key in enumerate(keys[:-1]):
                expect(cards.nth(i).locator("kbd[aria-label='Shortcut 5']").first).to_be_attached()
                _idle(page)
                page.keyboard.press(key)
                expect(_metric(page, "This batch")).to_have_text(f"{i + 1} / 10")
            _idle(page)
            page.keyboard.press(keys[-1])  # and kill the server while it handles this one
            _kill(server)
            acknowledged = _labels(ws.path)
            assert [s for _, s in acknowledged[:5]] == [int(k) for k in keys[:5]]
            assert len(acknowledged) in (5, 6)

            server = _start(ws.path, port, log)
            _enter(page, url)
            expect(_metric(page, "Labels given")).to_have_text(str(len(acknowledged)))
            expect(_metric(page, "This batch")).to_have_text(f"{len(acknowledged)} / 10")
            expect(page.get_by_test_id("stException")).to_have_count(0)
            browser.close()
    finally:
        _kill(server)
    assert _labels(ws.path) == acknowledged
