// Hover thumbnails for the Map page's plotly chart (st.plotly_chart renders it in the page).
// Attaches plotly_hover / plotly_unhover listeners to the chart's graph div, shows a floating
// card beside the cursor, and asks Python for the hovered galaxy's card (image, id, colour
// value) through the "hover" state value; cards already received are cached in the page.
// Also reports clicks: the "picked" state value is the clicked galaxy's row (null after a click
// off every point). And zooms: the "view" state value is the zoomed box {x: [x0, x1], y: [y0, y1]}, or
// null after a reset, so the page can redraw the chart for that box.
const PICK_RADIUS = 10; // pixels from a marker's centre that a click picks it

export default function (component) {
  const { data, setStateValue } = component;
  const S = (window.__oddfinderMapHover ||= { cache: new Map(), current: null, x: 0, y: 0 });
  S.active = true;
  S.setStateValue = setStateValue;
  S.selector = (data && data.selector) || ".js-plotly-plot";
  if (S.workspace !== (data && data.workspace) || S.colour !== (data && data.colour)) {
    S.cache.clear();
    S.workspace = data && data.workspace;
    S.colour = data && data.colour;
  }
  const card = data && data.card;
  if (card && card.row !== undefined && card.row !== null) S.cache.set(card.row, card);

  let box = document.getElementById("oddfinder-map-hover");
  if (!box) {
    box = document.createElement("div");
    box.id = "oddfinder-map-hover";
    box.setAttribute("role", "tooltip");
    Object.assign(box.style, {
      position: "fixed", zIndex: "1000", display: "none", pointerEvents: "none",
      width: "176px", padding: "8px", borderRadius: "8px", background: "rgba(20,20,28,0.92)",
      color: "#fff", font: "12px/1.35 sans-serif", boxShadow: "0 2px 12px rgba(0,0,0,0.35)",
    });
    const img = document.createElement("img");
    img.className = "oddfinder-hover-thumb";
    img.alt = "galaxy thumbnail";
    Object.assign(img.style, {
      width: "160px", height: "160px", objectFit: "cover", borderRadius: "6px",
      display: "block", background: "#333",
    });
    const title = document.createElement("div");
    title.className = "oddfinder-hover-id";
    Object.assign(title.style, { fontWeight: "600", marginTop: "6px", wordBreak: "break-all" });
    const value = document.createElement("div");
    value.className = "oddfinder-hover-value";
    value.style.opacity = "0.85";
    box.append(img, title, value);
    document.body.appendChild(box);
  }
  if (S.hideTimer) clearTimeout(S.hideTimer);

  const place = () => {
    const w = box.offsetWidth || 192, h = box.offsetHeight || 230, pad = 18;
    let left = S.x - w - pad, top = S.y - h / 2;
    if (left < 4) left = S.x + pad + 120; // no room on the left: go right, past plotly's label
    left = Math.min(Math.max(4, left), window.innerWidth - w - 4);
    top = Math.min(Math.max(4, top), window.innerHeight - h - 4);
    box.style.left = left + "px";
    box.style.top = top + "px";
  };
  S.render = () => {
    if (!S.active || S.current === null) { box.style.display = "none"; return; }
    const c = S.cache.get(S.current);
    const img = box.querySelector("img"), title = box.querySelector(".oddfinder-hover-id");
    const value = box.querySelector(".oddfinder-hover-value");
    if (c) {
      if (c.image) { img.src = c.image; img.style.visibility = "visible"; }
      else { img.removeAttribute("src"); img.style.visibility = "hidden"; }
      img.dataset.row = String(c.row);
      title.textContent = c.id;
      value.textContent = c.value ? c.label + ": " + c.value : "";
    } else {
      img.removeAttribute("src");
      img.style.visibility = "hidden";
      img.dataset.row = "";
      title.textContent = S.currentText || "";
      value.textContent = "loading…";
    }
    box.style.display = "block";
    place();
  };
  S.render();

  const attach = () => {
    const graphs = document.querySelectorAll(S.selector);
    graphs.forEach((gd) => {
      if (gd.__oddfinderHover || typeof gd.on !== "function") return;
      gd.__oddfinderHover = true;
      gd.on("plotly_hover", (ev) => {
        const pt = ev && ev.points && ev.points[0];
        if (!pt || !window.__oddfinderMapHover.active) return;
        let row = pt.customdata;
        if (Array.isArray(row)) row = row[0];
        if (row === undefined || row === null) return;
        row = Number(row);
        const e = ev.event || {};
        if (e.clientX !== undefined) { S.x = e.clientX; S.y = e.clientY; }
        else {
          const r = gd.getBoundingClientRect();
          S.x = r.left + (pt.xaxis._offset + pt.xaxis.l2p(pt.x));
          S.y = r.top + (pt.yaxis._offset + pt.yaxis.l2p(pt.y));
        }
        S.current = row;
        S.currentText = pt.text !== undefined ? String(pt.text) : "";
        S.render();
        if (!S.cache.has(row)) {
          clearTimeout(S.sendTimer);
          S.sendTimer = setTimeout(() => {
            if (S.current === row && S.setStateValue) S.setStateValue("hover", row);
          }, 60);
        }
      });
      // Zoom: send the view box to Python (debounced) so the page can redraw the chart with
      // every galaxy in the box; autorange (double-click, autoscale) returns to the overview.
      gd.on("plotly_relayout", (ev) => {
        const keys = Object.keys(ev || {});
        if (!keys.some((k) => k.startsWith("xaxis.") || k.startsWith("yaxis."))) return;
        let view = null;
        if (!keys.some((k) => k.endsWith(".autorange"))) {
          const xr = gd._fullLayout.xaxis.range, yr = gd._fullLayout.yaxis.range;
          view = { x: [Number(xr[0]), Number(xr[1])], y: [Number(yr[0]), Number(yr[1])] };
        }
        clearTimeout(S.viewTimer);
        S.viewTimer = setTimeout(() => {
          if (S.setStateValue) S.setStateValue("view", view);
        }, 250);
      });
      gd.on("plotly_unhover", () => {
        S.current = null;
        S.render();
      });
      // A click (no drag) picks the hovered galaxy, or clears the pick off every point. Plotly
      // fires no plotly_click for scattergl while the drag mode is lasso or box, so the pick
      // comes from the pointer: down on the chart and up within a few pixels. (The button goes
      // up over plotly's drag cover, not the chart: that listener is on the window.)
      // The point under the pointer: plotly's hovered point, if the pointer is on its marker
      // (plotly's hover lags a fast pointer, and outlives a redraw of the chart).
      gd.addEventListener("pointerdown", (e) => {
        const pt = gd._hoverdata && gd._hoverdata[0];
        let row = pt ? pt.customdata : null;
        if (Array.isArray(row)) row = row[0];
        row = row === undefined || row === null ? null : Number(row);
        if (row !== null && pt.xaxis && pt.yaxis) {
          const r = gd.getBoundingClientRect();
          const px = r.left + pt.xaxis._offset + pt.xaxis.l2p(pt.x);
          const py = r.top + pt.yaxis._offset + pt.yaxis.l2p(pt.y);
          if (!(Math.hypot(e.clientX - px, e.clientY - py) <= PICK_RADIUS)) row = null;
        }
        S.down = { x: e.clientX, y: e.clientY, row: row, travel: 0 };
      }, true);
    });
  };
  if (!S.pickListener) {
    S.pickListener = true;
    // A lasso or box that ends where it began is not a click: count how far the pointer went.
    window.addEventListener("pointermove", (e) => {
      const d = S.down;
      if (d) d.travel = Math.max(d.travel, Math.hypot(e.clientX - d.x, e.clientY - d.y));
    }, true);
    window.addEventListener("pointerup", (e) => {
      const d = S.down;
      S.down = null;
      if (!d || !S.setStateValue) return;
      if (Math.max(d.travel, Math.hypot(e.clientX - d.x, e.clientY - d.y)) > 4) return;
      const before = S.picked === undefined ? null : S.picked;
      if (d.row !== before) { S.picked = d.row; S.setStateValue("picked", d.row); }
    }, true);
  }
  attach();
  const timer = setInterval(attach, 400);
  return () => {
    clearInterval(timer);
    S.active = false;
    // A re-render calls this function again at once; hide only if nothing comes back.
    S.hideTimer = setTimeout(() => { if (!S.active) box.style.display = "none"; }, 50);
  };
}
