"""Zooming the Map of a 60,000-galaxy survey in a real browser: the density overview resolves
to every galaxy in the zoomed box as points; a box selection on the zoomed chart selects
galaxies of the box; autoscale (what a double-click does too) returns to the overview."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

_CHART = """() => {
    const gd = document.querySelector('.st-key-map_chart .js-plotly-plot');
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const rows = [];
    let heatmap = false;
    for (const t of gd._fullData) {
        if (t.type === 'heatmap') heatmap = true;
        if (t.type === 'scattergl') rows.push(...Array.from(t.customdata, Number));
    }
    const r = gd.getBoundingClientRect();
    return {rows, heatmap, x: xa.range.slice(), y: ya.range.slice(),
            plot: [r.left + xa._offset, r.top + ya._offset, xa._length, ya._length]};
}"""


def _chart(page) -> dict:
    return page.evaluate(_CHART)


@pytest.mark.parametrize("app_server", [{"n": 60_000, "d": 8, "thumbs": False}], indirect=True)
def test_zoom_resolves_density_to_points(app_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    url, workspace = app_server
    table = pd.read_parquet(workspace / "map.parquet")
    x, y = table["x"].to_numpy(), table["y"].to_numpy()
    page = browser_page
    page.goto(f"{url}/map")
    expect(page.locator(".st-key-map_chart .js-plotly-plot")).to_be_visible()
    expect(page.get_by_text("Zoom in to see every galaxy")).to_be_visible()
    page.wait_for_timeout(1500)
    overview = _chart(page)
    assert len(overview["rows"]) == 20_000 and overview["heatmap"]
    page.screenshot(path=tmp_path / "map_overview.png")

    # Zoom with a drag box in zoom mode round a small patch in the middle of the map.
    page.locator(".st-key-map_chart .modebar-btn[data-title='Zoom']").click()
    left, top, width, height = overview["plot"]
    cx, cy = left + 0.5 * width, top + 0.5 * height
    page.mouse.move(cx - 0.06 * width, cy - 0.06 * height)
    page.mouse.down()
    page.mouse.move(cx + 0.06 * width, cy + 0.06 * height, steps=8)
    page.mouse.up()
    expect(page.get_by_text("Zoomed: all")).to_be_visible()
    page.wait_for_timeout(1000)
    zoomed = _chart(page)
    (x0, x1), (y0, y1) = sorted(zoomed["x"]), sorted(zoomed["y"])
    inside = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    assert 0 < len(inside) <= 20_000
    assert not zoomed["heatmap"]
    assert sorted(zoomed["rows"]) == inside.tolist()
    assert x1 - x0 < 0.5 * (overview["x"][1] - overview["x"][0])  # the chart stayed zoomed
    expect(page.get_by_text(f"all {len(inside):,} galaxies in this view")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=tmp_path / "map_zoomed.png")

    # Autoscale (what a double-click does too): back to the overview.
    expect(page.locator("[data-test-script-state='notRunning']")).to_be_attached()
    page.wait_for_timeout(1000)
    page.locator(".st-key-map_chart .modebar-btn[data-title='Autoscale']").click()
    expect(page.get_by_text("Zoom in to see every galaxy")).to_be_visible()
    page.wait_for_timeout(1000)
    again = _chart(page)
    assert len(again["rows"]) == 20_000 and again["heatmap"]
    page.screenshot(path=tmp_path / "map_overview_again.png")
    expect(page.get_by_test_id("stException")).to_have_count(0)
