"""Scores written by `oddfinder finetune` (WS/scores.parquet) show up as map colours."""

from __future__ import annotations

import numpy as np
import pandas as pd


def test_finetune_scores_colour_the_map(app, workspace):
    ids = pd.read_parquet(workspace / "catalog.parquet")["id"].astype(str)
    values = np.linspace(0.0, 1.0, len(ids), dtype=np.float32)
    pd.DataFrame({"id": ids, "finetune_ring": values}).to_parquet(workspace / "scores.parquet")
    app.run()
    assert not app.exception
    app.text_input(key="researcher_input").set_value("ada").run()
    app.switch_page("app_pages/map.py").run()
    assert not app.exception
    assert "finetune_ring" in app.selectbox(key="map_color").options
    app.selectbox(key="map_color").set_value("finetune_ring").run()
    assert not app.exception
    assert app.get("plotly_chart")
