"""A researcher's journey through the app in a real browser: name, label a batch by keyboard,
next round, export the top 100, open the map and the similar page."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _no_exception(page):
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stException")).to_have_count(0)


def _idle(page):
    """Wait until the app's script run has finished (new widgets and shortcuts are live)."""
    from playwright.sync_api import expect

    expect(page.locator("[data-test-script-state='notRunning']")).to_be_attached()
    page.wait_for_timeout(150)


def _metric(page, label):
    box = page.get_by_test_id("stMetric").filter(has_text=label)
    return box.get_by_test_id("stMetricValue")


def _labels(workspace):
    with sqlite3.connect(workspace / "labels.sqlite") as conn:
        return conn.execute(
            "SELECT galaxy_id, score FROM labels WHERE researcher = 'Ada' ORDER BY id"
        ).fetchall()


def test_label_rank_export_map_similar(app_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    url, workspace = app_server
    page = browser_page
    shots = tmp_path / "screenshots"
    shots.mkdir()

    page.goto(url)
    name = page.get_by_label("Researcher", exact=True)
    expect(name).to_be_visible()
    page.screenshot(path=shots / "0_start.png", full_page=True)
    name.fill("Ada")
    name.press("Enter")
    expect(_metric(page, "This batch")).to_have_text("0 / 10")
    expect(page.locator("[class*='st-key-card_'] img").first).to_be_visible()
    _no_exception(page)
    page.screenshot(path=shots / "1_label.png", full_page=True)

    # Label the whole batch from the keyboard: each key scores the outlined galaxy and moves on.
    page.get_by_role("heading", name="Label").click()  # leave the text box
    keys = ["5", "0", "1", "4", "2", "0", "3", "1", "0", "5"]
    cards = page.locator("[class*='st-key-card_']")
    for i, key in enumerate(keys):
        # Wait until the focused card's buttons carry the shortcuts, then press.
        expect(cards.nth(i).locator("kbd[aria-label='Shortcut 5']").first).to_be_attached()
        _idle(page)
        page.keyboard.press(key)
        expect(_metric(page, "This batch")).to_have_text(f"{i + 1} / 10")
    expect(_metric(page, "Labels given")).to_have_text("10")
    assert [score for _, score in _labels(workspace)] == [int(k) for k in keys]
    page.screenshot(path=shots / "2_labelled.png", full_page=True)

    # Arrow keys move the focus; then the next round by its button.
    page.get_by_role("button", name="Next round").click()
    expect(_metric(page, "Round")).to_have_text("1")
    expect(_metric(page, "This batch")).to_have_text("0 / 10")
    expect(cards.nth(0).locator("kbd[aria-label='Shortcut 4']").first).to_be_attached()
    _idle(page)
    page.keyboard.press("ArrowRight")
    expect(cards.nth(1).locator("kbd[aria-label='Shortcut 4']").first).to_be_attached()
    _idle(page)
    page.keyboard.press("4")
    expect(_metric(page, "Labels given")).to_have_text("11")
    second_batch = [c.get_attribute("class") for c in page.locator("[class*='st-key-card_']").all()]
    labelled_id = _labels(workspace)[-1][0]
    assert f"st-key-card_{labelled_id}" in second_batch[1]
    _no_exception(page)

    # Ranking & export: the top 100 saved into the workspace's exports folder.
    page.get_by_role("link", name="Ranking & export").click()
    expect(page.get_by_role("heading", name="Ranking & export")).to_be_visible()
    expect(page.get_by_test_id("stImage").first).to_be_visible()
    _idle(page)
    page.wait_for_timeout(1000)
    page.screenshot(path=shots / "3_ranking.png", full_page=True)
    export_name = page.get_by_label("File name in the workspace's exports/ folder", exact=True)
    export_name.fill("top100")
    export_name.press("Enter")
    page.get_by_role("button", name="Save to workspace").click()
    expect(page.get_by_text("In exports/: top100.csv")).to_be_visible()
    table = pd.read_csv(workspace / "exports" / "top100.csv")
    assert len(table) == 100
    exported = dict(zip(table["id"], table["label"], strict=True))
    liked = {gid: score for gid, score in _labels(workspace) if score >= 3}
    assert len(liked) == 5
    assert all(exported.get(gid) == score for gid, score in liked.items())
    _no_exception(page)

    # Map: the WebGL scatter renders; colour by labels.
    page.get_by_role("link", name="Map").click()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    page.wait_for_timeout(1500)
    _no_exception(page)
    # Lasso the corner of the map where the rings' cluster lies (map x, y > 2.5).
    corner = page.evaluate(
        """() => {
            const gd = document.querySelector('.js-plotly-plot');
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const box = gd.getBoundingClientRect();
            const px = (v) => box.left + xa._offset + xa.l2p(v);
            const py = (v) => box.top + ya._offset + ya.l2p(v);
            return [px(2.5), py(2.5), px(xa.range[1]) - 2, py(ya.range[1]) + 2];
        }"""
    )
    x0, y0, x1, y1 = corner
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in [(x1, y0), (x1, y1), (x0, y1), (x0, y0 + 1)]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()
    expect(page.get_by_role("heading", name="selected")).to_be_visible()
    _idle(page)
    picked = page.locator("[class*='st-key-card_']")
    expect(picked.first).to_be_visible()
    ids = [c.get_attribute("class").split("st-key-card_G")[1][:6] for c in picked.all()]
    assert ids and all(int(i) % 20 == 7 for i in ids)  # all rings
    page.wait_for_timeout(1000)
    _no_exception(page)
    page.screenshot(path=shots / "4_map.png", full_page=True)

    # Similar: neighbours of a labelled galaxy, labellable in place.
    page.get_by_role("link", name="Similar").click()
    similar = page.get_by_label("Galaxy id", exact=True)
    similar.fill(labelled_id)
    similar.press("Enter")
    expect(page.get_by_text("12 nearest")).to_be_visible()
    expect(page.locator("[class*='st-key-card_']")).to_have_count(13)
    _no_exception(page)
    page.screenshot(path=shots / "5_similar.png", full_page=True)

    # Details of one galaxy, with its sky links.
    page.locator("[class*='st-key-details_']").first.get_by_role("button").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("link", name="SIMBAD")).to_be_visible()
    page.screenshot(path=shots / "6_details.png", full_page=True)
    _no_exception(page)
