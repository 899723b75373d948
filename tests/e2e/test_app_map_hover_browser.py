"""Hovering a point of the Map in a real browser shows that galaxy's thumbnail, id and
colour value in a floating card; leaving the point hides it; a lasso still selects."""

from __future__ import annotations

import pytest
from _browser import MAP_ISOLATED_POINT, MAP_POINT_XY, open_map

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_hover_shows_thumbnail(app_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    url, workspace = app_server
    page = browser_page
    open_map(page, url)

    index = page.evaluate(MAP_ISOLATED_POINT)
    x, y, row = page.evaluate(MAP_POINT_XY, index)
    page.mouse.move(x - 25, y - 25)
    page.mouse.move(x, y, steps=6)

    card = page.locator("#oddfinder-map-hover")
    image = card.locator("img.oddfinder-hover-thumb")
    expect(card).to_be_visible()
    expect(image).to_have_attribute("data-row", str(row))
    expect(image).to_have_attribute("src", "data:image/jpeg;base64," + _b64(workspace, row))
    expect(image).to_be_visible()
    expect(card.locator(".oddfinder-hover-id")).to_have_text(f"G{row:06d}")
    expect(card.locator(".oddfinder-hover-value")).to_contain_text("anomaly prior: 0.")
    assert page.evaluate("() => document.querySelector('#oddfinder-map-hover img').naturalWidth")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=tmp_path / "map_hover.png")

    # Leaving the point hides the card; a lasso round the point still selects it.
    page.mouse.move(10, 10, steps=4)
    expect(card).to_be_hidden()
    page.mouse.move(x - 12, y - 12)
    page.mouse.down()
    for dx, dy in [(12, -12), (12, 12), (-12, 12), (-12, -11)]:
        page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()
    expect(page.get_by_text("1 selected")).to_be_visible()
    expect(page.locator(f".st-key-card_G{row:06d}")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _b64(workspace, row: int) -> str:
    import base64

    return base64.b64encode(
        (workspace / "thumbs" / f"{row // 1000:05d}" / f"{row}.jpg").read_bytes()
    ).decode("ascii")
