// A member's last recommendation, kept live: when a session of theirs ends at any station, the floor's frame
// carries the station's decision and it replaces the one shown (no reload).
"use strict";
const box = document.getElementById("decision");
const member = box.dataset.member;
const decidedEl = document.getElementById("decided");
let shown = JSON.parse(document.getElementById("decision-data").textContent);

function show(d) {
  shown = d;
  decidedEl.innerHTML = d ? decisionHtml(d, true) : '<p class="muted">No recommendation yet: it comes when a session ends.</p>';
  document.getElementById("decision-source").textContent = d && d.saved ? "(the saved plan)" : "";
  box.classList.toggle("flagged", !!(d && d.flags && d.flags.length));
  relTimes();
}
function apply(msg) {
  for (const t of msg.stations) {
    const d = t.decided;
    if (d && d.member_id === member && (!shown || shown.saved || shown.session_id !== d.session_id ||
        JSON.stringify(shown.legs) !== JSON.stringify(d.legs))) show(d);
  }
}
show(shown);
setInterval(relTimes, 5000);
liveSocket("/ws/floor", apply);
