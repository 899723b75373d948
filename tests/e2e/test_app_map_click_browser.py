"""A single click on a point of the Map selects that galaxy (no lasso needed), so a
researcher can pick one example and press "Want more like this"."""

from __future__ import annotations

import pytest
from _browser import MAP_ISOLATED_POINT, MAP_POINT_XY, open_map

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_click_selects_one_galaxy(app_server, browser_page):
    from playwright.sync_api import expect

    url, _ = app_server
    page = browser_page
    open_map(page, url)

    x, y, row = page.evaluate(MAP_POINT_XY, page.evaluate(MAP_ISOLATED_POINT))
    page.mouse.move(x - 25, y - 25)
    page.mouse.move(x, y, steps=6)
    page.mouse.click(x, y)
    expect(page.get_by_text("1 selected")).to_be_visible()
    expect(page.locator(f".st-key-card_G{row:06d}")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)

    # A click off every point clears the pick.
    corner = page.evaluate(
        """() => {
            const gd = document.querySelector('.st-key-map_chart .js-plotly-plot');
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const box = gd.getBoundingClientRect();
            return [box.left + xa._offset + 3, box.top + ya._offset + 3];
        }"""
    )
    page.mouse.move(*corner, steps=4)
    page.mouse.click(*corner)
    expect(page.get_by_text("Click a galaxy, or draw a box or lasso")).to_be_visible()
    expect(page.get_by_text("1 selected")).to_have_count(0)
