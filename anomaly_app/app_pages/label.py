"""Label: the current batch as large thumbnails, 0-5 per galaxy, then the next round."""

from __future__ import annotations

import resources
import state
import streamlit as st
import ui

from oddfinder.labels.loop import INTERESTING_SCORE
from oddfinder.labels.seeds import SEED_SCORE

st.header("Label")
path = st.session_state["workspace"]
if resources.features(path) is None:
    st.error("This workspace has no features.npy yet: run `oddfinder embed` on it first.")
    st.stop()
loop = state.current_loop()
if loop is None:
    st.info(
        "Enter your name under **Researcher** in the sidebar to start. Each researcher has "
        "their own labels and ranking; labels are saved the moment you give them."
    )
    st.stop()

progress = loop.progress()
with st.expander("Start from examples", expanded=progress["labels"] == 0):
    st.caption(
        "Seed your ranking with one or a few galaxies you want more of: each is saved as your "
        f"label {SEED_SCORE} ({ui.SCORE_MEANING[SEED_SCORE]}) and the next round is ranked "
        "from them."
    )
    st.text_input(
        "Galaxy ids",
        key="seed_ids",
        placeholder="e.g. " + ", ".join(str(g) for g in loop.ids[:2]),
        help="Comma-separated catalogue ids.",
    )
    st.file_uploader(
        "…or a file of ids (one per line, or a CSV with an id column)",
        type=["txt", "csv"],
        key=state.seed_file_key(),
    )
    st.button(
        "Record examples and start the next round",
        key="seed_add",
        icon=":material/add_task:",
        on_click=state.start_from_examples,
    )

c1, c2, c3, c4 = st.columns(4)
c1.metric("Labels given", progress["labels"])
c2.metric("Round", progress["round"])
c3.metric(f"Interesting (≥ {INTERESTING_SCORE})", progress["interesting"])
c4.metric("This batch", f"{progress['batch_labelled']} / {progress['batch_size']}")
if progress["batch_size"]:
    st.progress(progress["batch_labelled"] / progress["batch_size"])

with st.container(horizontal=True, gap="small", vertical_alignment="center"):
    st.button(
        "Next round",
        key="next_round",
        type="primary",
        icon=":material/refresh:",
        on_click=state.next_round,
        help="Refit the interest model on all your labels and show the next batch (key N)",
        shortcut="N",
    )
    st.button(
        "Undo last label",
        key="undo",
        icon=":material/undo:",
        on_click=state.undo_label,
        help="Remove your most recent label (key U)",
        shortcut="U",
    )
    st.button(
        "Previous",
        key="focus_prev",
        icon=":material/arrow_back:",
        on_click=state.move_focus,
        args=(-1,),
        help="Move the keyboard focus back (←)",
        shortcut="Left",
    )
    st.button(
        "Next",
        key="focus_next",
        icon=":material/arrow_forward:",
        on_click=state.move_focus,
        args=(1,),
        help="Move the keyboard focus on (→)",
        shortcut="Right",
    )
st.caption(
    "Keys: **0-5** score the outlined galaxy and move on, **← →** move, **N** next round, "
    "**U** undo. " + " · ".join(f"{s} {ui.SCORE_MEANING[s]}" for s in range(6))
)

if not loop.batch:
    st.success("Every galaxy in this survey is labelled.")
    st.stop()
focus = min(int(st.session_state["focus"]), len(loop.batch) - 1)
ui.galaxy_grid(loop.batch, columns=5, focus=focus)
