// Fleet health, live: each station's services are re-rendered when a retained status changes.
"use strict";
const fleetEl = document.getElementById("fleet");
const groups = new Map();  // station key ("site" for the site services) -> its <tbody>
// The chain's central view: groups keyed by site and station ("north/st-01", "north/site"), one site after the
// other, each site's own services heading its stations; no station page to open there (it is the site's).
const keyOf = (st) => st.key || st.station_id;
function order(st) {
  if (st.site_id) return st.site_id + "\u0000" + (st.station_id === "site" ? "" : "\u0001" + st.station_id);
  return st.station_id === "site" ? "\uffff" : st.station_id;  // a site's stations in id order, its services last
}

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
  const key = keyOf(st);
  let tb = groups.get(key);
  if (!tb) {
    tb = document.createElement("tbody");
    tb.dataset.station = key;
    tb.dataset.order = order(st);
    groups.set(key, tb);
    const after = [...groups.values()].filter((g) => g.dataset.order > tb.dataset.order)
      .sort((a, b) => (a.dataset.order < b.dataset.order ? -1 : 1))[0];
    fleetEl.insertBefore(tb, after || null);
  }
  const badge = `<span class="badge ${esc(st.state)}">${esc(st.state)}</span>`;
  let head;
  if (st.station_id === "site") head = st.site_id ? `Site ${esc(st.site_id)} <span class="muted">its services</span>` : "Site services";
  else if (st.site_id) head = `<span class="site">${esc(st.site_id)}</span> ${esc(st.station_id)} ${badge}`;
  else head = `<a href="/stations/${encodeURIComponent(st.station_id)}">${esc(st.station_id)}</a> ${badge}`;
  tb.className = st.station_id === "site" && st.site_id ? "site-head" : "";
  tb.innerHTML = `<tr class="group"><th colspan="7">${head}</th></tr>` + svcRows(st.services);
}

function apply(msg) {
  if (msg.type === "snapshot") {
    groups.forEach((tb) => tb.remove()); groups.clear();
    if (msg.sites) {  // the central view: each site's services, then its stations
      msg.sites.forEach((s) => {
        putStation({station_id: "site", site_id: s.site_id, key: s.site_id + "/site", services: s.services});
        s.stations.forEach(putStation);
      });
    } else {
      msg.stations.forEach(putStation);
      if (msg.site.length) putStation({station_id: "site", services: msg.site});
    }
  } else {
    msg.stations.forEach(putStation);
  }
  document.getElementById("empty").hidden = groups.size > 0;
  relTimes();
}

document.querySelectorAll("#fleet tbody[data-station]").forEach((tb) => groups.set(tb.dataset.station, tb));  // server-rendered
relTimes();
setInterval(relTimes, 5000);  // "12 s ago" keeps counting between status changes
liveSocket("/ws/fleet", apply);
