"""Similar: a galaxy's nearest neighbours in feature space, labellable in place."""

from __future__ import annotations

import resources
import streamlit as st
import ui

from oddfinder.map.sky import nearest_position

st.header("Similar")
path = st.session_state["workspace"]
ws = resources.workspace(path)
if resources.features(path) is None:
    st.error("This workspace has no features.npy yet: run `oddfinder embed` on it first.")
    st.stop()

# A galaxy handed over from another page becomes the query.
target = st.session_state["similar_target"]
if target:
    st.session_state["similar_id"] = target
    st.session_state["similar_target"] = None


def _find_by_position() -> None:
    cat = resources.catalog(path)
    if "ra" not in cat.columns or "dec" not in cat.columns:
        st.session_state["flash"] = ("error", "This catalogue has no ra/dec columns.")
        return
    try:
        row, sep = nearest_position(
            cat["ra"].to_numpy(dtype=float, na_value=float("nan")),
            cat["dec"].to_numpy(dtype=float, na_value=float("nan")),
            st.session_state["similar_ra"],
            st.session_state["similar_dec"],
        )
    except ValueError as error:
        st.session_state["flash"] = ("error", str(error))
        return
    st.session_state["similar_id"] = str(ws.ids[row])
    st.session_state["flash"] = ("info", f"Nearest catalogue entry: {ws.ids[row]} at {sep:.1f}″")


c1, c2, c3 = st.columns([2, 1, 1])
c1.text_input("Galaxy id", key="similar_id", placeholder="e.g. an id from the Label page")
c2.selectbox("Distance", ["cosine", "euclidean"], key="similar_metric")
c3.slider("Neighbours", min_value=1, max_value=50, key="similar_k")
with st.expander("…or find the catalogue entry nearest a position"):
    p1, p2, p3 = st.columns([1, 1, 1], vertical_alignment="bottom")
    p1.number_input("RA (deg)", min_value=0.0, max_value=360.0, format="%.6f", key="similar_ra")
    p2.number_input("Dec (deg)", min_value=-90.0, max_value=90.0, format="%.6f", key="similar_dec")
    p3.button("Find nearest", key="similar_find", on_click=_find_by_position)

gid = st.session_state["similar_id"].strip()
if not gid:
    st.info(
        "Give a galaxy id, a position, or press **Similar** on any galaxy card to see the "
        "galaxies nearest to it in feature space."
    )
    st.stop()
row = ws.row_of.get(gid)
if row is None:
    st.error(f"No galaxy with id {gid!r} in this workspace.")
    st.stop()

index = resources.similarity_index(path, st.session_state["similar_metric"])
neighbours, distances = index.query(row, int(st.session_state["similar_k"]))

left, right = st.columns([1, 4])
with left:
    st.subheader("Query")
    ui.galaxy_grid([row], columns=1, similar_button=False)
with right:
    st.subheader(f"{len(neighbours)} nearest")
    ui.galaxy_grid(
        [int(r) for r in neighbours],
        columns=4,
        notes=[f"distance {d:.3f}" for d in distances],
    )
