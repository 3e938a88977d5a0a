"""The member's flow at the station, as a pure state machine (no Qt, no paho).

Pages: attract → welcome (goal picker) → setup → execution ⇄ rest → summary → attract.
Info (tips, FAQ, equipment) and the operator screen open over any page. Events to send
go to `outbox`; events received come in through `apply`. Widgets subscribe to changes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

from kiosk.state.phase import Phase, PhaseTracker, step_for_phase
from kiosk.state.phrases import Line, lines
from kiosk.state.staff import reply_words, service_words
from kiosk.state.station import StationState, Tally
from kiosk.state.words import Words, joined, words
from shared.catalogue import Exercise, Goal
from shared.contract import (
    FAULT_FIXES,
    FAULT_WORDS,
    CameraPose,
    CameraPoseEvent,
    Envelope,
    Fault,
    IdMethod,
    KioskCueEvent,
    Leg,
    MemberEnrol,
    MemberIdentifiedEvent,
    MemberInfo,
    MemberLookup,
    MemberProfile,
    MemberProfileEvent,
    Model,
    PlannedLeg,
    Recommendation,
    RecommendationEvent,
    RepVerdict,
    RepVerdictEvent,
    ServiceState,
    SessionEnded,
    SessionStarted,
    SetEnded,
    SetStarted,
    SetSummary,
    SetSummaryEvent,
    StationCommand,
    StationReply,
    StationReplyEvent,
    StationStatusEvent,
)
from shared.corpus import SAVE_COMMAND, Label, save_args
from shared.handlers import HandlerTable
from shared.identity import pin_problem

Outbox = Callable[[str, Model], None]

# Members step away between sets; after this long with no touch and no rep the station signs out,
# so the next member does not train on someone else's plan.
INACTIVITY_S = 180.0
# Rest between sets of a hamstring isolation exercise: 60–90 s is the usual coaching range.
REST_S = 75.0
# Hands-free sets. After the target rep the set ends by itself once no rep has come for DONE_GRACE_S
# and the leg is not mid-rep: a rep's verdict lands as the leg comes back, and the member who starts
# one more at once is curling (not at rest) within that time. A member who stops short (tired, or
# done) gets STOPPED_S: two rests of a slow tempo rep (2 s curl, pause, 3 s return) and a breath.
DONE_GRACE_S = 4.0
STOPPED_S = 20.0
# A pose older than this says nothing about a rep under way (camera lost): the set may end anyway.
POSE_STALE_S = 2.0
# The camera sees the newly strapped leg bend past the rep's start (the camera's 25°): it is working.
STRAP_SEEN_DEG = 25.0
# A recorded set's span: from its set.started to its end, with the breath before the first curl and after
# the last return that a set's first and last reps need whole.
RECORD_MARGIN_S = 2.0


class Page(Enum):
    ATTRACT = "attract"
    WELCOME = "welcome"
    SETUP = "setup"
    EXECUTION = "execution"
    REST = "rest"
    STRAP = "strap"  # between legs: move the strap to the other ankle
    SUMMARY = "summary"


@dataclass(frozen=True)
class PlannedSet:
    leg: Leg
    index: int  # 1-based within the leg
    of: int
    weight_kg: float
    target_reps: int


@dataclass(frozen=True)
class LegSummary:
    """One leg's card on the summary page, decided here; the widget only colours it."""

    leg: Leg
    tally: Tally
    faults: Words  # '2× swung the thigh' or 'no faults'
    next_time: Words  # 'Next time: 12.5 kg × 10 (hold)' or 'Working out your next weight…'
    reasons: tuple[Line, ...]  # the site's phrases, said in the member's language (an older site's English)


# The summary's first line when the member stopped for pain: kind, and pointing to a person.
PAIN_NOTE = ("You stopped because something hurt — that was the right call. Your sets so far are saved. "
             "If the pain stays, please tell a trainer before training again.")


@dataclass
class Flow:
    exercise: Exercise
    outbox: Outbox
    station: StationState = field(default_factory=StationState)
    page: Page = Page.ATTRACT
    info_open: bool = False
    operator_open: bool = False
    message: str = ""  # a short notice on the current page (unknown badge, waiting for the server…)
    member: MemberInfo | None = None
    profile: MemberProfile | None = None
    pending: str | None = None  # correlation id of the lookup or enrol we wait for
    pending_token: tuple[IdMethod, str] | None = None
    goal: Goal | None = None
    sets_per_leg: int = 0  # the member's choice within the goal's range; the same for both legs
    session_id: str | None = None
    plan: list[PlannedSet] = field(default_factory=list)
    set_pos: int = 0
    summaries: list[SetSummary] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)
    knee_deg: float | None = None
    pose: CameraPose | None = None  # the last pose, for the mirror
    phase_tracker: PhaseTracker = field(default_factory=PhaseTracker)
    pose_age_s: float = 0.0
    since_rep_s: float = 0.0  # in the set under way: since its start or its last rep
    last_set: list[RepVerdict] = field(default_factory=list)  # the verdicts of the set just ended
    end_note: Words = field(default_factory=lambda: words(""))  # why the last set ended, in words
    enrol_needed: bool = False  # an unknown badge or PIN: offer the profile form
    stopped_for_pain: bool = False
    language: str = "en"  # the member's language for this visit (the next member starts in the default)
    languages: tuple[str, ...] = ("en",)  # what this kiosk can show; a member's remembered one, if it is here
    # Staff asked to record the next set, labelled with these faults (none: a clean set), into the corpus.
    recording: tuple[Fault, ...] | None = None
    set_started_wall: float | None = None  # the set under way's start on the station's wall clock
    wall_clock: Callable[[], float] = time.time
    trainer_cue: str = ""
    trainer_cue_left_s: float = 0.0  # the cue's own ttl_s, counted down by `tick`
    services: dict[str, tuple[ServiceState, str]] = field(default_factory=dict)
    replies: list[StationReply] = field(default_factory=list)
    commands: dict[str, tuple[str, str]] = field(default_factory=dict)  # correlation id → (service, command)
    rest_left_s: float = 0.0
    idle_s: float = 0.0
    _listeners: list[Callable[[], None]] = field(default_factory=list)

    # ------------------------------------------------------------ plumbing

    def subscribe(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)

    def unsubscribe(self, fn: Callable[[], None]) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def changed(self) -> None:
        for fn in self._listeners:
            fn()

    def touch(self) -> None:
        self.idle_s = 0.0

    def choose_language(self, code: str) -> None:
        self.touch()
        if code != self.language:
            self.language = code
            self.changed()

    # ------------------------------------------------------------ tap in

    def identify(self, method: IdMethod, token: str) -> None:
        """A badge read, a QR code seen, or a PIN entered: ask the site who it is."""
        token = token.strip()
        self.touch()
        if not token:
            return
        if self.page not in (Page.ATTRACT, Page.SUMMARY):
            return  # someone is training: a stray badge must not take over the station
        self.pending = "q" + uuid.uuid4().hex[:12]
        self.pending_token = (method, token)
        self.message = "Looking you up…"
        self.outbox("member.lookup", MemberLookup(correlation_id=self.pending, method=method, token=token,
                                                  exercise=self.exercise.id))
        self.changed()

    def enrol(self, name: str, weaker_leg: Leg | None) -> None:
        if self.pending_token is None or not name.strip():
            return
        method, token = self.pending_token
        problem = pin_problem(token) if method == IdMethod.PIN else None
        if problem is not None:  # the site would refuse it as well: say why now, without the round trip
            self.message = f"Choose another PIN: {problem}. Enter it on the keypad."
            self.changed()
            return
        self.pending = "q" + uuid.uuid4().hex[:12]
        self.message = "Creating your profile…"
        self.outbox("member.enrol", MemberEnrol(correlation_id=self.pending, method=method, token=token,
                                                name=name.strip()[:80], weaker_leg=weaker_leg,
                                                exercise=self.exercise.id, language=self.language))
        self.changed()

    def start_guest(self) -> None:
        self.touch()
        self.member = MemberInfo(member_id="guest-" + uuid.uuid4().hex[:8], name="Guest", guest=True)
        g = self.exercise.goals[0]
        start = self.exercise.beginner_start_kg
        self.profile = MemberProfile(correlation_id="guest", status="ok", member=self.member,
                                     exercise=self.exercise.id,
                                     plan=[PlannedLeg(leg=leg, weight_kg=start, target_reps=g.reps.min,
                                                      sets=g.sets.min) for leg in (Leg.LEFT, Leg.RIGHT)])
        self.pending = self.pending_token = None
        self._to(Page.WELCOME)

    def _on_profile(self, p: MemberProfile) -> None:
        if p.correlation_id != self.pending:
            return  # an answer to another station's or an old request
        self.pending = None
        if p.status == "ok" and p.member is not None:
            self.member, self.profile, self.message, self.enrol_needed = p.member, p, "", False
            if p.member.language in self.languages:
                self.language = p.member.language  # the language they chose last time
            self._to(Page.WELCOME)
        elif p.status == "unknown":
            self.enrol_needed = True
            self.message = "Badge not recognised. Train as a guest, or create your profile."
        else:
            self.message = f"Could not sign you in: {p.error or 'server error'}"
        self.changed()

    # ------------------------------------------------------------ goal and plan

    def choose_goal(self, goal_id: str) -> None:
        self.touch()
        self.goal = self.exercise.goal(goal_id)
        self.sets_per_leg = self.default_sets(self.goal)
        self.plan = self._plan_for(self.goal, self.sets_per_leg)
        self.set_pos = 0
        self._to(Page.SETUP)

    def default_sets(self, goal: Goal) -> int:
        """The sets per leg the site planned for this member (the weaker leg's, listed first), when the
        goal allows that many; else the goal's least."""
        planned = self.profile.plan[0].sets if self.profile and self.profile.plan else None
        return planned if planned is not None and goal.sets.min <= planned <= goal.sets.max else goal.sets.min

    @property
    def sets_choosable(self) -> bool:
        """The set count can change on the setup page, before the session's first set only: once a set
        is under way the plan the site was told (`planned_sets`) stands."""
        return self.page == Page.SETUP and self.session_id is None and self.goal is not None

    @property
    def can_add_set(self) -> bool:
        return self.sets_choosable and self.goal is not None and self.sets_per_leg < self.goal.sets.max

    @property
    def can_remove_set(self) -> bool:
        return self.sets_choosable and self.goal is not None and self.sets_per_leg > self.goal.sets.min

    def change_sets(self, delta: int) -> None:
        """The member's + or − on the setup page: one set more or fewer per leg, within the goal's range."""
        self.touch()
        if not self.sets_choosable or self.goal is None:
            return
        n = min(self.goal.sets.max, max(self.goal.sets.min, self.sets_per_leg + delta))
        if n != self.sets_per_leg:
            self.sets_per_leg = n
            self.plan = self._plan_for(self.goal, n)
            self.set_pos = 0
            self.changed()

    @property
    def sets_note(self) -> str:
        return str(self.sets_note_words)

    @property
    def sets_note_words(self) -> Words:
        """The range the member chooses in and the default, e.g. 'Tempo focus: 2–4 sets per leg · planned for
        you: 3'."""
        g = self.goal
        if g is None:
            return words("")
        if g.sets.min == g.sets.max:
            return words("{goal}: {n} sets per leg", goal=words(g.name), n=g.sets.min)
        return words("{goal}: {lo}–{hi} sets per leg · planned for you: {n}", goal=words(g.name), lo=g.sets.min,
                     hi=g.sets.max, n=self.default_sets(g))

    def _plan_for(self, goal: Goal, n: int) -> list[PlannedSet]:
        planned = {p.leg: p for p in (self.profile.plan if self.profile else [])}
        legs = list(planned) or [Leg.LEFT, Leg.RIGHT]  # the site lists the weaker leg first
        out = []
        for leg in legs:
            p = planned.get(leg)
            weight = p.weight_kg if p else self.exercise.beginner_start_kg
            reps = p.target_reps if p and goal.reps.min <= p.target_reps <= goal.reps.max else goal.reps.min
            # Both legs get the same number of sets: "Train both sides evenly" (the seed's tip).
            out += [PlannedSet(leg, i, n, weight, reps) for i in range(1, n + 1)]
        return out

    @property
    def current(self) -> PlannedSet | None:
        return self.plan[self.set_pos] if 0 <= self.set_pos < len(self.plan) else None

    def start_training(self) -> None:
        """From setup: open the session (once) and start the first or next set."""
        self.touch()
        if self.member is None or self.goal is None or self.current is None:
            return
        if self.session_id is None:
            self.session_id = "s-" + uuid.uuid4().hex[:12]
            legs = list(dict.fromkeys(p.leg for p in self.plan))
            self.outbox("session.started", SessionStarted(
                session_id=self.session_id, member_id=self.member.member_id, member_name=self.member.name,
                exercise=self.exercise.id, goal=self.goal.id, leg_order=legs,
                planned_sets=self.sets_per_leg))
        self._start_set()
        self._to(Page.EXECUTION)

    def _start_set(self) -> None:
        cur = self.current
        assert cur is not None and self.session_id is not None
        self.station = StationState(broker_online=self.station.broker_online)
        self.since_rep_s, self.end_note = 0.0, words("")
        self.phase_tracker.reset()
        self.outbox("set.started", SetStarted(session_id=self.session_id, set_index=cur.index, leg=cur.leg,
                                              weight_kg=cur.weight_kg, target_reps=cur.target_reps))
        self.set_started_wall = self.wall_clock()

    def end_set(self, reason: str = "completed") -> None:
        self.touch()
        cur = self.current
        if self.page not in (Page.EXECUTION, Page.STRAP) or cur is None or self.session_id is None:
            return
        self.outbox("set.ended", SetEnded(session_id=self.session_id, set_index=cur.index, leg=cur.leg,
                                          weight_kg=cur.weight_kg, target_reps=cur.target_reps,
                                          end_reason=reason))
        self.last_set = list(self.station.verdicts)
        self._save_recording(cur.index, cur.leg)
        self.set_pos += 1
        nxt = self.current
        if nxt is None:
            self.finish()
        elif nxt.leg != cur.leg:
            # The other leg is fresh: no rest, but the strap must move first. Its set starts now, so the
            # camera already follows the newly strapped leg and its first curl confirms the move.
            self._start_set()
            self._to(Page.STRAP)
        else:
            self.rest_left_s = REST_S
            self._to(Page.REST)

    def confirm_strap(self) -> None:
        """The member tapped "strap moved" (or the camera saw the other leg work): on to its first set."""
        self.touch()
        if self.page == Page.STRAP:
            self.since_rep_s = 0.0
            self._to(Page.EXECUTION)

    def stop_for_pain(self) -> None:
        """Pain or discomfort: the set and the session end now, and the summary says so kindly."""
        self.touch()
        if self.session_id is None or self.page in (Page.ATTRACT, Page.SUMMARY):
            return
        self.stopped_for_pain = True
        if self.page in (Page.EXECUTION, Page.STRAP) and self.current is not None:
            cur = self.current
            self.outbox("set.ended", SetEnded(session_id=self.session_id, set_index=cur.index, leg=cur.leg,
                                              weight_kg=cur.weight_kg, target_reps=cur.target_reps,
                                              end_reason="stopped"))
            self.last_set = list(self.station.verdicts)
        self.finish("aborted")

    # ------------------------------------------------------------ the set under way

    @property
    def phase(self) -> Phase | None:
        """The phase of the rep under way, once the camera has seen the leg in this set."""
        return self.phase_tracker.phase if self.pose is not None and self.page == Page.EXECUTION else None

    @property
    def highlighted_step(self) -> int | None:
        return step_for_phase(self.exercise.execution, self.phase)

    @property
    def mid_rep(self) -> bool:
        return self.pose_age_s < POSE_STALE_S and self.phase_tracker.phase in (Phase.CURL, Phase.SQUEEZE,
                                                                                Phase.RETURN)

    def _hands_free(self) -> None:
        """End the set by itself: the target reached (after a short grace for one more), or the member stopped."""
        cur = self.current
        if self.page != Page.EXECUTION or cur is None or self.mid_rep:
            return
        reps = self.station.reps
        if reps >= cur.target_reps and self.since_rep_s >= DONE_GRACE_S:
            self.end_note = words("Set done: {n} reps.", n=reps)
            self.end_set("completed")
        elif reps and self.since_rep_s >= STOPPED_S:
            self.end_note = words("Set ended after {n} reps: no rep for {s} s.", n=reps, s=f"{STOPPED_S:.0f}")
            self.end_set("completed" if reps >= cur.target_reps else "stopped")

    @property
    def rest_fix(self) -> str:
        return str(self.rest_fix_words)

    @property
    def rest_fix_words(self) -> Words:
        """What to fix from the last set, in the member's words: the fix of its most frequent fault."""
        counts: dict[Fault, int] = {}
        for v in self.last_set:
            for fl in v.faults:
                counts[fl] = counts.get(fl, 0) + 1
        if not self.last_set:
            return words("")
        if not counts:
            return words("Every rep was clean: keep the same control.")
        fault, n = max(counts.items(), key=lambda kv: kv[1])  # ties: the first seen
        return words("To fix: {fix} (1 rep: {fault})" if n == 1 else "To fix: {fix} ({n} reps: {fault})",
                     fix=words(FAULT_FIXES[fault]), n=n, fault=words(FAULT_WORDS[fault]))

    def finish(self, reason: str = "completed") -> None:
        if self.session_id and self.member:
            self.outbox("session.ended", SessionEnded(
                session_id=self.session_id, member_id=self.member.member_id, reason=reason,
                language=None if self.member.guest else self.language))  # remembered with the member
        self._to(Page.SUMMARY)

    def sign_out(self, reason: str = "signed_out") -> None:
        if self.page in (Page.EXECUTION, Page.STRAP):  # the strap step's set has started: it ends too
            self.end_set("stopped")
        if self.session_id and self.page != Page.SUMMARY:
            self.finish(reason)
        self._reset()

    def _reset(self) -> None:
        """Back to the attract page for the next member; what the station knows of itself stays."""
        fresh = Flow(self.exercise, self.outbox)
        fresh.station.broker_online = self.station.broker_online
        for name in ("services", "trainer_cue", "trainer_cue_left_s", "_listeners", "operator_open", "replies",
                     "commands", "languages", "recording", "wall_clock"):
            setattr(fresh, name, getattr(self, name))
        self.__dict__.update(fresh.__dict__)
        self.changed()

    def _to(self, page: Page) -> None:
        self.page = page
        self.changed()

    # ------------------------------------------------------------ how it went (set summaries from the site)

    @property
    def legs(self) -> list[Leg]:
        return list(dict.fromkeys(p.leg for p in self.plan)) or [Leg.LEFT, Leg.RIGHT]

    def tally(self, leg: Leg) -> Tally:
        """A leg's reps so far by outcome: passed, failed, not checked."""
        return Tally.of_summaries(s for s in self.summaries if s.leg == leg)

    @property
    def last_set_tally(self) -> Tally | None:
        return Tally.of_summaries(self.summaries[-1:]) if self.summaries else None

    def leg_summaries(self) -> list[LegSummary]:
        """The summary page's cards: each leg that trained, its tally, faults and next weight."""
        out = []
        for leg in self.legs:
            if not any(s.leg == leg for s in self.summaries):
                continue
            rec = next((r for r in self.recommendations if r.leg == leg), None)
            nxt = (words("Next time: {kg} kg × {reps} ({action})", kg=rec.next_weight_kg,
                         reps=rec.next_target_reps, action=words(rec.action.value)) if rec
                   else words("Working out your next weight…"))
            out.append(LegSummary(leg, self.tally(leg), self.fault_words(leg), nxt,
                                  lines(rec.phrases, rec.reasons) if rec else ()))
        return out

    @property
    def last_session(self) -> tuple[Line, ...]:
        """The welcome page's line on the member's previous session, a phrase per leg (an older site's English
        line as it is); empty on a first visit."""
        last = self.profile.last_session if self.profile else None
        if last is None:
            return ()
        return tuple(last.phrases) or (last.summary,)

    @staticmethod
    def plan_reason(p: PlannedLeg) -> Line | None:
        """Why a leg's planned weight is what it is: the first of the site's reasons, shown under the weight."""
        said = lines(p.phrases, p.reasons)
        return said[0] if said else None

    def fault_text(self, leg: Leg) -> str:
        return str(self.fault_words(leg))

    def fault_words(self, leg: Leg) -> Words:
        """'2× swung the thigh, 1× dropped the return', most frequent first, or 'no faults'."""
        counts: dict[str, int] = {}
        for s in self.summaries:
            if s.leg == leg:
                for rep in s.faults_per_rep:
                    for fl in rep:
                        counts[FAULT_WORDS[fl]] = counts.get(FAULT_WORDS[fl], 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: ties keep their first-seen order
        return joined([words("{n}× {fault}", n=n, fault=words(w)) for w, n in ranked]) if ranked else words("no faults")

    # ------------------------------------------------------------ time

    def tick(self, dt: float) -> None:
        """Called once a second by the UI's timer."""
        self.idle_s += dt
        self.since_rep_s += dt
        self.pose_age_s += dt
        if self.page == Page.REST:
            self.rest_left_s = max(0.0, self.rest_left_s - dt)
            self.changed()
        if self.trainer_cue:
            self.trainer_cue_left_s -= dt
            if self.trainer_cue_left_s <= 0:
                self.dismiss_cue()
        self._hands_free()
        if self.page != Page.ATTRACT and self.idle_s >= INACTIVITY_S:
            self.sign_out("timeout")

    # ------------------------------------------------------------ events from the site and sensors

    def apply(self, ev: Envelope) -> None:
        """An event from the site or the station's sensors; the page changes if it says to."""
        if self.handlers.handles(ev) and self.handlers(ev):
            self.changed()

    @cached_property
    def handlers(self) -> HandlerTable[[], bool]:
        """What the kiosk listens to on its station's topics (the subscription is this table's keys); each
        handler says whether what the member sees changed."""
        return (HandlerTable[[], bool]()
                .on(RepVerdictEvent, self._verdict)
                .on(SetSummaryEvent, self._set_summary)
                .on(RecommendationEvent, self._recommendation)
                .on(MemberProfileEvent, self._profile_event)
                .on(MemberIdentifiedEvent, self._identified)
                .on(CameraPoseEvent, self._pose)
                .on(KioskCueEvent, self._cue)
                .on(StationStatusEvent, self._status)
                .on(StationReplyEvent, self._reply))

    def _verdict(self, ev: RepVerdictEvent) -> bool:
        d = ev.data
        if d.session_id is not None and d.session_id == self.session_id:
            cur = self.current
            if (self.page in (Page.EXECUTION, Page.STRAP) and cur is not None and d.set_index == cur.index
                    and d.leg == cur.leg):
                if self.page == Page.STRAP:
                    self.confirm_strap()  # a rep of the new leg: the strap has moved
                self.touch()
                self.since_rep_s = 0.0
                self.station.on_verdict(d)
        return True

    def _set_summary(self, ev: SetSummaryEvent) -> bool:
        if ev.data.session_id == self.session_id:
            self.summaries = [s for s in self.summaries
                              if (s.leg, s.set_index) != (ev.data.leg, ev.data.set_index)] + [ev.data]
        return True

    def _recommendation(self, ev: RecommendationEvent) -> bool:
        if ev.data.session_id == self.session_id:
            self.recommendations = [r for r in self.recommendations if r.leg != ev.data.leg] + [ev.data]
        return True

    def _profile_event(self, ev: MemberProfileEvent) -> bool:
        self._on_profile(ev.data)
        return False  # it said what changed itself

    def _identified(self, ev: MemberIdentifiedEvent) -> bool:
        self.identify(ev.data.method, ev.data.token)  # a QR code the camera read
        return False

    def _pose(self, ev: CameraPoseEvent) -> bool:
        p = ev.data
        self.cues, self.knee_deg, self.pose, self.pose_age_s = list(p.cues), p.knee_flexion_deg, p, 0.0
        cur = self.current
        if (self.page == Page.STRAP and cur is not None and p.leg == cur.leg and p.person_visible
                and (p.knee_flexion_deg or 0.0) >= STRAP_SEEN_DEG):
            self.confirm_strap()  # the camera sees the newly strapped leg curl: the strap has moved
        if self.page == Page.EXECUTION and cur is not None and p.leg == cur.leg:
            self.phase_tracker.update(p.t, p.knee_flexion_deg if p.person_visible else None)
        return True

    def _cue(self, ev: KioskCueEvent) -> bool:
        self.trainer_cue = ev.data.message
        self.trainer_cue_left_s = ev.data.ttl_s  # the trainer decides how long it shows
        return True

    def _status(self, ev: StationStatusEvent) -> bool:
        self.services[ev.data.service] = (ev.data.state, ev.data.detail)
        return True

    def _reply(self, ev: StationReplyEvent) -> bool:
        self.replies = [*self.replies[-4:], ev.data]
        return True

    def dismiss_cue(self) -> None:
        self.trainer_cue, self.trainer_cue_left_s = "", 0.0
        self.changed()

    def set_broker_online(self, online: bool) -> None:
        self.station.set_broker_online(online)
        self.changed()

    def degraded(self) -> list[str]:
        return [str(w) for w in self.degraded_words()]

    def degraded_words(self) -> list[Words]:
        """Banner lines: what does not work right now, in words a member understands."""
        out = []
        if not self.station.broker_online:
            out.append(words("Offline: your reps are kept and sent when the gym network is back"))
        for svc, name in (("camera", "Camera"), ("loadcell", "Load sensor")):
            state, detail = self.services.get(svc, (ServiceState.ONLINE, ""))
            if state in (ServiceState.DEGRADED, ServiceState.OFFLINE):
                template = "{what} {state}: {detail} — guidance keeps working" if detail else \
                    "{what} {state} — guidance keeps working"
                out.append(words(template, what=words(name), state=words(state.value), detail=words(detail)))
        return out

    # ------------------------------------------------------------ operator

    @property
    def service_lines(self) -> list[str]:
        """Each service's state for staff: 'Camera: online', 'Load cell: degraded — no samples'."""
        return [f"{service_words(k)}: {s.value}{' — ' + d if d else ''}" for k, (s, d) in sorted(self.services.items())]

    @property
    def reply_lines(self) -> list[str]:
        """The last three command replies, newest first, in words."""
        out = []
        for r in reversed(self.replies[-3:]):
            cmd = self.commands.get(r.correlation_id, ("", ""))[1] or None
            out.append(reply_words(r.service, r.status, r.data, r.error, cmd))
        return out

    def record_next_set(self, faults: Sequence[Fault]) -> None:
        """Staff: the next set done here is saved by the camera and the load cell into the station's corpus,
        every rep labelled with `faults` (none: clean) — a set done on purpose, to teach the analysers."""
        self.recording = tuple(dict.fromkeys(faults))
        self.changed()

    def _save_recording(self, set_index: int, leg: Leg) -> None:
        if self.recording is None or self.set_started_wall is None:
            return
        now = self.wall_clock()
        label = Label(station_id="station", review_id="k" + uuid.uuid4().hex[:12], leg=leg, set_index=set_index,
                      rep_index=None, rep_start_t=self.set_started_wall, rep_end_t=now,
                      from_t=self.set_started_wall - RECORD_MARGIN_S, to_t=now + RECORD_MARGIN_S,
                      true_faults=list(self.recording))
        self.recording = None
        for service in ("camera", "loadcell"):
            self.operator_command(service, SAVE_COMMAND, **save_args(label))

    def operator_command(self, service: str, command: str, **args: float | str) -> str:
        cid = "c" + uuid.uuid4().hex[:12]
        self.commands = {**dict(list(self.commands.items())[-9:]), cid: (service, command)}
        self.outbox("station.command", StationCommand(correlation_id=cid, service=service, command=command,
                                                      args=dict(args)))
        return cid


class BadgeReader:
    """Tells a badge reader (a keyboard that types an id fast and presses Enter) from a person typing.

    A reader emits each character within a few milliseconds of the previous one; a person
    needs 100 ms or more between keys. 50 ms separates the two with room to spare.
    """

    MAX_GAP_S = 0.05
    MIN_LEN = 4  # badge ids are at least 4 characters; shorter bursts are key bounces

    def __init__(self) -> None:
        self.buf = ""
        self.last_t = -1.0
        self.fast = True

    def key(self, ch: str, t: float) -> str | None:
        """Feed one key (Enter as '\\n') at time t; returns a badge id when one was read."""
        if ch in ("\n", "\r"):
            badge = self.buf if self.fast and len(self.buf) >= self.MIN_LEN else None
            self.buf, self.fast = "", True
            return badge
        if self.buf and t - self.last_t > self.MAX_GAP_S:
            self.fast = False
        if not self.buf:
            self.fast = True
        self.buf += ch
        self.last_t = t
        return None
