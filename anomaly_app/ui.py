"""Pieces of UI the pages share: galaxy cards with 0-5 buttons, grids, the detail dialog."""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Sequence

import numpy as np
import pandas as pd
import resources
import state
import streamlit as st

__all__ = [
    "SCORE_MEANING",
    "galaxy_card",
    "galaxy_grid",
    "legacy_url",
    "page_style",
    "simbad_url",
]

SCORE_MEANING = {
    0: "boring or artefact",
    1: "not interesting",
    2: "slightly interesting",
    3: "interesting",
    4: "very interesting",
    5: "exactly what I want",
}

_CSS = """
<style>
div[class*="st-key-card_"] { background: rgba(128, 128, 128, 0.05); }
div[class*="st-key-card_"] img { border-radius: 6px; }
div[class*="st-key-scores_"] { flex-wrap: nowrap; gap: 0.25rem; }
div[class*="st-key-scores_"] > div { flex: 1 1 0; min-width: 0; width: auto; }
div[class*="st-key-scores_"] button { width: 100%; min-width: 0; min-height: 2.2rem;
    padding: 0.1rem 0; font-weight: 600; }
div[class*="st-key-scores_"] kbd { display: none; }
"""


def page_style() -> None:
    """Add the app's small CSS touches (card background, compact score buttons)."""
    st.html(_CSS)


def css_class(key: str) -> str:
    """The CSS class Streamlit gives an element with ``key`` (``st-key-`` + sanitised key)."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def legacy_url(ra: float, dec: float) -> str:
    """Legacy Surveys viewer centred on ``(ra, dec)``."""
    return f"https://www.legacysurvey.org/viewer?ra={ra:.6f}&dec={dec:.6f}&layer=ls-dr10&zoom=16"


def simbad_url(ra: float, dec: float) -> str:
    """SIMBAD cone search of 10 arcsec around ``(ra, dec)``."""
    coord = urllib.parse.quote(f"{ra:.6f} {dec:+.6f}")
    return (
        f"https://simbad.cds.unistra.fr/simbad/sim-coo?Coord={coord}&Radius=10&Radius.unit=arcsec"
    )


def _position(row: int) -> tuple[float, float] | None:
    cat = resources.catalog(st.session_state["workspace"])
    if "ra" not in cat.columns or "dec" not in cat.columns:
        return None
    ra, dec = cat["ra"].iloc[row], cat["dec"].iloc[row]
    try:
        ra, dec = float(ra), float(dec)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(ra) and math.isfinite(dec)):
        return None
    return ra, dec


def thumbnail(row: int) -> str | None:
    """Path of galaxy ``row``'s thumbnail, or None when there is none."""
    path = resources.workspace(st.session_state["workspace"]).thumb_path(int(row))
    return str(path) if path.is_file() else None


def _show_image(row: int) -> None:
    image = thumbnail(row)
    if image is None:
        st.markdown(
            "<div style='aspect-ratio:1;display:flex;align-items:center;justify-content:center;"
            "border:1px dashed #888;border-radius:6px;color:#888'>no image</div>",
            unsafe_allow_html=True,
        )
    else:
        st.image(image, width="stretch")


@st.dialog("Galaxy details", width="large")
def detail_dialog(row: int) -> None:
    """A larger image, every catalogue column, and links to the Legacy Surveys and SIMBAD."""
    path = st.session_state["workspace"]
    cat = resources.catalog(path)
    gid = str(cat["id"].iloc[row])
    left, right = st.columns([1, 1])
    with left:
        _show_image(row)
    with right:
        st.subheader(gid)
        pos = _position(row)
        if pos is not None:
            st.markdown(f"RA **{pos[0]:.5f}°**, Dec **{pos[1]:+.5f}°**")
            st.link_button("Legacy Surveys viewer", legacy_url(*pos), icon=":material/public:")
            st.link_button("SIMBAD (10″)", simbad_url(*pos), icon=":material/travel_explore:")
        prior = resources.prior(path)
        if prior is not None:
            st.markdown(f"Anomaly prior **{prior[row]:.2f}**")
        loop = state.current_loop()
        if loop is not None:
            label = loop.labels().get(gid)
            st.markdown(f"Your label **{label if label is not None else '—'}**")
        values = cat.iloc[row]
        st.dataframe(
            pd.DataFrame({"column": values.index.astype(str), "value": values.astype(str)}),
            hide_index=True,
            width="stretch",
            key=f"detail_table_{gid}",
        )


def galaxy_card(
    row: int,
    *,
    labels: dict[str, int],
    interest: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
    focused: bool = False,
    note: str | None = None,
    can_label: bool = True,
    similar_button: bool = True,
) -> None:
    """One galaxy: image, id, position, prior, predicted interest, 0-5 buttons, actions.

    With ``focused`` the buttons answer the keys 0-5 and the card is outlined.
    """
    path = st.session_state["workspace"]
    cat = resources.catalog(path)
    gid = str(cat["id"].iloc[row])
    card_key = f"card_{gid}"
    if focused:
        st.html(
            f"<style>.{css_class(card_key)} {{ outline: 3px solid #ff4b4b; "
            "outline-offset: 2px; }</style>"
        )
    with st.container(border=True, key=card_key):
        _show_image(row)
        label = labels.get(gid)
        badge = f" · **label {label}**" if label is not None else ""
        st.markdown(f"**{gid}**{badge}")
        facts = []
        pos = _position(row)
        if pos is not None:
            facts.append(f"RA {pos[0]:.4f} Dec {pos[1]:+.4f}")
        prior = resources.prior(path)
        if prior is not None and np.isfinite(prior[row]):
            facts.append(f"prior {prior[row]:.2f}")
        mean, std = interest
        if mean is not None:
            spread = f" ± {std[row]:.1f}" if std is not None else ""
            facts.append(f"interest {mean[row]:.1f}{spread}")
        if note:
            facts.append(note)
        st.caption(" · ".join(facts))
        if can_label:
            with st.container(horizontal=True, gap="xsmall", key=f"scores_{gid}"):
                for score in range(6):
                    st.button(
                        str(score),
                        key=f"score_{gid}_{score}",
                        type="primary" if label == score else "secondary",
                        help=f"{score}: {SCORE_MEANING[score]}",
                        on_click=state.give_label,
                        args=(gid, score),
                        shortcut=str(score) if focused else None,
                    )
        with st.container(horizontal=True, gap="small"):
            if st.button(
                "Details", key=f"details_{gid}", icon=":material/zoom_in:", type="tertiary"
            ):
                detail_dialog(row)
            if similar_button:
                st.button(
                    "Similar",
                    key=f"tosimilar_{gid}",
                    icon=":material/scatter_plot:",
                    type="tertiary",
                    on_click=state.send_to_similar,
                    args=(gid,),
                )


def galaxy_grid(
    rows: Sequence[int],
    *,
    columns: int = 5,
    focus: int | None = None,
    notes: Sequence[str] | None = None,
    similar_button: bool = True,
) -> None:
    """Cards for ``rows`` in a grid, labellable when a researcher is set."""
    loop = state.current_loop()
    labels = loop.labels() if loop is not None else {}
    interest = loop.interest() if loop is not None else (None, None)
    for start in range(0, len(rows), columns):
        cols = st.columns(columns, gap="small")
        for j, row in enumerate(rows[start : start + columns]):
            with cols[j]:
                galaxy_card(
                    int(row),
                    labels=labels,
                    interest=interest,
                    focused=focus is not None and start + j == focus,
                    note=notes[start + j] if notes is not None else None,
                    can_label=loop is not None,
                    similar_button=similar_button,
                )
