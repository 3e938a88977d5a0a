// The live floor: one tile per station, patched from WebSocket frames without a reload.
"use strict";
const tiles = new Map();
const data = new Map();  // station -> the whole tile; update frames carry only the changed fields
const floorEl = document.getElementById("floor");

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
  return `<header><span class="sid">${esc(t.station_id)}</span><span class="badge ${t.state}">${t.state}</span></header>
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
  const t = Object.assign(data.get(delta.station_id) || {}, delta);
  data.set(t.station_id, t);
  let el = tiles.get(t.station_id);
  if (!el) {
    el = document.createElement("a");
    el.href = "/stations/" + encodeURIComponent(t.station_id);
    el.dataset.station = t.station_id;
    tiles.set(t.station_id, el);
    const after = [...tiles.keys()].sort().find((k) => k > t.station_id);
    floorEl.insertBefore(el, after ? tiles.get(after) : null);
  }
  el.className = `tile ${t.state}${t.attention ? " attention" : ""}`;
  el.innerHTML = tileHtml(t);
}

function summary() {
  const all = [...tiles.values()];
  const n = (c) => all.filter((e) => e.classList.contains(c)).length;
  document.getElementById("summary").textContent =
    `${all.length} stations · ${n("online")} online · ${n("degraded")} degraded · ${n("offline")} offline · ${n("attention")} need attention`;
  document.getElementById("empty").hidden = all.length > 0;
}

function apply(msg) {
  if (msg.type === "snapshot") { tiles.clear(); data.clear(); floorEl.innerHTML = ""; }
  msg.stations.forEach(put);
  summary();
}

apply(JSON.parse(document.getElementById("snapshot").textContent));
liveSocket("/ws/floor", apply);
