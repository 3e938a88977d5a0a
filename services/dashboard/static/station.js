// One station: a rolling force trace on a <canvas>, camera cues, and the rep list, all live.
"use strict";
const TRACE_SECONDS = 10;  // the last 10 s: two or three reps of the seed's tempo
let hz = 80, trace = [], dirty = true;
const canvas = document.getElementById("trace");
const repsEl = document.getElementById("reps");
const rows = new Map();

function setTile(t) {
  if (!t) return;
  const st = document.getElementById("state");
  st.textContent = t.state; st.className = "badge " + t.state;
  document.getElementById("who").textContent = t.member_id
    ? `${t.member_name || t.member_id} · ${t.leg || ""} leg` + (t.set_index ? ` · set ${t.set_index}${t.sets_planned ? " of " + t.sets_planned : ""}` : "") +
      (t.weight_kg != null ? ` · ${t.weight_kg} kg` : "")
    : "free";
  if (t.cues) showCues(t.cues);
}
function showCues(cues) {
  document.getElementById("cues").innerHTML = cues.length
    ? cues.map((c) => `<li>${esc(c)}</li>`).join("") : '<li class="muted">No cue right now.</li>';
}
function showPose(p) {
  showCues(p.cues || []);
  const f = (v) => v == null ? "—" : v.toFixed(0) + "°";
  document.getElementById("angles").innerHTML = p.person_visible
    ? `<dt>Knee</dt><dd>${f(p.knee_flexion_deg)}</dd><dt>Thigh</dt><dd>${f(p.thigh_angle_deg)}</dd>` +
      `<dt>Pelvis</dt><dd>${f(p.pelvis_rotation_deg)}</dd><dt>Torso</dt><dd>${f(p.torso_angle_deg)}</dd>`
    : "<dt>Camera</dt><dd>nobody in view</dd>";
}
function addTrace(samples, rate) {
  hz = rate || hz;
  trace = trace.concat(samples);
  const keep = Math.round(TRACE_SECONDS * hz);
  if (trace.length > keep) trace = trace.slice(trace.length - keep);
  dirty = true;
}
const M = (v) => v == null ? "—" : v;
function putRep(r) {
  const key = [r.session_id, r.set_index, r.leg, r.rep_index].join("/");
  let tr = rows.get(key);
  if (!tr) { tr = document.createElement("tr"); rows.set(key, tr); repsEl.prepend(tr); }
  const m = r.metrics || {};
  const skip = new Set(["concentric_s", "eccentric_s", "peak_force_n", "load_kg", "top_hold_s", "peak_velocity"]);
  const other = Object.entries(m).filter(([k]) => !skip.has(k)).map(([k, v]) => `${k.replace(/_/g, " ")} ${v}`).join(", ");
  const st = statusOf(r), [cls, mark, label] = STATUS[st];
  tr.className = "rep-" + st;
  // An unverified rep says which blocking check was not made and why ("hips square (hips not in view)").
  const faults = [esc(r.words.join(", ")), (r.unchecked || []).length || st === "unverified"
    ? `<span class="unverified">not checked: ${uncheckedText(r, true)}</span>` : ""].filter(Boolean).join("; ");
  tr.innerHTML = `<td>${M(r.set_index)}</td><td>${esc(r.leg)}</td><td>${r.rep_index}</td>` +
    `<td class="${cls} verdict">${mark} ${label}${r.revision ? " (revised)" : ""}</td>` +
    `<td>${faults || "—"}</td><td>${M(m.concentric_s)}</td><td>${M(m.eccentric_s)}</td>` +
    `<td>${M(m.peak_force_n)}</td><td>${M(m.load_kg)}</td><td class="metrics">${esc(other)}</td>`;
  while (repsEl.children.length > 40) { const last = repsEl.lastElementChild; rows.forEach((v, k) => { if (v === last) rows.delete(k); }); last.remove(); }
}
function draw() {
  if (dirty) {
    dirty = false;
    const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== w * dpr) { canvas.width = w * dpr; canvas.height = h * dpr; }
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const maxF = Math.max(100, ...trace) * 1.1, left = 44, bottom = h - 20;
    g.strokeStyle = "#2f3b46"; g.fillStyle = "#93a1ad"; g.font = "12px system-ui"; g.lineWidth = 1;
    for (let k = 0; k <= 4; k++) {
      const y = bottom - (bottom - 8) * k / 4;
      g.beginPath(); g.moveTo(left, y); g.lineTo(w - 6, y); g.stroke();
      g.fillText(Math.round(maxF * k / 4) + " N", 2, y + 4);
    }
    g.fillText(`last ${TRACE_SECONDS} s`, w - 70, h - 4);
    if (trace.length > 1) {
      const n = Math.round(TRACE_SECONDS * hz), dx = (w - 6 - left) / n, x0 = left + (n - trace.length) * dx;
      g.strokeStyle = "#4589ff"; g.lineWidth = 2; g.beginPath();
      trace.forEach((f, i) => { const x = x0 + i * dx, y = bottom - (bottom - 8) * Math.max(0, f) / maxF; i ? g.lineTo(x, y) : g.moveTo(x, y); });
      g.stroke();
      document.getElementById("force-now").textContent = Math.round(trace[trace.length - 1]) + " N now";
    }
  }
  requestAnimationFrame(draw);
}
function apply(msg) {
  if (msg.type === "snapshot") {
    trace = []; rows.clear(); repsEl.innerHTML = "";
    addTrace(msg.trace.force_n, msg.trace.hz);
    setTile(msg.station);
    msg.reps.forEach(putRep);
    return;
  }
  if (msg.station) setTile(msg.station);
  for (const it of msg.items) {
    if (it.kind === "trace") addTrace(it.force_n, it.hz);
    else if (it.kind === "pose") showPose(it);
    else if (it.kind === "rep") putRep(it.rep);
  }
}
apply(JSON.parse(document.getElementById("snapshot").textContent));
requestAnimationFrame(draw);
liveSocket("/ws/stations/" + encodeURIComponent(document.getElementById("station").dataset.station), apply);
