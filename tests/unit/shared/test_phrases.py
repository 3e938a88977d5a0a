"""The site's sentences as phrases in the contract: a closed set of keys, each with its English template and
checked parameters; an older producer's message without phrases still parses."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest

from shared import contract as c
from shared.contract import Fault, Leg, PhraseKey, phrase


def placeholders(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}


def rec(**kw: Any) -> c.Recommendation:
    return c.Recommendation(session_id="s-1", member_id="m-1", exercise="hamstring-curl-kickback", leg=Leg.LEFT,
                            goal="hypertrophy", current_weight_kg=12.5, next_weight_kg=12.5, next_target_reps=10,
                            action=c.Action.HOLD, **kw)


REASON = phrase(PhraseKey.REASON, cause=phrase(PhraseKey.FAULT_REPS, reps=3, fault=Fault.SWING),
                plan=phrase(PhraseKey.PLAN_KEEP, kg=12.5, reps=10))


def test_every_key_has_an_english_template_whose_placeholders_are_its_parameters() -> None:
    assert set(c.PHRASES) == set(PhraseKey)
    for key, spec in c.PHRASES.items():
        assert placeholders(spec.template) == set(spec.args), key
        assert len(spec.args) <= 8, key  # what a phrase may carry


@pytest.mark.parametrize(("p", "english"), [
    (REASON, "3 reps swung the thigh: keep 12.5 kg for 10 reps"),
    (phrase(PhraseKey.FAULT_REPS, reps=1, fault=Fault.FAST_ECCENTRIC), "1 rep dropped the return"),
    (phrase(PhraseKey.TOO_HEAVY, heavy=4, total=10, faults=[Fault.SWING, Fault.HIP_ROTATION]),
     "4 of 10 reps swung the thigh or opened the hips: the weight is too heavy"),
    (phrase(PhraseKey.ALSO, reps=2, fault=Fault.BACK_ARCH, fix=Fault.BACK_ARCH),
     "Also: 2 reps arched the back — Brace the core and keep the ribs down"),
    (phrase(PhraseKey.UNCHECKED, reps=2, where=phrase(PhraseKey.IN_SETS, sets=[1, 3]), check=c.Check.HIP_ROTATION,
            why="hips not in view"),
     "2 reps in sets 1, 3 could not be checked (hips square: hips not in view): same weight next time"),
    (phrase(PhraseKey.LEG_GAP, gap=1 / 3, heavy=Leg.RIGHT, heavy_kg=15, light=Leg.LEFT, light_kg=10),
     "Leg gap 33%: right 15 kg, left 10 kg"),
    (phrase(PhraseKey.LAST_LEG, leg=Leg.LEFT, sets=3, reps=10, kg=11.25, passed=28, total=30),
     "left 3x10 @ 11.25 kg, 28/30 passed"),
])
def test_a_phrase_says_its_english(p: c.Phrase, english: str) -> None:
    assert p.say() == english
    assert c.Phrase.model_validate_json(p.model_dump_json()) == p  # and travels as it is


def test_a_recommendation_carries_a_phrase_per_reason_and_round_trips() -> None:
    flag = phrase(PhraseKey.LEG_GAP, gap=0.25, heavy=Leg.RIGHT, heavy_kg=20, light=Leg.LEFT, light_kg=15)
    data = rec(reasons=[REASON.say(), "Keep the thigh still and bend only the knee"],
               phrases=[REASON, phrase(PhraseKey.FIX, fix=Fault.SWING)], flags=[flag.say()], flag_phrases=[flag])
    back = c.parse_event(c.make_event("recommendation", "main", "st-01", data).to_json())
    assert isinstance(back, c.RecommendationEvent) and back.data == data
    assert [p.say() for p in back.data.phrases] == back.data.reasons
    assert [p.say() for p in back.data.flag_phrases] == back.data.flags


def test_an_older_producers_messages_without_phrases_still_parse() -> None:
    ev = c.make_event("recommendation", "main", "st-01", rec(reasons=["3 reps swung the thigh: keep 12.5 kg"]))
    doc = json.loads(ev.to_json())
    for field in ("phrases", "flag_phrases"):
        del doc["data"][field]
    back = c.parse_event(json.dumps(doc))
    assert isinstance(back, c.RecommendationEvent)
    assert back.data.phrases == [] and back.data.reasons == ["3 reps swung the thigh: keep 12.5 kg"]
    profile = c.MemberProfile(correlation_id="q-1", status="ok", plan=[
        c.PlannedLeg(leg=Leg.LEFT, weight_kg=12.5, target_reps=10, sets=3, reasons=["every rep passed"])],
        last_session=c.LastSession(session_id="s-0", ended="2026-11-20T18:00:00Z", goal="hypertrophy",
                                   summary="left 3x10 @ 11.25 kg, 30/30 passed"))
    doc = json.loads(c.make_event("member.profile", "main", "st-01", profile).to_json())
    del doc["data"]["plan"][0]["phrases"], doc["data"]["last_session"]["phrases"]
    old = c.parse_event(json.dumps(doc))
    assert isinstance(old, c.MemberProfileEvent) and old.data.last_session is not None
    assert old.data.plan[0].phrases == [] and old.data.last_session.phrases == []


@pytest.mark.parametrize(("doc", "needle"), [
    ({"key": "go_faster", "args": {}}, "key"),  # keys come from a closed set
    ({"key": "plan_keep", "args": {"kg": 12.5}}, "takes ['kg', 'reps']"),
    ({"key": "plan_keep", "args": {"kg": 12.5, "reps": 10, "sets": 3}}, "takes ['kg', 'reps']"),
    ({"key": "plan_keep", "args": {"kg": 500, "reps": 10}}, "kg must be a weight"),
    ({"key": "plan_keep", "args": {"kg": 12.5, "reps": -1}}, "reps must be a whole number"),
    ({"key": "plan_keep", "args": {"kg": 12.5, "reps": 2.5}}, "reps must be a whole number"),
    ({"key": "plan_keep", "args": {"kg": 12.5, "reps": True}}, "never true or false"),
    ({"key": "fault_reps", "args": {"reps": 2, "fault": "wobble"}}, "fault must be one of"),
    ({"key": "match_reps", "args": {"reps": 10, "leg": "middle"}}, "leg must be one of"),
    ({"key": "too_heavy", "args": {"heavy": 4, "total": 10, "faults": []}}, "faults must be a list of faults"),
    ({"key": "in_sets", "args": {"sets": [0]}}, "sets must be a list of 1–20 set numbers"),
    ({"key": "exercise_text", "args": {"text": "x" * 501}}, "at most 500 characters"),
    ({"key": "reason", "args": {"cause": "3 reps", "plan": {"key": "passed", "args": {}}}}, "cause must be a phrase"),
])
def test_a_bad_phrase_is_refused_with_a_reason(doc: dict[str, Any], needle: str) -> None:
    raw = json.loads(c.make_event("recommendation", "main", "st-01", rec(reasons=["x"])).to_json())
    raw["data"]["phrases"] = [doc]
    with pytest.raises(c.ContractError) as err:
        c.parse_event(json.dumps(raw))
    assert needle in err.value.args[0]


def test_phrases_nest_no_deeper_than_the_bound() -> None:
    p = phrase(PhraseKey.PASSED)
    for _ in range(c.PHRASE_DEPTH - 1):
        p = phrase(PhraseKey.REASON, cause=p, plan=p)
    assert p.depth() == c.PHRASE_DEPTH
    with pytest.raises(ValueError, match="nested at most"):
        phrase(PhraseKey.REASON, cause=p, plan=p)


def test_one_phrase_per_line_or_none() -> None:
    with pytest.raises(ValueError, match="2 phrases for 1 reasons"):
        rec(reasons=["x"], phrases=[REASON, REASON])
    with pytest.raises(ValueError, match="1 phrases for 0 flags"):
        rec(flag_phrases=[REASON])
    assert rec(reasons=["x", "y"]).phrases == []  # none: an older producer's, or words without a phrase


def test_a_translation_that_does_not_fit_gives_way_to_the_english() -> None:
    """A table's typo (a placeholder the phrase does not have) loses no sentence: the English template is said."""
    typo = c.Speech(lookup=lambda s: "behalte {gewicht}" if s == "keep {kg} for {reps} reps" else s)
    assert phrase(PhraseKey.PLAN_KEEP, kg=12.5, reps=10).say(typo) == "keep 12.5 kg for 10 reps"
