"""Map: the UMAP map as a WebGL scatter; hover a galaxy to see its thumbnail, select galaxies
to see, label, or search from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import resources
import state
import streamlit as st
import ui
from map_component import hover_thumbnails, picked_row, view_box

from oddfinder.map.view import choose_view, density_image

st.header("Map")
path = st.session_state["workspace"]
coords = resources.map_table(path)
if coords is None:
    st.info(
        "This workspace has no map yet. Compute it with `oddfinder map WS` (UMAP of the "
        "features; a minute or so for 100k galaxies) and reload."
    )
    st.stop()

LARGE = 50_000  # above this: a density image plus a subsample of points
SAMPLE = 20_000

ws = resources.workspace(path)
cat = resources.catalog(path)
loop = state.current_loop()
options = ["anomaly prior"]
if loop is not None:
    options += ["predicted interest", "your labels"]
options += [c for c in cat.columns if c not in ("id", "path")]
if st.session_state["map_color"] not in options:
    st.session_state["map_color"] = options[0]
st.selectbox("Colour by", options, key="map_color")
color_by = st.session_state["map_color"]

n = len(coords)
all_x = coords["x"].to_numpy(dtype=np.float64)
all_y = coords["y"].to_numpy(dtype=np.float64)
# Zoomed (the hover component reports the chart's view box): every galaxy in the box as points
# when there are at most SAMPLE of them, else a density image of the box plus a sample.
box = view_box(st.session_state.get("map_hover") or {})
view = choose_view(all_x, all_y, box=box, max_points=SAMPLE, large=LARGE)
rows = view.rows
x = all_x[rows]
y = all_y[rows]
ids = ws.ids[rows]


def _values() -> tuple[np.ndarray, bool]:
    """Colour values for ``rows`` and whether they are categorical."""
    if color_by == "anomaly prior":
        prior = resources.prior(path)
        return (prior[rows] if prior is not None else np.full(len(rows), np.nan)), False
    if color_by == "predicted interest":
        mean = loop.interest()[0]
        if mean is None:
            mean = loop.ranking_table().set_index("id")["interest_mean"].reindex(ids).to_numpy()
        else:
            mean = mean[rows]
        return mean, False
    if color_by == "your labels":
        labels = loop.labels()
        return np.array([str(labels[g]) if g in labels else "unlabelled" for g in ids]), True
    column = cat[color_by].iloc[rows]
    if pd.api.types.is_numeric_dtype(column) and column.nunique() > 12:
        return column.to_numpy(dtype=np.float64, na_value=np.nan), False
    return column.astype(str).to_numpy(), True


values, categorical = _values()
fig = go.Figure()
if view.aggregated:
    if box is None:
        counts, xedges, yedges = resources.density(path)
    else:
        counts, xedges, yedges = density_image(all_x, all_y, box=box)
    fig.add_trace(
        go.Heatmap(
            z=np.log10(1 + counts.T),
            x=0.5 * (xedges[1:] + xedges[:-1]),
            y=0.5 * (yedges[1:] + yedges[:-1]),
            colorscale="Greys",
            showscale=False,
            hoverinfo="skip",
            opacity=0.6,
        )
    )
    where = "" if box is None else f" ({view.n_inside:,} in this view)"
    st.caption(
        f"{n:,} galaxies{where}: density of all of them in grey, {SAMPLE:,} of them as points."
        + (" Zoom in to see every galaxy." if box is None else "")
    )
elif box is not None:
    st.caption(f"Zoomed: all {view.n_inside:,} galaxies in this view. Autoscale to zoom out.")
marker = {"size": 5 if len(rows) < 5000 else 3, "opacity": 0.85}
if categorical:
    categories = sorted(set(values), key=lambda v: (v == "unlabelled", v))
    for category in categories:
        mask = values == category
        style = dict(marker)
        if category == "unlabelled":
            style.update(color="rgba(150,150,150,0.35)", size=3)
        fig.add_trace(
            go.Scattergl(
                x=x[mask],
                y=y[mask],
                mode="markers",
                name=str(category),
                marker=style,
                customdata=rows[mask],
                text=ids[mask],
                hovertemplate="%{text}<extra>" + str(category) + "</extra>",
            )
        )
else:
    fig.add_trace(
        go.Scattergl(
            x=x,
            y=y,
            mode="markers",
            name=color_by,
            marker={
                **marker,
                "color": values,
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": {"text": color_by, "side": "right"}},
            },
            customdata=rows,
            text=ids,
            hovertemplate="%{text}<br>" + color_by + " %{marker.color:.2f}<extra></extra>",
        )
    )
fig.update_layout(
    height=620,
    margin={"l": 10, "r": 10, "t": 10, "b": 10},
    dragmode="lasso",
    xaxis={"showticklabels": False, "title": None, "zeroline": False},
    yaxis={"showticklabels": False, "title": None, "zeroline": False},
    legend={"itemsizing": "constant"},
    uirevision=str(box),  # a new view box applies its ranges
)
if box is not None:
    fig.update_xaxes(range=list(box[0]), autorange=False)
    fig.update_yaxes(range=list(box[1]), autorange=False)
event = st.plotly_chart(
    fig,
    key="map_chart",
    on_select="rerun",
    selection_mode=("points", "box", "lasso"),
    width="stretch",
    # Double-click autoscales (back to the overview), not back to a zoomed figure's ranges.
    config={"displaylogo": False, "doubleClick": "autosize"},
)
picked = picked_row(st.session_state.get("map_hover"), ws.n)
hover_thumbnails(path, rows, values, label=color_by, drawn_box=box, drawn_pick=picked)

selected: list[int] = []
points = (event or {}).get("selection", {}).get("points", []) if event else []
for point in points:
    data = point.get("customdata")
    if isinstance(data, list | tuple):
        data = data[0] if data else None
    if data is not None:
        selected.append(int(data))
selected = list(dict.fromkeys(selected))
if not selected and picked is not None:
    selected = [picked]  # a single click (a box or lasso selection takes precedence)
if not selected:
    st.caption("Click a galaxy, or draw a box or lasso around several, to see them here.")
    st.stop()

MAX_SHOWN = 20
st.subheader(f"{len(selected)} selected")
if len(selected) > MAX_SHOWN:
    st.caption(f"Showing the {MAX_SHOWN} with the highest anomaly prior.")
    prior = resources.prior(path)
    if prior is not None:
        selected = sorted(selected, key=lambda r: -np.nan_to_num(prior[r]))
    selected = selected[:MAX_SHOWN]
shown_ids = [str(g) for g in ws.ids[selected]]
st.button(
    "Want more like this",
    key="map_seed",
    icon=":material/add_task:",
    on_click=state.want_more_like,
    args=(shown_ids,),
    help=(
        "Record the galaxy shown below"
        if len(shown_ids) == 1
        else f"Record the {len(shown_ids)} galaxies shown below"
    )
    + " as your label 5 (exactly what I want): seed examples for your ranking",
)
ui.galaxy_grid(selected, columns=5)
