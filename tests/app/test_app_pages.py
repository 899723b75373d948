"""Page wiring of the Streamlit app (AppTest): labels reach the store, rounds advance,
exports are written, the map and the similar page render."""

from __future__ import annotations

import pandas as pd
import pytest
from _app_helpers import batch_ids as _batch
from _app_helpers import metric_value as _metric
from _app_helpers import start as _start

from oddfinder.labels.store import LabelStore

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_no_researcher_asks_for_a_name(app):
    app.run()
    assert not app.exception
    assert any("Researcher" in i.value for i in app.info)


def test_invalid_researcher_name_is_refused(app, workspace):
    app.run()
    app.text_input(key="researcher_input").set_value("a/b").run()
    assert not app.exception
    assert any("invalid researcher name" in e.value for e in app.error)
    assert LabelStore(workspace / "labels.sqlite").researchers() == []


def test_labelling_writes_to_the_store_at_once(app, workspace):
    _start(app)
    batch = _batch(app)
    assert len(batch) == 10
    app.button(key=f"score_{batch[0]}_4").click().run()
    assert not app.exception
    store = LabelStore(workspace / "labels.sqlite")
    assert store.labels("ada") == {batch[0]: 4}
    assert _metric(app, "Labels given") == "1"
    assert _metric(app, "This batch") == "1 / 10"
    # The chosen score is highlighted, and the focus moved on to the next galaxy.
    assert app.button(key=f"score_{batch[0]}_4").proto.type == "primary"
    assert app.session_state["focus"] == 1


def test_undo_removes_the_last_label(app, workspace):
    _start(app)
    batch = _batch(app)
    app.button(key=f"score_{batch[0]}_2").click().run()
    app.button(key=f"score_{batch[1]}_5").click().run()
    app.button(key="undo").click().run()
    assert not app.exception
    assert LabelStore(workspace / "labels.sqlite").labels("ada") == {batch[0]: 2}


def test_next_round_refits_and_changes_the_batch(app, workspace):
    _start(app)
    first = _batch(app)
    for i, gid in enumerate(first):
        app.button(key=f"score_{gid}_{5 if i % 3 == 0 else 0}").click().run()
    app.button(key="next_round").click().run()
    assert not app.exception
    second = _batch(app)
    assert len(second) == 10
    assert not set(first) & set(second)
    assert _metric(app, "Round") == "1"
    store = LabelStore(workspace / "labels.sqlite")
    assert len(store.labels("ada")) == 10
    assert store.current_batch("ada") == (1, second)


def test_restart_resumes_labels_round_and_batch(app, workspace, monkeypatch):
    _start(app)
    first = _batch(app)
    for gid in first:
        app.button(key=f"score_{gid}_1").click().run()
    app.button(key="next_round").click().run()
    second = _batch(app)
    app.button(key=f"score_{second[0]}_3").click().run()

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    fresh = _start(AppTest.from_file(app._script_path, default_timeout=60))
    assert _batch(fresh) == second
    assert _metric(fresh, "Round") == "1"
    assert _metric(fresh, "Labels given") == "11"


def test_two_researchers_keep_separate_labels(app, workspace):
    _start(app, "ada")
    gid = _batch(app)[0]
    app.button(key=f"score_{gid}_5").click().run()
    app.text_input(key="researcher_input").set_value("bob").run()
    assert _metric(app, "Labels given") == "0"
    app.button(key=f"score_{_batch(app)[0]}_1").click().run()
    store = LabelStore(workspace / "labels.sqlite")
    assert store.labels("ada") == {gid: 5}
    assert len(store.labels("bob")) == 1
    assert store.researchers() == ["ada", "bob"]


def test_details_dialog_opens(app):
    _start(app)
    gid = _batch(app)[0]
    app.button(key=f"details_{gid}").click().run()
    assert not app.exception
    assert any(gid in s.value for s in app.subheader)


def test_export_writes_a_100_row_file(app, workspace):
    _start(app)
    for gid in _batch(app)[:3]:
        app.button(key=f"score_{gid}_5").click().run()
    app.switch_page("app_pages/ranking.py").run()
    assert not app.exception
    assert len(app.dataframe[0].value) == 100
    assert {b.key for b in app.get("download_button")} >= {
        "download_csv",
        "download_parquet",
        "download_fits",
    }
    app.text_input(key="export_name").set_value("top100").run()
    app.button(key="save_export").click().run()
    assert not app.exception
    table = pd.read_csv(workspace / "exports" / "top100.csv")
    assert len(table) == 100
    assert list(table.columns[:9]) == [
        "rank",
        "id",
        "ra",
        "dec",
        "label",
        "label_source",
        "interest_mean",
        "interest_std",
        "prior",
    ]
    assert {"kind", "mag_r"} <= set(table.columns)
    assert table["label"].notna().sum() == 3  # labelled ones are included with their label
    assert (table["label_source"].dropna() == "label").sum() == 3
    assert table["rank"].tolist() == list(range(1, 101))

    app.selectbox(key="export_format").set_value("fits").run()
    app.text_input(key="export_name").set_value("top100").run()
    app.button(key="save_export").click().run()
    from astropy.table import Table

    assert len(Table.read(workspace / "exports" / "top100.fits")) == 100


def test_export_refuses_names_outside_exports(app, workspace):
    _start(app)
    app.switch_page("app_pages/ranking.py").run()
    app.text_input(key="export_name").set_value("../escape").run()
    app.button(key="save_export").click().run()
    assert not app.exception
    assert any("invalid export name" in e.value for e in app.error)
    assert not (workspace / "escape.csv").exists()


def test_ranking_filters(app):
    _start(app)
    batch = _batch(app)
    app.button(key=f"score_{batch[0]}_5").click().run()
    app.button(key=f"score_{batch[1]}_1").click().run()
    app.switch_page("app_pages/ranking.py").run()
    app.selectbox(key="rank_filter").set_value("Labelled").run()
    assert len(app.dataframe[0].value) == 2
    app.slider(key="score_range").set_value((4, 5)).run()
    shown = app.dataframe[0].value
    assert shown["id"].tolist() == [batch[0]]
    app.selectbox(key="rank_filter").set_value("Unlabelled").run()
    assert app.dataframe[0].value["label"].isna().all()


def test_map_colour_options_render(app):
    _start(app)
    app.button(key=f"score_{_batch(app)[0]}_5").click().run()
    app.switch_page("app_pages/map.py").run()
    assert not app.exception
    options = app.selectbox(key="map_color").options
    assert {"anomaly prior", "predicted interest", "your labels", "kind", "mag_r"} <= set(options)
    for option in options:
        app.selectbox(key="map_color").set_value(option).run()
        assert not app.exception, option
        assert app.get("plotly_chart"), option


def test_map_without_map_file_explains(app, workspace):
    (workspace / "map.parquet").unlink()
    app.run()
    app.switch_page("app_pages/map.py").run()
    assert not app.exception
    assert any("oddfinder map" in i.value for i in app.info)


def test_similar_shows_k_neighbours(app):
    _start(app)
    app.switch_page("app_pages/similar.py").run()
    app.text_input(key="similar_id").set_value("G000007").run()
    app.slider(key="similar_k").set_value(5).run()
    assert not app.exception
    shown = [b.key for b in app.button if b.key and b.key.startswith("tosimilar_")]
    assert len(shown) == 5
    # Rings (every 20th from 7) sit together in feature space.
    assert all(int(k.split("_G")[1]) % 20 == 7 for k in shown)
    # Neighbours can be labelled in place.
    app.button(key=f"score_{shown[0].split('_', 1)[1]}_5").click().run()
    assert not app.exception


def test_similar_button_hands_over_from_the_label_page(app):
    _start(app)
    gid = _batch(app)[0]
    app.button(key=f"tosimilar_{gid}").click().run()
    assert not app.exception
    assert app.text_input(key="similar_id").value == gid
    assert len([b for b in app.button if b.key and b.key.startswith("tosimilar_")]) == 12


def test_similar_by_position(app, workspace):
    catalog = pd.read_parquet(workspace / "catalog.parquet")
    _start(app)
    app.switch_page("app_pages/similar.py").run()
    app.number_input(key="similar_ra").set_value(float(catalog["ra"][42]) + 1e-5).run()
    app.number_input(key="similar_dec").set_value(float(catalog["dec"][42])).run()
    app.button(key="similar_find").click().run()
    assert not app.exception
    assert app.text_input(key="similar_id").value == "G000042"


def test_unknown_similar_id_is_reported(app):
    _start(app)
    app.switch_page("app_pages/similar.py").run()
    app.text_input(key="similar_id").set_value("nope").run()
    assert not app.exception
    assert any("nope" in e.value for e in app.error)


def test_missing_workspace_is_reported(app, monkeypatch, tmp_path):
    monkeypatch.setenv("ODDFINDER_WORKSPACE", str(tmp_path / "nowhere"))
    app.run()
    assert not app.exception
    assert any("workspace" in e.value for e in app.error)
