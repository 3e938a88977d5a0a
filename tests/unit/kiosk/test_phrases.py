"""The site's sentences in the member's language, decided in kiosk/state without Qt: every phrase has a
template in each language the kiosk speaks, with the phrase's parameters and no other; the renderer says a
phrase with the language's words and numbers, and an older site's English line as it is."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from kiosk.state.flow import Flow, Page
from kiosk.state.phrases import Line, kilograms, lines, say, say_all
from shared import contract as c
from shared.catalogue import default_catalogue
from shared.contract import CHECK_WORDS, FAULT_FIXES, FAULT_WORDS, ArgKind, Fault, Leg, PhraseKey, phrase

EX = default_catalogue()["hamstring-curl-kickback"]
TABLES = Path(__file__).resolve().parents[3] / "kiosk" / "i18n"
LANGUAGES = ("de",)  # every table the kiosk has besides English


@cache
def table(code: str) -> dict[str, str]:
    # As the kiosk reads it (kiosk/ui/i18n.py): keys with their whitespace collapsed.
    data = yaml.safe_load((TABLES / f"{code}.yaml").read_text(encoding="utf-8")) or {}
    return {" ".join(str(k).split()): str(v) for k, v in data.items()}


def lookup(code: str) -> Callable[[str], str]:
    t = table(code)
    return lambda s: t.get(" ".join(s.split()), s)


def parameters(template: str) -> set[str]:
    """A template's placeholders as parameter names: "{Leg}" is the parameter "leg" at a sentence's head."""
    return {f[:1].lower() + f[1:] for _, f, _, _ in string.Formatter().parse(template) if f}


def test_the_tables_cover_every_language_the_kiosk_offers() -> None:
    assert {p.stem for p in TABLES.glob("*.yaml")} == set(LANGUAGES)


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("key", list(PhraseKey))
def test_every_phrase_has_a_template_in_every_language_with_its_parameters(code: str, key: PhraseKey) -> None:
    spec = c.PHRASES[key]
    assert parameters(spec.template) == set(spec.args), "the English template"
    said = table(code).get(" ".join(spec.template.split()))
    assert said is not None, f"no {code} template for {key.value}: {spec.template!r}"
    assert parameters(said) == set(spec.args), f"the {code} template of {key.value}: {said!r}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_word_a_phrase_says_has_a_translation(code: str) -> None:
    """The words the parameters are said with: reps with their noun, faults joined, each fault's words and fix,
    each check's words, each leg (also at a sentence's head)."""
    words = [*c.PHRASE_WORDS, *FAULT_WORDS.values(), *FAULT_FIXES.values(), *CHECK_WORDS.values(),
             *(leg.value for leg in Leg), *(leg.value.capitalize() for leg in Leg)]
    missing = [w for w in words if w not in table(code)]
    assert missing == []
    for template in c.PHRASE_WORDS:
        assert parameters(table(code)[template]) == parameters(template), template


DE = lookup("de")


@pytest.mark.parametrize(("p", "german"), [
    (phrase(PhraseKey.REASON, cause=phrase(PhraseKey.FAULT_REPS, reps=3, fault=Fault.SWING),
            plan=phrase(PhraseKey.PLAN_INCREASE, kg=12.5, reps=6)),
     "Oberschenkel geschwungen (3 Wiederholungen) — auf 12,5 kg für 6 Wiederholungen steigern"),
    (phrase(PhraseKey.FAULT_REPS, reps=1, fault=Fault.BACK_ARCH), "Ins Hohlkreuz gegangen (1 Wiederholung)"),
    (phrase(PhraseKey.TOO_HEAVY, heavy=4, total=10, faults=[Fault.SWING, Fault.HIP_ROTATION]),
     "4 von 10 Wiederholungen mit Fehler (Oberschenkel geschwungen oder Hüfte geöffnet): Das Gewicht ist zu schwer"),
    (phrase(PhraseKey.SET_SHORT, set=2, done=4, target=10),
     "Satz 2 nach 4 von 10 Wiederholungen beendet: nächstes Mal gleiches Gewicht"),
    (phrase(PhraseKey.ALSO, reps=2, fault=Fault.FAST_ECCENTRIC, fix=Fault.FAST_ECCENTRIC),
     "Außerdem: Rückweg fallen gelassen (2 Wiederholungen) — Langsam senken, etwa 3 Sekunden"),
    (phrase(PhraseKey.UNCHECKED, reps=2, where=phrase(PhraseKey.IN_SETS, sets=[1, 3]), check=c.Check.SWING,
            why="the camera did not see this rep"),
     "2 Wiederholungen in Sätzen 1, 3 nicht geprüft (Oberschenkel ruhig: die Kamera hat diese Wiederholung nicht "
     "gesehen): nächstes Mal gleiches Gewicht"),
    (phrase(PhraseKey.MATCH_REPS, reps=10, leg=Leg.LEFT), "10 Wiederholungen wie das linke Bein"),
    (phrase(PhraseKey.LEG_GAP, gap=1 / 3, heavy=Leg.RIGHT, heavy_kg=15, light=Leg.LEFT, light_kg=10),
     "Beinunterschied 33 %: Rechtes Bein 15 kg, Linkes Bein 10 kg"),
    (phrase(PhraseKey.LAST_LEG, leg=Leg.LEFT, sets=3, reps=10, kg=11.25, passed=28, total=30),
     "Linkes Bein 3×10 mit 11,25 kg, 28/30 bestanden"),
    (phrase(PhraseKey.EXERCISE_TEXT, text="If you need to swing the leg or twist the hips, the weight is too heavy."),
     "Wenn Sie das Bein schwingen oder die Hüfte drehen müssen, ist das Gewicht zu schwer."),
])
def test_a_phrase_is_said_in_german_with_german_numbers(p: c.Phrase, german: str) -> None:
    assert say(p, "de", DE) == german
    assert say(p, "en", str) == p.say()  # in English: the site's own English, word for word


def test_an_older_sites_english_line_is_looked_up_whole_or_shown_as_it_is() -> None:
    assert say("First time: start light, as the seed advises beginners", "de", DE).startswith("Erstes Mal")
    assert say("3 reps swung the thigh: keep 12.5 kg", "de", DE) == "3 reps swung the thigh: keep 12.5 kg"
    assert say("", "de", DE) == ""


def test_a_message_says_its_phrases_when_it_has_one_per_line_else_its_english() -> None:
    p = phrase(PhraseKey.PASSED)
    assert lines([p], ["Every rep passed"]) == (p,)
    assert lines([], ["Every rep passed"]) == ("Every rep passed",)
    both = say_all(lines([p, p], ["a", "b"]), "de", DE, "; ")
    assert both == "Jede Wiederholung bestanden; Jede Wiederholung bestanden"


def test_weights_are_written_the_languages_way() -> None:
    assert [kilograms(x, "de") for x in (12.5, 5.0, 6.25)] == ["12,5 kg", "5 kg", "6,25 kg"]
    assert kilograms(12.5, "en") == "12.5 kg"
    assert kilograms(12.5, "xx") == "12.5 kg"  # a language with no style of its own: the English way


# English words that are never German: one in a German sentence means a word went past the table.
ENGLISH = re.compile(r"\b(the|your|and|with|of|or|to|at|for|leg|legs|reps?|sets?|keep|go|up|down|every|passed|"
                     r"also|time|weight|heavy|failed|could|not|checked|same|next|left|right|gap|kept|step|top|stack|"
                     r"no|today|first|start|light|planned|done|ended|after|match|running|sessions)\b", re.I)


def examples(key: PhraseKey) -> list[c.Phrase]:
    """The phrase with each value its parameters can name in turn (every fault, check and leg), numbers as a
    member meets them, one rep and several."""
    spec = c.PHRASES[key]
    values: dict[ArgKind, list[Any]] = {
        ArgKind.COUNT: [3], ArgKind.REPS: [1, 3], ArgKind.KG: [12.5], ArgKind.SHARE: [0.2],
        ArgKind.FAULT: list(Fault), ArgKind.FIX: list(Fault), ArgKind.FAULTS: [list(Fault)[:2]],
        ArgKind.LEG: list(Leg), ArgKind.CHECK: list(c.Check), ArgKind.TEXT: ["the camera did not see this rep"],
        ArgKind.NUMBERS: [[1, 2]], ArgKind.PHRASE: [phrase(PhraseKey.IN_SET, set=2)]}
    out = []
    for i in range(max(len(values[k]) for k in spec.args.values()) if spec.args else 1):
        out.append(phrase(key, **{n: values[k][i % len(values[k])] for n, k in spec.args.items()}))
    return out


@pytest.mark.parametrize("key", list(PhraseKey))
def test_every_phrase_is_said_in_german_with_no_english_word(key: PhraseKey) -> None:
    for p in examples(key):
        german = say(p, "de", DE)
        assert not ENGLISH.search(german), f"{p.say()!r} → {german!r}"
        assert "." not in german.replace("...", ""), german  # 12,5 kg


def test_the_flow_decides_which_of_the_sites_lines_to_show() -> None:
    """The summary's reasons, the plan's reason and the last session: the site's phrases when it sent them, else
    its English lines (an older site) — decided in the state, without Qt."""
    f = Flow(EX, lambda _t, _d: None)
    f.identify(c.IdMethod.BADGE, "0004521337")
    why = phrase(PhraseKey.REASON, cause=phrase(PhraseKey.PASSED), plan=phrase(PhraseKey.PLAN_KEEP, kg=5, reps=11))
    last = [phrase(PhraseKey.LAST_LEG, leg=Leg.LEFT, sets=3, reps=10, kg=5, passed=30, total=30)]
    f.apply(c.make_event("member.profile", "main", "st-01", c.MemberProfile(
        correlation_id=f.pending or "", status="ok", exercise=EX.id,
        member=c.MemberInfo(member_id="m-1", name="Ana", weaker_leg=Leg.LEFT),
        plan=[c.PlannedLeg(leg=Leg.LEFT, weight_kg=5, target_reps=11, sets=3, reasons=[why.say()], phrases=[why]),
              c.PlannedLeg(leg=Leg.RIGHT, weight_kg=5, target_reps=11, sets=3, reasons=["an older site's words"])],
        last_session=c.LastSession(session_id="s-0", ended=datetime(2026, 11, 20, tzinfo=UTC), goal="warm_up",
                                   summary=last[0].say(), phrases=last))))
    assert f.page == Page.WELCOME
    assert f.last_session == (last[0],)
    assert say_all(f.last_session, "de", DE) == "Linkes Bein 3×10 mit 5 kg, 30/30 bestanden"
    left, right = profile_plan(f)
    assert f.plan_reason(left) == why and f.plan_reason(right) == "an older site's words"
    older = c.LastSession(session_id="s-0", ended=datetime(2026, 11, 20, tzinfo=UTC), goal="warm_up",
                          summary="left 3x10 @ 5 kg, 30/30 passed")
    f.profile = f.profile.model_copy(update={"last_session": older}) if f.profile else None
    older_line: tuple[Line, ...] = f.last_session  # read again (mypy keeps the first read's narrowing)
    assert older_line == ("left 3x10 @ 5 kg, 30/30 passed",)
    f.choose_goal("warm_up")
    f.start_training()
    sid = f.session_id or ""
    f.apply(c.make_event("set.summary", "main", "st-01", c.SetSummary(
        session_id=sid, set_index=1, leg=Leg.LEFT, weight_kg=5, target_reps=12, reps=12, passed_reps=12)))
    f.apply(c.make_event("recommendation", "main", "st-01", c.Recommendation(
        session_id=sid, member_id="m-1", exercise=EX.id, leg=Leg.LEFT, goal="warm_up", current_weight_kg=5,
        next_weight_kg=5, next_target_reps=13, action=c.Action.HOLD, reasons=[why.say()], phrases=[why])))
    (card,) = f.leg_summaries()
    assert card.reasons == (why,)
    assert [say(r, "de", DE) for r in card.reasons] == [
        "Jede Wiederholung bestanden — 5 kg für 11 Wiederholungen beibehalten"]


def profile_plan(f: Flow) -> list[c.PlannedLeg]:
    return list(f.profile.plan) if f.profile else []
