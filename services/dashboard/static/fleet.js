// Fleet health, live: each station's services are re-rendered when a retained status changes.
"use strict";
const fleetEl = document.getElementById("fleet");
const groups = new Map();  // station id ("site" for the site services) -> its <tbody>

function svcRows(services) {
  return services.map((s) => {
    const m = s.metrics || {};
    const other = Object.entries(m).filter(([k]) => k !== "fps").map(([k, v]) => `${esc(k)} ${+v.toPrecision(6)}`).join(", ");
    return `<tr><td>${esc(s.service)}</td><td><span class="badge ${esc(s.state)}">${esc(s.state)}</span></td>` +
      `<td>${esc(s.version) || "—"}</td><td class="ts" data-ts="${esc(s.seen || "")}">${esc(s.seen) || "—"}</td>` +
      `<td>${s.service === "camera" ? (m.fps != null ? m.fps.toFixed(1) + " fps" : "—") : ""}</td>` +
      `<td>${s.service === "loadcell" ? esc(s.state) + (s.detail ? ": " + esc(s.detail) : "") : ""}</td>` +
      `<td class="muted">${s.service !== "loadcell" ? esc(s.detail) : ""} ${other}</td></tr>`;
  }).join("");
}

function putStation(st) {
  let tb = groups.get(st.station_id);
  if (!tb) {
    tb = document.createElement("tbody");
    tb.dataset.station = st.station_id;
    groups.set(st.station_id, tb);
    // stations in id order, the site's own services last
    const after = [...groups.keys()].filter((k) => k !== "site").sort().find((k) => st.station_id !== "site" && k > st.station_id);
    fleetEl.insertBefore(tb, after ? groups.get(after) : (st.station_id === "site" ? null : groups.get("site") || null));
  }
  const head = st.station_id === "site" ? "Site services"
    : `<a href="/stations/${encodeURIComponent(st.station_id)}">${esc(st.station_id)}</a> <span class="badge ${esc(st.state)}">${esc(st.state)}</span>`;
  tb.innerHTML = `<tr class="group"><th colspan="7">${head}</th></tr>` + svcRows(st.services);
}

function apply(msg) {
  if (msg.type === "snapshot") {
    groups.forEach((tb) => tb.remove()); groups.clear();
    msg.stations.forEach(putStation);
    if (msg.site.length) putStation({station_id: "site", services: msg.site});
  } else {
    msg.stations.forEach(putStation);
  }
  document.getElementById("empty").hidden = groups.size > 0;
  relTimes();
}

document.querySelectorAll("#fleet tbody[data-station]").forEach((tb) => groups.set(tb.dataset.station, tb));
relTimes();
setInterval(relTimes, 5000);  // "12 s ago" keeps counting between status changes
liveSocket("/ws/fleet", apply);
