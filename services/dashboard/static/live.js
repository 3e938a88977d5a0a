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
  return Math.round(s / 3600) + " h ago";
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
