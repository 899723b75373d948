"""oddfinder's Streamlit app: label galaxies, re-rank, export, browse the map, find similar.

Run it with ``oddfinder app WS`` (or ``streamlit run anomaly_app/streamlit_app.py --
--workspace WS``; the ``ODDFINDER_WORKSPACE`` environment variable works too).
"""

from __future__ import annotations

import resources
import state
import streamlit as st
import ui

from oddfinder.errors import OddfinderError

st.set_page_config(
    page_title="oddfinder",
    page_icon=":material/auto_awesome:",
    layout="wide",
    initial_sidebar_state="expanded",
)

path = state.workspace_path()
state.init_state(path)
ui.page_style()

if path is None:
    st.error(
        "No workspace given: start the app with `oddfinder app WS`, or set ODDFINDER_WORKSPACE."
    )
    st.stop()
try:
    ws = resources.workspace(path)
except OddfinderError as error:
    st.error(f"Cannot open the workspace: {error}")
    st.stop()

with st.sidebar:
    st.title("oddfinder")
    st.caption(f"Workspace **{ws.path.name}** · {ws.n:,} galaxies")
    st.text_input(
        "Researcher",
        key="researcher_input",
        on_change=state.set_researcher,
        placeholder="your name",
        help="Each researcher has their own labels and ranking. 1-64 letters, digits, "
        "spaces or -_.",
    )
    if st.session_state["researcher"]:
        st.caption(f"Labelling as **{st.session_state['researcher']}**")
    known = resources.label_store(path).researchers()
    if known:
        st.caption("Researchers here: " + ", ".join(known))
    options = state.prior_options(path)
    current = state.prior_label(resources.prior_method(path))
    if st.session_state.get("prior_choice") not in options:
        st.session_state["prior_choice"] = current if current in options else None
    st.selectbox(
        "First guess",
        options,
        key="prior_choice",
        on_change=state.set_prior,
        placeholder="anomaly prior",
        help="What orders the first batches before your labels take over: the most anomalous "
        "galaxies, or one of the bundled CNN's answers when your interest matches one of its "
        "questions (e.g. merging). Applies to everyone labelling this workspace.",
    )

pages = {
    "label": st.Page("app_pages/label.py", title="Label", icon=":material/label:", default=True),
    "ranking": st.Page(
        "app_pages/ranking.py", title="Ranking & export", icon=":material/format_list_numbered:"
    ),
    "map": st.Page("app_pages/map.py", title="Map", icon=":material/scatter_plot:"),
    "similar": st.Page("app_pages/similar.py", title="Similar", icon=":material/join:"),
}
navigation = st.navigation(list(pages.values()))

goto = st.session_state["goto"]
if goto:
    st.session_state["goto"] = None
    st.switch_page(pages[goto])

state.show_flash()
navigation.run()
