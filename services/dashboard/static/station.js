// One station: a rolling force trace on a <canvas>, camera cues, and the rep list, all live.
"use strict";
const TRACE_SECONDS = 10;  // the last 10 s: two or three reps of the seed's tempo
let hz = 80, trace = [], dirty = true;
const canvas = document.getElementById("trace");
const repsEl = document.getElementById("reps");
const headEl = document.getElementById("reps-head");
const rows = new Map();  // rep key -> its <tr>
const repData = new Map();  // rep key -> the row's data, to redraw every row when a metric column appears
const METRICS = JSON.parse(document.getElementById("metrics").textContent);
const KNOWN = new Map(METRICS.map((m) => [m.key, m]));
let cols = [];  // the metric columns shown: those any rep so far has, in the catalogue's order
let current = null;  // the tile: its set, to put the cues for this set's faults first

function setTile(t) {
  if (!t) return;
  const st = document.getElementById("state");
  st.textContent = t.state; st.className = "badge " + t.state;
  document.getElementById("who").textContent = t.member_id
    ? `${t.member_name || t.member_id} · ${t.leg || ""} leg` + (t.set_index ? ` · set ${t.set_index}${t.sets_planned ? " of " + t.sets_planned : ""}` : "") +
      (t.weight_kg != null ? ` · ${t.weight_kg} kg` : "")
    : "free";
  document.getElementById("goal").textContent = t.member_id && t.goal_view ? "Goal: " + goalLine(t.goal_view) : "";
  document.getElementById("decided").innerHTML = decisionHtml(t.decided, true);
  relTimes();
  if (t.cues) showCues(t.cues);
  current = t;
  markQuickCues();
}
function markQuickCues() {
  // the tips for faults seen in the current set first, marked: one tap for what the trainer just saw
  const seen = new Set();
  repData.forEach((r) => {
    if (current && r.set_index === current.set_index && r.leg === current.leg && r.session_id === current.session_id)
      (r.faults || []).forEach((f) => seen.add(f));
  });
  const box = document.getElementById("quick-cues");
  const btns = [...box.children];
  btns.forEach((b) => b.classList.toggle("seen", seen.has(b.dataset.fault)));
  btns.filter((b) => b.classList.contains("seen")).reverse().forEach((b) => box.prepend(b));
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
function metricOf(key) {
  if (KNOWN.has(key)) return KNOWN.get(key);
  const m = /_(deg|s|n|kg|m)$/.exec(key), unit = m ? {deg: "°", s: "s", n: "N", kg: "kg", m: "m"}[m[1]] : "";
  const words = (m ? key.slice(0, -m[0].length) : key).replace(/_/g, " ");
  return {key, name: words.charAt(0).toUpperCase() + words.slice(1), unit, why: "", digits: 1};
}
function drawHead() {
  // a row naming the sensor over its columns: the camera's angles and times, then the load cell's forces
  const groups = [];
  for (const k of cols) {
    const sensor = metricOf(k).sensor || "other";
    if (groups.length && groups[groups.length - 1][0] === sensor) groups[groups.length - 1][1]++;
    else groups.push([sensor, 1]);
  }
  headEl.innerHTML = (cols.length ? '<tr class="sensors"><th colspan="4" class="blank"></th>' +
    groups.map(([s, n]) => `<th colspan="${n}">${esc(s === "camera" ? "Camera" : s === "load cell" ? "Load cell" : "Other")}</th>`).join("") + "</tr>" : "") +
    '<tr><th title="Set · leg · rep">Rep</th><th>Verdict</th><th>Faults / not checked</th><th class="review-col">Review</th>' +
    cols.map((k) => { const m = metricOf(k); return `<th class="num" title="${esc(m.why)}">${esc(m.name)}<br><span class="unit">${esc(m.unit)}</span></th>`; }).join("") + "</tr>";
}
function ensureCols(metrics) {
  const missing = Object.keys(metrics || {}).filter((k) => !cols.includes(k));
  if (!missing.length) return false;
  const all = new Set([...cols, ...missing]);
  cols = [...METRICS.map((m) => m.key).filter((k) => all.has(k)), ...[...all].filter((k) => !KNOWN.has(k)).sort()];
  drawHead();
  return true;
}
function cell(k, v) {
  if (v == null) return '<td class="num muted">—</td>';
  const m = metricOf(k), txt = (+v).toFixed(m.digits);
  return `<td class="num">${m.unit === "kg" ? String(+txt) : txt}</td>`;  // 15 kg, 16.25 kg: as the stack reads
}
function rowHtml(r) {
  const m = r.metrics || {};
  const st = statusOf(r), [cls, mark, label] = STATUS[st];
  // An unverified rep says which blocking check was not made and why ("hips square (hips not in view)").
  const faults = [esc(r.words.join(", ")), (r.unchecked || []).length || st === "unverified"
    ? `<span class="unverified">not checked: ${uncheckedText(r, true)}</span>` : ""].filter(Boolean).join("; ");
  return `<td class="rep-id">set ${r.set_index ?? "—"} · ${esc(r.leg)} · <b>${r.rep_index}</b></td>` +
    `<td class="${cls} verdict">${mark} ${label}${r.revision ? " (revised)" : ""}</td>` +
    `<td class="faults">${faults || "—"}</td>` +
    `<td class="review-col"><button type="button" class="wrong" data-key="${esc([r.session_id, r.set_index, r.leg, r.rep_index].join("/"))}">Wrong?</button></td>` +
    cols.map((k) => cell(k, m[k])).join("");
}
function putRep(r) {
  const key = [r.session_id, r.set_index, r.leg, r.rep_index].join("/");
  let tr = rows.get(key);
  if (!tr) { tr = document.createElement("tr"); rows.set(key, tr); repsEl.prepend(tr); }
  repData.set(key, r);
  tr.className = "rep-" + statusOf(r);
  tr.dataset.key = key;
  if (ensureCols(r.metrics)) rows.forEach((row, k) => { if (k !== key) row.innerHTML = rowHtml(repData.get(k)); });
  tr.innerHTML = rowHtml(r);
  while (repsEl.children.length > 40) {
    const last = repsEl.lastElementChild;
    rows.delete(last.dataset.key); repData.delete(last.dataset.key); last.remove();
  }
  markQuickCues();
}
function draw() {
  if (dirty) {
    dirty = false;
    const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== w * dpr) { canvas.width = w * dpr; canvas.height = h * dpr; }
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const ticks = niceTicks(0, Math.max(100, ...trace) * 1.05, 4), maxF = ticks[ticks.length - 1];
    const left = 50, bottom = h - 20;
    g.strokeStyle = "#2f3b46"; g.fillStyle = "#93a1ad"; g.font = "12px system-ui"; g.lineWidth = 1;
    g.textAlign = "right";
    for (const v of ticks) {
      const y = bottom - (bottom - 8) * v / maxF;
      g.beginPath(); g.moveTo(left, y); g.lineTo(w - 6, y); g.stroke();
      g.fillText(v + " N", left - 6, y + 4);
    }
    g.textAlign = "left";
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
    trace = []; rows.clear(); repData.clear(); repsEl.innerHTML = "";
    cols = []; drawHead();
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
// A trainer marks a verdict wrong: the form takes the rep's identity and asks what was really there.
const reviewForm = document.getElementById("review-form");
repsEl.addEventListener("click", (e) => {
  const btn = e.target.closest("button.wrong");
  if (!btn) return;
  const r = repData.get(btn.dataset.key);
  if (!r) return;
  for (const k of ["session_id", "set_index", "leg", "rep_index"]) reviewForm.elements[k].value = r[k] ?? "";
  reviewForm.querySelectorAll("input[name=fault]").forEach((cb) => { cb.checked = false; });
  const said = r.words.length ? r.words.join(", ") : (statusOf(r) === "passed" ? "passed, no fault" : "not checked");
  document.getElementById("review-what").textContent =
    `Set ${r.set_index ?? "—"}, ${r.leg} leg, rep ${r.rep_index}: the station said ${said}.`;
  reviewForm.hidden = false;
  reviewForm.scrollIntoView({block: "nearest"});
});
document.getElementById("review-cancel").addEventListener("click", () => { reviewForm.hidden = true; });
apply(JSON.parse(document.getElementById("snapshot").textContent));
requestAnimationFrame(draw);
liveSocket("/ws/stations/" + encodeURIComponent(document.getElementById("station").dataset.station), apply);
