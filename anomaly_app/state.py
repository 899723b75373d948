"""Every ``st.session_state`` key the app uses, and the callbacks that change them.

Callbacks run before the page script, so the page always shows the state after the action.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys

import resources
import streamlit as st

from oddfinder.errors import LabelError, OddfinderError
from oddfinder.labels.loop import LabellingLoop
from oddfinder.labels.seeds import SEED_SCORE, add_seed_examples, resolve_seed_examples
from oddfinder.labels.store import check_researcher

__all__ = [
    "DEFAULTS",
    "current_loop",
    "flash",
    "give_label",
    "init_state",
    "move_focus",
    "next_round",
    "prior_label",
    "prior_options",
    "seed_file_key",
    "send_to_similar",
    "set_prior",
    "set_researcher",
    "show_flash",
    "similar_image_key",
    "start_from_examples",
    "undo_label",
    "want_more_like",
    "workspace_path",
]

DEFAULTS: dict[str, object] = {
    "workspace": None,  # path of the workspace folder
    "researcher": "",  # validated researcher name ("" until given)
    "researcher_input": "",  # the sidebar text box
    "loops": {},  # researcher -> LabellingLoop (per browser session)
    "focus": 0,  # index of the focused galaxy in the batch (keyboard)
    "flash": None,  # (kind, message) shown once after an action
    "goto": None,  # page to switch to after a callback ("similar", ...)
    "similar_target": None,  # galaxy id handed to the Similar page
    "similar_id": "",
    "similar_ra": 0.0,
    "similar_dec": 0.0,
    "similar_k": 12,
    "similar_metric": "cosine",
    "top_n": 100,
    "rank_filter": "All",
    "score_range": (0, 5),
    "export_format": "csv",
    "export_name": "",
    "map_color": "anomaly prior",
    "seed_ids": "",  # "Start from examples": comma-separated ids
    "seed_upload": 0,  # bumped to clear the ids-file uploader after use
    "image_seed_pick": [],  # Similar page: neighbours of an uploaded image to keep as examples
    "similar_image_n": 0,  # bumped to clear the Similar page's image uploader
}


def workspace_path() -> str | None:
    """The workspace folder: ``--workspace`` after ``--`` on the command line, else the
    ``ODDFINDER_WORKSPACE`` environment variable."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--workspace")
    args, _ = parser.parse_known_args(sys.argv[1:])
    return args.workspace or os.environ.get("ODDFINDER_WORKSPACE") or None


def init_state(path: str | None) -> None:
    """Create every session-state key with its default (existing values are kept)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, copy.deepcopy(value))
    if path is not None:
        st.session_state["workspace"] = path


def flash(kind: str, message: str) -> None:
    """Queue a one-off message (``kind`` is success, info, warning or error)."""
    st.session_state["flash"] = (kind, message)


def show_flash() -> None:
    """Show and clear the queued message, if any."""
    queued = st.session_state.get("flash")
    if queued:
        kind, message = queued
        icons = {
            "success": ":material/check_circle:",
            "info": ":material/info:",
            "warning": ":material/warning:",
            "error": ":material/error:",
        }
        st.toast(message, icon=icons.get(kind, ":material/info:"))
        if kind == "error":
            st.error(message)
        st.session_state["flash"] = None


# --- researcher and labelling loop ------------------------------------------------------------
def set_researcher() -> None:
    """Callback of the researcher box: validate the name and switch to that researcher."""
    raw = st.session_state.get("researcher_input", "")
    if not str(raw).strip():
        st.session_state["researcher"] = ""
        return
    try:
        st.session_state["researcher"] = check_researcher(raw)
        st.session_state["focus"] = 0
    except OddfinderError as error:
        st.session_state["researcher"] = ""
        flash("error", str(error))


def current_loop() -> LabellingLoop | None:
    """The current researcher's labelling loop, built (and resumed from the store) on demand."""
    researcher = st.session_state.get("researcher")
    path = st.session_state.get("workspace")
    if not researcher or not path:
        return None
    loops = st.session_state["loops"]
    if researcher not in loops:
        values = resources.ranking_features(path)
        if values is None:
            return None
        ws = resources.workspace(path)
        with st.spinner(f"Preparing {researcher}'s ranking…"):
            loops[researcher] = LabellingLoop(
                resources.label_store(path),
                researcher,
                ids=ws.ids,
                features=values.values,
                options=values.options,
                prior=resources.prior(path),
                row_of=ws.row_of,
            )
    return loops[researcher]


def give_label(galaxy_id: str, score: int) -> None:
    """Callback of a 0-5 button: store the label at once, move focus to the next galaxy."""
    loop = current_loop()
    if loop is None:
        flash("warning", "Enter your name in the sidebar to label galaxies.")
        return
    try:
        loop.label(galaxy_id, score)
    except OddfinderError as error:
        flash("error", str(error))
        return
    ids = [loop.ids[r] for r in loop.batch]
    if galaxy_id in ids:
        st.session_state["focus"] = min(ids.index(galaxy_id) + 1, len(ids) - 1)


def move_focus(delta: int) -> None:
    """Callback of the arrow keys: move the keyboard focus within the batch."""
    loop = current_loop()
    size = len(loop.batch) if loop is not None else 0
    if size:
        st.session_state["focus"] = (st.session_state.get("focus", 0) + delta) % size


def next_round() -> None:
    """Callback of "Next round": refit on every label and show the next batch."""
    loop = current_loop()
    if loop is None:
        return
    try:
        loop.next_round()
    except OddfinderError as error:
        flash("error", str(error))
        return
    st.session_state["focus"] = 0
    flash("success", f"Round {loop.round}: re-ranked on {len(loop.labels())} labels.")


def undo_label() -> None:
    """Callback of "Undo": delete the researcher's latest label."""
    loop = current_loop()
    if loop is None:
        return
    undone = loop.undo()
    if undone is None:
        flash("info", "Nothing to undo.")
    else:
        flash("info", f"Removed label {undone[1]} of {undone[0]}.")
        ids = [loop.ids[r] for r in loop.batch]
        if undone[0] in ids:
            st.session_state["focus"] = ids.index(undone[0])


def send_to_similar(galaxy_id: str) -> None:
    """Callback of "Similar": show this galaxy's neighbours on the Similar page."""
    st.session_state["similar_target"] = str(galaxy_id)
    st.session_state["goto"] = "similar"


# --- the prior (first guess) ------------------------------------------------------------------
PRIOR_CHOICES = {"anomalous (isolation forest)": "iforest", "anomalous (LOF)": "lof"}
ANSWER_LABEL = "CNN answer: "


def prior_options(path: str) -> list[str]:
    """Labels of the prior choices: the anomaly priors, then one per CNN answer."""
    return [*PRIOR_CHOICES, *(ANSWER_LABEL + a for a in resources.answer_names(path))]


def prior_label(method: str | None) -> str | None:
    """The choice label of a saved prior's method (None when unknown)."""
    for label, value in PRIOR_CHOICES.items():
        if value == method:
            return label
    if method and method.startswith("answer:"):
        return ANSWER_LABEL + method.split(":", 1)[1]
    return None


def set_prior() -> None:
    """Callback of the sidebar's "First guess": rescore the workspace's prior, rebuild rankings.

    The prior is the workspace's (``prior.parquet``), so the choice applies to every researcher
    labelling it; their labels are untouched, their next rounds start from the new prior.
    """
    from oddfinder.score.workspace import score_workspace

    label = str(st.session_state.get("prior_choice") or "")
    method = PRIOR_CHOICES.get(label)
    if method is None and label.startswith(ANSWER_LABEL):
        method = "answer:" + label[len(ANSWER_LABEL) :]
    if method is None:
        return
    path = st.session_state["workspace"]
    try:
        score_workspace(resources.workspace(path), method=method)
    except OddfinderError as error:
        flash("error", str(error))
        return
    resources.prior.clear()
    resources.prior_method.clear()
    st.session_state["loops"] = {}
    flash("success", f"The first guess is now {label}: the next rounds start from it.")


# --- seed examples ("start from an example") ---------------------------------------------------
def seed_file_key() -> str:
    """Key of the "Start from examples" file uploader (a new key clears it)."""
    return f"seed_file_{st.session_state.get('seed_upload', 0)}"


def similar_image_key() -> str:
    """Key of the Similar page's image uploader (a new key clears it)."""
    return f"similar_image_{st.session_state.get('similar_image_n', 0)}"


def start_from_examples() -> None:
    """Callback of "Record examples and start the next round": the ids typed and the ids file
    uploaded become the researcher's labels of 5, then the model refits on them."""
    loop = current_loop()
    if loop is None:
        flash("warning", "Enter your name in the sidebar to give examples.")
        return
    text = str(st.session_state.get("seed_ids", "") or "").strip()
    upload = st.session_state.get(seed_file_key())
    if not text and upload is None:
        flash("warning", "Give galaxy ids, or a file of ids, of galaxies you want more of.")
        return
    ws = resources.workspace(st.session_state["workspace"])
    try:
        ids: list[str] = []
        if text:
            ids += [str(g) for g in ws.ids[resolve_seed_examples(ws, text)]]
        if upload is not None:
            rows = resolve_seed_examples(ws, upload.getvalue(), name=upload.name)
            ids += [str(g) for g in ws.ids[rows]]
        recorded = add_seed_examples(loop.store, loop.researcher, ids, round=loop.round)
        loop.next_round()
    except OddfinderError as error:
        flash("error", str(error))
        return
    st.session_state["seed_ids"] = ""
    st.session_state["seed_upload"] = st.session_state.get("seed_upload", 0) + 1
    st.session_state["focus"] = 0
    flash(
        "success",
        f"Recorded {len(recorded)} example(s) as label {SEED_SCORE}; round {loop.round} is "
        f"ranked from {len(loop.labels())} labels.",
    )


def want_more_like(galaxy_ids: list[str]) -> None:
    """Callback of "Want more like this": record galaxies as the researcher's examples (5)."""
    loop = current_loop()
    if loop is None:
        flash("warning", "Enter your name in the sidebar to give examples.")
        return
    ids = [str(g) for g in galaxy_ids if str(g)]
    if not ids:
        flash("warning", "Pick at least one galaxy first.")
        return
    try:
        for gid in ids:
            if gid not in loop.row_of:
                raise LabelError(f"unknown galaxy id {gid!r}: it is not in this survey")
        recorded = add_seed_examples(loop.store, loop.researcher, ids, round=loop.round)
    except OddfinderError as error:
        flash("error", str(error))
        return
    shown = ", ".join(recorded[:5]) + (
        f" and {len(recorded) - 5} more" if len(recorded) > 5 else ""
    )
    flash(
        "success",
        f"Recorded {shown} as an example of what you want (label {SEED_SCORE}). "
        "Press Next round on the Label page to re-rank.",
    )
