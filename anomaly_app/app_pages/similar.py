"""Similar: the nearest neighbours in feature space of a galaxy, or of an image of the user's
own, labellable in place and markable as examples ("Want more like this")."""

from __future__ import annotations

import resources
import state
import streamlit as st
import ui

from oddfinder.errors import OddfinderError
from oddfinder.map.query_image import find_similar_to_image, read_query_image
from oddfinder.map.sky import nearest_position

st.header("Similar")
path = st.session_state["workspace"]
ws = resources.workspace(path)
if resources.features(path) is None:
    st.error("This workspace has no features.npy yet: run `oddfinder embed` on it first.")
    st.stop()

# A galaxy handed over from another page becomes the query (replacing an uploaded image).
target = st.session_state["similar_target"]
if target:
    st.session_state["similar_id"] = target
    st.session_state["similar_target"] = None
    st.session_state["similar_image_n"] += 1


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
with st.expander("…or find galaxies like an image of your own"):
    st.file_uploader(
        "Your image (JPEG, PNG or FITS)",
        type=["jpg", "jpeg", "png", "fits", "fit", "fts"],
        key=state.similar_image_key(),
        help="Embedded with this workspace's encoder and searched like a catalogue galaxy.",
    )


def _image_results(upload) -> None:
    """The galaxies nearest to an uploaded image; labellable, and markable as examples."""
    metric = st.session_state["similar_metric"]
    try:
        with st.spinner("Embedding your image…"):
            table = find_similar_to_image(
                ws,
                upload.getvalue(),
                name=upload.name,
                k=int(st.session_state["similar_k"]),
                encoder=resources.image_encoder(path),
                feature_map=resources.feature_map(path),
                search=resources.similarity_index(path, metric),
            )
            shown = read_query_image(upload.getvalue(), name=upload.name, size=256)
    except OddfinderError as error:
        st.error(str(error))
        return
    ids = [str(g) for g in table["id"]]
    left, right = st.columns([1, 4])
    with left:
        st.subheader("Your image")
        st.image(shown, caption=upload.name, width="stretch")
    with right:
        st.subheader(f"{len(table)} nearest to your image")
        picked = [g for g in st.session_state["image_seed_pick"] if g in ids]
        st.session_state["image_seed_pick"] = picked
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        c1.multiselect(
            "Examples of what you want", ids, key="image_seed_pick", placeholder="pick galaxies"
        )
        c2.button(
            "Want more like this",
            key="image_seed",
            icon=":material/add_task:",
            disabled=not picked,
            on_click=state.want_more_like,
            args=(picked,),
            help="Record the picked galaxies as your label 5 (exactly what I want)",
        )
        ui.galaxy_grid(
            [int(r) for r in table["row"]],
            columns=4,
            notes=[f"distance {d:.3f}" for d in table["distance"]],
        )


upload = st.session_state.get(state.similar_image_key())
if upload is not None:
    st.caption("Remove your image to search by galaxy id or position again.")
    _image_results(upload)
    st.stop()

gid = st.session_state["similar_id"].strip()
if not gid:
    st.info(
        "Give a galaxy id, a position or an image of your own, or press **Similar** on any "
        "galaxy card to see the galaxies nearest to it in feature space."
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
    st.button(
        "Want more like this",
        key="similar_seed",
        icon=":material/add_task:",
        on_click=state.want_more_like,
        args=([gid],),
        help="Record this galaxy as your label 5 (exactly what I want): a seed example",
    )
with right:
    st.subheader(f"{len(neighbours)} nearest")
    ui.galaxy_grid(
        [int(r) for r in neighbours],
        columns=4,
        notes=[f"distance {d:.3f}" for d in distances],
    )
