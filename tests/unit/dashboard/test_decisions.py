"""What the station decided, on the floor: recommendations per leg, their flags as an attention state, the goal."""

from __future__ import annotations

from services.dashboard.floor import FloorState
from services.dashboard.plans import cues_for, describe_goal
from shared import contract as c
from shared.catalogue import DEFAULT_EXERCISE, default_catalogue

GAP = "Leg gap 20%: right 15 kg, left 12 kg"


def ev(etype: str, data: c.Model, station: str = "st-01") -> c.Envelope:
    return c.make_event(etype, "main", station, data)


def session(floor: FloorState, sid: str = "s1", member: str = "m1", name: str = "Ann") -> None:
    floor.apply(ev("session.started", c.SessionStarted(session_id=sid, member_id=member, member_name=name,
                                                       exercise=DEFAULT_EXERCISE, goal="hypertrophy",
                                                       leg_order=[c.Leg.LEFT, c.Leg.RIGHT])))


def recommend(leg: c.Leg, action: c.Action, flags: list[str], sid: str = "s1", member: str = "m1") -> c.Envelope:
    return ev("recommendation", c.Recommendation(
        session_id=sid, member_id=member, exercise=DEFAULT_EXERCISE, leg=leg, goal="hypertrophy",
        current_weight_kg=12.0, next_weight_kg=13.25 if action is c.Action.INCREASE else 12.0, next_target_reps=8,
        action=action, reasons=[f"{leg.value}: why"], flags=flags))


def test_a_session_end_then_its_recommendations_show_per_leg_with_the_flag_as_attention() -> None:
    floor = FloorState(describe_goal=describe_goal)
    session(floor)
    t = floor.tiles["st-01"]
    assert t.goal_view is not None and t.goal_view["plan"] == "3–4 sets × 8–12 reps per leg"
    assert t.goal_view["squeeze"] == "1–2 s squeeze at the top"
    floor.apply(ev("session.ended", c.SessionEnded(session_id="s1", member_id="m1")))
    assert not t.attention and t.decided is None
    change = floor.apply(recommend(c.Leg.LEFT, c.Action.INCREASE, [GAP]))
    assert change is not None and change.tile
    floor.apply(recommend(c.Leg.RIGHT, c.Action.HOLD, [GAP]))
    d = t.to_json()["decided"]
    assert [leg["leg"] for leg in d["legs"]] == ["left", "right"] and d["member_name"] == "Ann"
    assert d["legs"][0]["action"] == "increase" and d["legs"][0]["next_weight_kg"] == 13.25
    assert d["flags"] == [GAP]  # flagged on both legs, shown once
    assert t.attention and f"Ann: {GAP}" in t.alerts
    assert floor.member_decisions["m1"]["session_id"] == "s1"


def test_a_repeated_recommendation_replaces_its_leg_and_a_new_member_clears_the_flag() -> None:
    floor = FloorState()
    session(floor)
    floor.apply(ev("session.ended", c.SessionEnded(session_id="s1", member_id="m1")))
    floor.apply(recommend(c.Leg.LEFT, c.Action.HOLD, [GAP]))
    floor.apply(recommend(c.Leg.LEFT, c.Action.HOLD, []))
    t = floor.tiles["st-01"]
    assert len(t.decided["legs"]) == 1 and t.flags == [] and not t.attention  # type: ignore[index]
    floor.apply(recommend(c.Leg.RIGHT, c.Action.HOLD, [GAP]))
    assert t.attention
    session(floor, "s2", "m2", "Raj")
    assert t.decided is None and not t.attention and floor.member_decisions["m1"]["flags"] == [GAP]


def test_a_late_recommendation_goes_to_the_member_only_when_the_next_member_trains() -> None:
    floor = FloorState()
    session(floor)
    floor.apply(ev("session.ended", c.SessionEnded(session_id="s1", member_id="m1")))
    session(floor, "s2", "m2", "Raj")
    assert floor.apply(recommend(c.Leg.LEFT, c.Action.DECREASE, [GAP])) is None
    assert floor.tiles["st-01"].decided is None and not floor.tiles["st-01"].attention
    assert floor.member_decisions["m1"]["legs"][0]["action"] == "decrease"


def test_goal_views_name_the_tempo_and_the_squeeze_only_where_the_goal_asks() -> None:
    tempo = describe_goal(DEFAULT_EXERCISE, "tempo_focus")
    assert tempo is not None and tempo["tempo"] == "2 s up · 3 s down" and tempo["squeeze"] == ""
    warm = describe_goal(DEFAULT_EXERCISE, "warm_up")
    assert warm is not None and warm["plan"] == "2 sets × 12–15 reps per leg" and warm["tempo"] == ""
    assert describe_goal(DEFAULT_EXERCISE, "no-such-goal") is None and describe_goal("no-such", "x") is None


def test_one_tap_cues_are_the_seeds_mistakes_and_tips_and_fit_the_kiosk() -> None:
    ex = default_catalogue()[DEFAULT_EXERCISE]
    cues = cues_for(DEFAULT_EXERCISE)
    labels = [q.label for q in cues]
    assert labels[: len(ex.mistakes)] == [m.title for m in ex.mistakes]  # the mistakes first
    assert {t.title for t in ex.tips} <= set(labels)
    assert len({q.id for q in cues}) == len(cues)
    assert all(1 <= len(q.message) <= 200 for q in cues)  # KioskCue.message's bounds
    swing = next(q for q in cues if q.label == "Do not swing")
    assert swing.fault is c.Fault.SWING and swing.message.startswith("Do not swing. Momentum")
    # every blocking fault of the progression rule has a one-tap fix
    assert set(ex.progression.blocking_faults) <= {q.fault for q in cues}


def test_a_recommendation_that_overtakes_its_session_end_still_names_the_member() -> None:
    floor = FloorState()
    session(floor)
    floor.apply(recommend(c.Leg.LEFT, c.Action.HOLD, [GAP]))  # from progression's connection, before the kiosk's
    floor.apply(ev("session.ended", c.SessionEnded(session_id="s1", member_id="m1")))
    t = floor.tiles["st-01"]
    assert t.decided is not None and t.decided["member_name"] == "Ann" and t.attention


def test_last_seen_never_goes_back_when_a_slower_connections_event_arrives_late() -> None:
    floor = FloorState()
    session(floor)
    late = recommend(c.Leg.LEFT, c.Action.HOLD, [])
    newer = ev("load.trace", c.LoadTrace(t0=0, hz=80, force_n=[60.0]))
    floor.apply(newer)
    floor.apply(late)  # made before the trace, delivered after it
    assert late.ts < newer.ts and floor.tiles["st-01"].last_seen == newer.ts


def test_an_erased_member_leaves_no_name_nor_decision_on_the_floor() -> None:
    floor = FloorState()
    session(floor)
    floor.apply(ev("session.ended", c.SessionEnded(session_id="s1", member_id="m1")))
    floor.apply(recommend(c.Leg.LEFT, c.Action.HOLD, [GAP]))
    session(floor, "s2", "m2", "Raj")
    floor.forget_member("m1")
    t = floor.tiles["st-01"]
    assert "m1" not in floor.member_decisions and t.ended is None and "Ann" not in str(t.to_json())
    assert t.member_name == "Raj"  # the member training now keeps his name
