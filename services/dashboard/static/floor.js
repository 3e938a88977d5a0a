// The live floor: one tile per station, patched from WebSocket frames without a reload.
"use strict";
const tiles = new Map();
const data = new Map();  // station -> the whole tile; update frames carry only the changed fields
const floorEl = document.getElementById("floor");
// The chain's central view: tiles keyed by site and station (every site has its st-01), read-only (no station
// page to open: cues and reviews are the site's).
const central = floorEl.dataset.central === "1";
const keyOf = (t) => t.key || t.station_id;

function tileHtml(t) {
  const setLine = t.set_index
    ? `${esc(t.leg)} leg · set ${t.set_index}${t.sets_planned ? " of " + t.sets_planned : ""}` +
      (t.weight_kg != null ? ` · ${t.weight_kg} kg` : "") + (t.set_open ? "" : " · set done")
    : (t.member_id ? "choosing the weight" : "");
  const reps = t.set_index ? `${t.reps}${t.target_reps ? "/" + t.target_reps : ""} reps` : "";
  // passed, failed and not checked counted apart: a rep the camera could not judge is not a failure
  const counts = t.set_index
    ? `<span class="pass">${t.passed_reps ?? 0} passed</span><span class="${t.failed_reps ? "fail" : "muted"}">${t.failed_reps} failed</span>` +
      (t.unverified_reps ? `<span class="unverified">${t.unverified_reps} not checked</span>` : "")
    : "";
  const sid = t.site_id ? `<span class="site">${esc(t.site_id)}</span> ${esc(t.station_id)}` : esc(t.station_id);
  return `<header><span class="sid">${sid}</span><span class="badge ${t.state}">${t.state}</span></header>
    <div class="member">${t.member_id ? esc(t.member_name || t.member_id) : '<span class="muted">free</span>'}</div>
    ${t.member_id && t.goal_view ? `<div class="line goal">${goalLine(t.goal_view)}</div>` : ""}
    <div class="line">${setLine}</div>
    <div class="line">${reps}${t.force_n != null && t.member_id ? ` · ${Math.round(t.force_n)} N` : ""}</div>
    ${counts ? `<div class="line counts">${counts}</div>` : ""}
    <div class="verdict">${t.member_id || (t.last_verdict && !t.decided) ? verdictHtml(t.last_verdict) : ""}</div>
    ${t.cues.length ? `<div class="cues">${esc(t.cues.join(" · "))}</div>` : ""}
    ${!t.member_id && t.decided ? `<div class="decided"><div class="line">${esc(t.decided.member_name || t.decided.member_id)} finished:</div>${decisionShort(t.decided)}</div>` : ""}
    ${t.alerts.length ? `<div class="alerts">⚠ ${esc(t.alerts.join(" · "))}</div>` : ""}`;
}

function put(delta) {
  const key = keyOf(delta);
  const t = Object.assign(data.get(key) || {}, delta);
  data.set(key, t);
  let el = tiles.get(key);
  if (!el) {
    el = document.createElement(central ? "div" : "a");
    if (!central) el.href = "/stations/" + encodeURIComponent(t.station_id);
    el.dataset.station = key;
    tiles.set(key, el);
    const after = [...tiles.keys()].sort().find((k) => k > key);
    floorEl.insertBefore(el, after ? tiles.get(after) : null);
  }
  el.className = `tile ${t.state}${t.attention ? " attention" : ""}`;
  el.innerHTML = tileHtml(t);
}

function summary() {
  const all = [...tiles.values()];
  const n = (c) => all.filter((e) => e.classList.contains(c)).length;
  const sites = central ? ` at ${new Set([...data.values()].map((t) => t.site_id)).size} sites` : "";
  document.getElementById("summary").textContent =
    `${all.length} stations${sites} · ${n("online")} online · ${n("degraded")} degraded · ${n("offline")} offline · ${n("attention")} need attention`;
  document.getElementById("empty").hidden = all.length > 0;
}

function apply(msg) {
  if (msg.type === "snapshot") { tiles.clear(); data.clear(); floorEl.innerHTML = ""; }
  msg.stations.forEach(put);
  summary();
}

apply(JSON.parse(document.getElementById("snapshot").textContent));
liveSocket("/ws/floor", apply);
