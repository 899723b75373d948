"""Ranking & export: the top N by predicted interest, as images and a table; exports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import resources
import state
import streamlit as st

from oddfinder.errors import OddfinderError
from oddfinder.io.export import safe_export_path, write_export

st.header("Ranking & export")
path = st.session_state["workspace"]
loop = state.current_loop()
if loop is None:
    st.info("Enter your name under **Researcher** in the sidebar to see your ranking.")
    st.stop()

ws = resources.workspace(path)
c1, c2, c3 = st.columns([1, 1, 2])
c1.number_input("Top N", min_value=1, max_value=max(ws.n, 1), step=10, key="top_n")
c2.selectbox("Show", ["All", "Labelled", "Unlabelled"], key="rank_filter")
c3.slider("Label range (labelled galaxies)", min_value=0, max_value=5, step=1, key="score_range")

ranking = loop.ranking_table()
low, high = st.session_state["score_range"]
labelled = ranking["label"].notna()
in_range = ranking["label"].between(low, high).fillna(False).astype(bool)
keep = {
    "All": ~labelled | in_range,
    "Labelled": labelled & in_range,
    "Unlabelled": ~labelled,
}[st.session_state["rank_filter"]]
top = ranking[keep.to_numpy()].head(int(st.session_state["top_n"]))

# The export table: ranking columns, position, then every other catalogue column.
cat = resources.catalog(path)
if "row" in top.columns:
    rows = top["row"].to_numpy(dtype=np.int64)
else:
    rows = top["id"].astype(str).map(ws.row_of).to_numpy(dtype=np.int64)
extra = cat.iloc[rows].reset_index(drop=True)
table = top.reset_index(drop=True)
for column in ("ra", "dec"):
    table[column] = extra[column].to_numpy() if column in extra.columns else np.nan
ordered = ["rank", "id", "ra", "dec", "label", "label_source", "interest_mean", "interest_std"]
ordered.append("prior")
table = table[[c for c in ordered if c in table.columns]]
others = [c for c in extra.columns if c not in table.columns]
table = pd.concat([table, extra[others]], axis=1)

fitted = loop.interest()[0] is not None
st.caption(
    f"{len(table)} galaxies · "
    + (
        f"ranked by predicted interest after round {loop.round}"
        if fitted
        else "ranked by the anomaly prior until your first round is fitted"
    )
)

tab_images, tab_table = st.tabs(["Images", "Table"])
with tab_images:
    shown = table.head(60)
    images, captions = [], []
    for row, (_, item) in zip(rows[: len(shown)], shown.iterrows(), strict=True):
        thumb = ws.thumb_path(int(row))
        if thumb.is_file():
            images.append(str(thumb))
            label = "" if pd.isna(item["label"]) else f" · label {int(item['label'])}"
            if str(item.get("label_source")) == "example":
                label += " (example)"
            captions.append(f"#{item['rank']} {item['id']}{label}")
    if images:
        st.image(images, caption=captions, width=150)
        if len(table) > len(shown):
            st.caption(f"Images of the first {len(shown)}; the table has all {len(table)}.")
    else:
        st.caption("No thumbnails in this workspace.")
with tab_table:
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="ranking_table",
        column_config={
            "interest_mean": st.column_config.NumberColumn("interest", format="%.2f"),
            "interest_std": st.column_config.NumberColumn("± std", format="%.2f"),
            "prior": st.column_config.ProgressColumn("prior", min_value=0.0, max_value=1.0),
            "ra": st.column_config.NumberColumn(format="%.5f"),
            "dec": st.column_config.NumberColumn(format="%+.5f"),
        },
    )

st.subheader("Export")
researcher = st.session_state["researcher"].replace(" ", "_")
stem = f"{researcher}_top{len(table)}_round{loop.round}"
with st.container(horizontal=True, gap="small"):
    for fmt, mime in (
        ("csv", "text/csv"),
        ("parquet", "application/vnd.apache.parquet"),
        ("fits", "application/fits"),
    ):
        st.download_button(
            f"Download {fmt.upper()}",
            data=resources.export_data(table, fmt),
            file_name=f"{stem}.{fmt}",
            mime=mime,
            key=f"download_{fmt}",
            icon=":material/download:",
            on_click="ignore",
        )


def _save_export(table: pd.DataFrame, default_stem: str) -> None:
    name = (st.session_state["export_name"] or default_stem).strip()
    fmt = st.session_state["export_format"]
    if not name.lower().endswith(f".{fmt}"):
        name = f"{name}.{fmt}"
    try:
        target = write_export(table, safe_export_path(ws.exports_dir, name))
    except OddfinderError as error:
        state.flash("error", str(error))
        return
    state.flash("success", f"Saved {len(table)} rows to {target}")


c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
c1.text_input("File name in the workspace's exports/ folder", key="export_name", placeholder=stem)
c2.selectbox("Format", ["csv", "parquet", "fits"], key="export_format")
c3.button(
    "Save to workspace",
    key="save_export",
    icon=":material/save:",
    on_click=_save_export,
    args=(table, stem),
)
exports = sorted(ws.exports_dir.glob("*")) if ws.exports_dir.is_dir() else []
if exports:
    st.caption("In exports/: " + ", ".join(p.name for p in exports[-8:]))
