"""The virtual member at the kiosk: taps in, starts and ends sets, signs out (as kiosk events)."""

from __future__ import annotations

import logging
import threading
import uuid

from services.simulator.script import SetPlan, demo_set
from shared.contract import Leg, SessionEnded, SessionStarted, SetEnded, SetStarted
from shared.mqtt import MqttBus

log = logging.getLogger(__name__)

# After the last rep, the camera needs a moment to see the leg settle and close the rep.
SETTLE_S = 1.5


def run_session(bus: MqttBus, stop: threading.Event, plans: list[SetPlan] | None = None,
                member_id: str = "m-demo", goal: str = "strength_control") -> None:
    plans = plans or [demo_set(Leg.LEFT)]
    sid = "s-" + uuid.uuid4().hex[:10]
    legs = list(dict.fromkeys(p.leg for p in plans))
    bus.emit("session.started", SessionStarted(session_id=sid, member_id=member_id, member_name="Demo Member",
                                               exercise="hamstring-curl-kickback", goal=goal, leg_order=legs))
    per_leg: dict[Leg, int] = {}
    for plan in plans:
        per_leg[plan.leg] = per_leg.get(plan.leg, 0) + 1
        k = per_leg[plan.leg]
        common = {"session_id": sid, "set_index": k, "leg": plan.leg, "weight_kg": plan.weight_kg,
                  "target_reps": len(plan.reps)}
        bus.emit("set.started", SetStarted(**common))
        log.info("set %d (%s leg, %d reps, %.1f kg) started", k, plan.leg.value, len(plan.reps), plan.weight_kg)
        if stop.wait(plan.duration_s + SETTLE_S):
            bus.emit("set.ended", SetEnded(**common, end_reason="aborted"))
            break
        bus.emit("set.ended", SetEnded(**common))
    bus.emit("session.ended", SessionEnded(session_id=sid, member_id=member_id,
                                           reason="aborted" if stop.is_set() else "completed"))
