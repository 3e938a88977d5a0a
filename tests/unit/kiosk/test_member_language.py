"""A member's language is remembered with the member: the kiosk opens in it at their next tap-in, sends the
one they used with the session's end (and with an enrol), and the next member starts in the default."""

from __future__ import annotations

from kiosk.state.flow import Flow, Page
from shared import contract as c
from shared.catalogue import default_catalogue

EX = default_catalogue()["hamstring-curl-kickback"]


def signed_in(language: str | None, languages: tuple[str, ...] = ("en", "de")) -> tuple[Flow, list[c.Model]]:
    sent: list[c.Model] = []
    f = Flow(EX, lambda _t, d: sent.append(d), languages=languages)
    f.set_broker_online(True)
    f.identify(c.IdMethod.BADGE, "0004521337")
    f.apply(c.make_event("member.profile", "main", "st-01", c.MemberProfile(
        correlation_id=f.pending or "", status="ok", exercise=EX.id,
        member=c.MemberInfo(member_id="m-1", name="Jonas", weaker_leg=c.Leg.LEFT, language=language))))
    return f, sent


def test_the_kiosk_opens_in_the_members_remembered_language() -> None:
    f, _ = signed_in("de")
    assert f.page == Page.WELCOME and f.language == "de"


def test_a_language_this_kiosk_cannot_show_leaves_the_default() -> None:
    f, _ = signed_in("pt")
    assert f.language == "en"


def test_the_session_end_carries_the_language_used_and_the_next_member_starts_in_the_default() -> None:
    f, sent = signed_in(None)
    f.choose_goal(EX.goals[0].id)
    f.start_training()
    f.choose_language("de")
    f.sign_out()
    ended = [d for d in sent if isinstance(d, c.SessionEnded)]
    assert ended and ended[-1].language == "de"
    assert f.language == "en" and f.languages == ("en", "de")  # the next member: the default, same kiosk


def test_a_guests_language_is_not_sent() -> None:
    sent: list[c.Model] = []
    f = Flow(EX, lambda _t, d: sent.append(d), languages=("en", "de"))
    f.start_guest()
    f.choose_goal(EX.goals[0].id)
    f.start_training()
    f.choose_language("de")
    f.sign_out()
    ended = [d for d in sent if isinstance(d, c.SessionEnded)]
    assert ended and ended[-1].language is None


def test_an_enrol_carries_the_language_chosen() -> None:
    sent: list[c.Model] = []
    f = Flow(EX, lambda _t, d: sent.append(d), languages=("en", "de"))
    f.set_broker_online(True)
    f.identify(c.IdMethod.BADGE, "0004521399")
    f.apply(c.make_event("member.profile", "main", "st-01", c.MemberProfile(correlation_id=f.pending or "",
                                                                            status="unknown")))
    f.choose_language("de")
    f.enrol("Jonas", c.Leg.LEFT)
    enrols = [d for d in sent if isinstance(d, c.MemberEnrol)]
    assert enrols and enrols[-1].language == "de"
