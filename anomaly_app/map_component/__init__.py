"""Hover thumbnails for the Map page: a custom component (Streamlit components v2).

Plotly's hover labels cannot show images and ``st.plotly_chart`` reports no hover events, so a
small component, mounted next to the chart, listens to the chart's ``plotly_hover`` events in
the browser and shows a floating card beside the cursor: the galaxy's thumbnail, its id and its
colour value. The card comes from Python: the component sets its ``hover`` state to the
hovered catalogue row, which reruns only the fragment around the component
(:func:`hover_thumbnails`), and the fragment sends back :func:`hover_card` for that row. The
browser caches the cards it has received, so a point hovered again shows at once. Nothing is
loaded from the internet (plotly.js is the one ``st.plotly_chart`` already serves).

The same component reports what ``st.plotly_chart`` misses on a WebGL scatter in lasso mode:
a single click on a point (``picked``, :func:`picked_row`) and a zoom (``view``,
:func:`view_box`); either reruns the page.
"""

from __future__ import annotations

import base64
import functools
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["hover_card", "hover_thumbnails", "picked_row", "view_box"]

_HERE = Path(__file__).resolve().parent
COMPONENT_NAME = "oddfinder_map_hover"


@functools.cache
def _component() -> Callable:
    import streamlit as st

    return st.components.v2.component(
        COMPONENT_NAME,
        js=(_HERE / "hover.js").read_text(encoding="utf-8"),
        isolate_styles=False,
    )


def _format(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        return "" if not math.isfinite(float(value)) else f"{float(value):.3g}"
    return str(value)


def hover_card(
    row: int,
    *,
    gid: str,
    thumb: Path | None,
    label: str,
    value: object,
) -> dict[str, object]:
    """The card shown when galaxy ``row`` is hovered: its thumbnail as a data URL, id, value.

    Parameters
    ----------
    row : int
        Catalogue row of the galaxy.
    gid : str
        Its id.
    thumb : Path or None
        Its JPEG thumbnail; None (or a missing file) gives a card without an image.
    label : str
        What the map is coloured by.
    value : object
        The galaxy's colour value (NaN or None: shown as nothing).

    Returns
    -------
    dict
        ``row``, ``id``, ``label``, ``value`` (formatted text) and ``image``
        (``data:image/jpeg;base64,...`` or None), JSON-serialisable.

    Examples
    --------
    >>> card = hover_card(3, gid="g3", thumb=None, label="prior", value=0.12345)
    >>> card["id"], card["value"], card["image"]
    ('g3', '0.123', None)
    """
    image = None
    if thumb is not None and Path(thumb).is_file():
        data = base64.b64encode(Path(thumb).read_bytes()).decode("ascii")
        image = f"data:image/jpeg;base64,{data}"
    return {
        "row": int(row),
        "id": str(gid),
        "label": str(label),
        "value": _format(value),
        "image": image,
    }


def view_box(state: object) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The zoomed view box ``((x0, x1), (y0, y1))`` in the component's state, or None.

    The browser sets ``view`` to ``{"x": [x0, x1], "y": [y0, y1]}`` when the chart is zoomed
    and to None when it is reset (double-click, autoscale); anything malformed is None.

    Examples
    --------
    >>> view_box({"view": {"x": [0, 1.5], "y": [-1, 2]}})
    ((0.0, 1.5), (-1.0, 2.0))
    >>> view_box({"view": None}) is None
    True
    """
    view = state.get("view") if hasattr(state, "get") else None
    if not hasattr(view, "get"):
        return None
    try:
        (x0, x1), (y0, y1) = view.get("x"), view.get("y")
        box = ((float(x0), float(x1)), (float(y0), float(y1)))
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for pair in box for v in pair) or x0 == x1 or y0 == y1:
        return None
    return box


def picked_row(state: object, n: int) -> int | None:
    """The catalogue row the researcher clicked on the map (the component's state), or None.

    The browser sets ``picked`` to the row of the point under the pointer on a click, and to
    None on a click off every point; a row outside ``0 .. n - 1`` (another workspace) is None.

    Examples
    --------
    >>> picked_row({"picked": 7}, n=10), picked_row({"picked": 12}, n=10)
    (7, None)
    >>> picked_row({"picked": None}, n=10) is None, picked_row(None, n=10) is None
    (True, True)
    """
    picked = state.get("picked") if hasattr(state, "get") else None
    if isinstance(picked, bool) or not isinstance(picked, int | float):
        return None
    if not math.isfinite(picked) or picked != int(picked) or not 0 <= int(picked) < n:
        return None
    return int(picked)


def _card_for(path: str, row: int, rows: np.ndarray, values: np.ndarray, label: str) -> dict:
    import resources

    ws = resources.workspace(path)
    if not 0 <= row < ws.n:
        return {}
    at = int(np.searchsorted(rows, row))
    value = values[at] if at < len(rows) and rows[at] == row else None
    return hover_card(row, gid=str(ws.ids[row]), thumb=ws.thumb_path(row), label=label, value=value)


def hover_thumbnails(
    path: str,
    rows: np.ndarray,
    values: np.ndarray,
    *,
    label: str,
    drawn_box: tuple | None = None,
    drawn_pick: int | None = None,
    chart_key: str = "map_chart",
    key: str = "map_hover",
) -> None:
    """Mount the hover component for the chart ``chart_key`` (call it after the chart).

    Parameters
    ----------
    path : str
        The workspace path.
    rows : numpy.ndarray
        The sorted catalogue rows drawn on the chart (its points' ``customdata``).
    values : numpy.ndarray
        Their colour values, aligned to ``rows``.
    label : str
        What the map is coloured by.
    drawn_box : tuple or None
        The view box the page drew (:func:`view_box` of this component's state when the page
        ran); when the browser reports another one (a zoom), the whole page reruns.
    drawn_pick : int or None
        The clicked row the page showed (:func:`picked_row`); another click reruns the page.
    chart_key, key : str
        The chart's widget key, and this component's.
    """
    import streamlit as st

    st.html(f"<style>.st-key-{key} {{ display: none; }}</style>")
    _hover_fragment(
        path, np.asarray(rows), np.asarray(values), label, drawn_box, drawn_pick, chart_key, key
    )


def _noop() -> None:
    """State changes need a callback to be accepted; the fragment rerun does the work."""


def _hover_fragment_body(
    path: str,
    rows: np.ndarray,
    values: np.ndarray,
    label: str,
    drawn_box: tuple | None,
    drawn_pick: int | None,
    chart_key: str,
    key: str,
) -> None:
    import resources
    import streamlit as st

    state = st.session_state.get(key) or {}
    if view_box(state) != drawn_box:
        st.rerun(scope="app")  # zoomed or reset: the page redraws the chart for the new view
    if picked_row(state, resources.workspace(path).n) != drawn_pick:
        st.rerun(scope="app")  # a click: the page shows the picked galaxy
    hovered = state.get("hover") if hasattr(state, "get") else None
    card = None
    if isinstance(hovered, int | float) and not isinstance(hovered, bool):
        card = _card_for(path, int(hovered), rows, values, label) or None
    _component()(
        key=key,
        data={
            "selector": f".st-key-{chart_key} .js-plotly-plot",
            "workspace": str(path),
            "colour": label,
            "card": card,
        },
        default={"hover": None, "view": None, "picked": None},
        on_hover_change=_noop,
        on_view_change=_noop,
        on_picked_change=_noop,
        height=0,
    )


def _hover_fragment(*args) -> None:
    import streamlit as st

    st.fragment(_hover_fragment_body)(*args)
