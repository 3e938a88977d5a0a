// A WebSocket that reconnects by itself (backoff 0.5 s → 5 s) and shows its state in #conn.
"use strict";
function liveSocket(path, onMessage) {
  const conn = document.getElementById("conn");
  let delay = 500;
  function setConn(live, text) {
    if (!conn) return;
    conn.textContent = text;
    conn.classList.toggle("live", live);
  }
  function open() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + path);
    ws.onopen = () => { delay = 500; setConn(true, "live"); };
    ws.onmessage = (e) => onMessage(JSON.parse(e.data));
    ws.onclose = (e) => {
      if (e.code === 4401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return; }
      if (e.code === 4403) { setConn(false, "not allowed"); return; }  // signed in, wrong role: retrying cannot help
      setConn(false, "reconnecting…");
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 5000);
    };
    ws.onerror = () => ws.close();
  }
  open();
}
function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}
function ago(iso) {
  if (!iso) return "—";
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return Math.round(s) + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  if (s < 48 * 3600) return Math.round(s / 3600) + " h ago";
  return Math.round(s / 86400) + " days ago";
}
function relTimes() {
  document.querySelectorAll("[data-ts]").forEach((el) => {
    if (el.dataset.ts) { el.title = el.dataset.ts; el.textContent = ago(el.dataset.ts); }
  });
}
// A rep's three states, each with its own colour and label: unverified (no fault found, but a blocking
// check such as "hips square" could not be made) is neither passed nor failed.
const STATUS = {passed: ["pass", "✓", "passed"], failed: ["fail", "✗", "failed"],
                unverified: ["unverified", "?", "not checked"]};
function statusOf(v) { return STATUS[v.status] ? v.status : (v.passed ? "passed" : "failed"); }
function uncheckedText(v, withWhy) {
  const u = v.unchecked || [];
  if (!u.length) return "a blocking check was not made";
  return u.map((k) => esc(k.words) + (withWhy && k.why ? ` (${esc(k.why)})` : "")).join(", ");
}
function verdictHtml(v) {
  if (!v) return '<span class="muted">no rep yet</span>';
  const st = statusOf(v), [cls, mark] = STATUS[st], head = `${mark} Rep ${v.rep_index} (${esc(v.leg)})`;
  if (st === "passed") return `<span class="${cls}">${head} passed</span>`;
  if (st === "unverified") return `<span class="${cls}" title="${uncheckedText(v, true)}">${head} not checked: ${uncheckedText(v, false)}</span>`;
  return `<span class="${cls}">${head}: ${esc(v.words.join(", "))}</span>`;
}
// What the station decided at the end of a session: per leg the plan for next time, why, and the trainer's flags.
const ACTION = {increase: ["up", "↑ go up"], decrease: ["down", "↓ go down"], hold: ["hold", "= hold"]};
function kg(v) { return v == null ? "—" : `${+v.toFixed(2)} kg`; }
function legPlan(r) {
  const [cls, word] = ACTION[r.action] || ACTION.hold;
  const from = r.current_weight_kg != null && r.current_weight_kg !== r.next_weight_kg ? `${kg(r.current_weight_kg)} → ` : "";
  return `<span class="action ${cls}">${word}</span> ${from}<b>${kg(r.next_weight_kg)} × ${r.next_target_reps} reps</b>`;
}
function decisionShort(d) {
  // one line per leg for a floor tile: "left ↑ go up 16.25 kg × 8 reps"
  return d.legs.map((r) => `<div class="line decided-leg">${esc(r.leg)} ${legPlan(r)}</div>`).join("");
}
function decisionHtml(d, withWho) {
  if (!d || !d.legs.length) return '<p class="muted">No session has ended here yet. When one does, the plan for each ' +
    "leg (next weight and reps, and why) and any flag for the trainer show here.</p>";
  const g = d.goal_view ? ` · ${esc(d.goal_view.name)}` : "";
  const head = withWho ? `<p class="muted">${esc(d.member_name || d.member_id)}${g}` +
    (d.ts ? ` · decided <span data-ts="${esc(d.ts)}"></span>` : "") + "</p>" : "";
  const flags = (d.flags || []).map((f) => `<p class="flag">⚑ ${esc(f)}</p>`).join("");
  const legs = d.legs.map((r) => `<div class="leg" data-leg="${esc(r.leg)}"><h3>${esc(r.leg.charAt(0).toUpperCase() + r.leg.slice(1))} leg</h3>` +
    `<p class="plan">${legPlan(r)}</p><ul class="reasons">${r.reasons.map((x) => `<li>${esc(x)}</li>`).join("")}</ul></div>`).join("");
  return `${head}${flags}<div class="legs">${legs}</div>`;
}
function goalLine(g) {
  if (!g) return "";
  return [g.exercise, g.name, g.plan, g.tempo, g.squeeze].filter(Boolean).map(esc).join(" · ");
}
// Axis ticks at 1, 2 or 5 × a power of ten: "0 50 100 150 N", never "0 41 83 124 N".
function niceTicks(lo, hi, count) {
  const span = Math.max(hi - lo, 1e-9), raw = span / Math.max(count, 1), p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
  const out = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-6; v += step) out.push(+v.toFixed(6));
  if (out[out.length - 1] < hi) out.push(+(out[out.length - 1] + step).toFixed(6));
  return out;
}
