"""The progression engine: one contract event in, state changes and events out.

The same engine runs live (over Redis, `service.py`) and offline (`replay`, over an
in-memory repository): it reads and writes only through a `Repo`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.progression.fusion import find_partner
from services.progression.rules import (
    LegDecision,
    LegProgress,
    Policy,
    SetResult,
    Stack,
    balance_legs,
    decide_leg,
)
from shared.catalogue import DEFAULT_EXERCISE, Exercise, Goal
from shared.contract import (
    Action,
    CameraRepEvent,
    Envelope,
    IdMethod,
    LastSession,
    Leg,
    LoadRepEvent,
    MemberEnrolEvent,
    MemberInfo,
    MemberLookupEvent,
    MemberProfile,
    Model,
    Phrase,
    PhraseKey,
    PlannedLeg,
    Recommendation,
    RepVerdict,
    SessionEndedEvent,
    SessionStartedEvent,
    SetEndedEvent,
    SetStartedEvent,
    SetSummary,
    make_event,
    phrase,
)
from shared.handlers import HandlerTable
from shared.identity import new_member_id, pin_problem, tap_scopes
from shared.judge import PEAK_KNEE, judge
from shared.records import (
    MemberRecord,
    ProgressRecord,
    RepRecord,
    SessionRecord,
    SetRecord,
    StationRecord,
)
from shared.repo import Repo

log = logging.getLogger(__name__)

# Reps outside a set that a set may still claim: a whole set's worth (the goals ask at most 15 reps)
# can be handled before its set.started when workers take a station's events out of order.
LOOSE_KEPT = 20
# A second sensor's rep can only belong to the set under way or the one before it.
LOOKBACK_SETS = 2
# Sets kept in the station's live state, which every event reads and writes whole: the one under
# way and the two before it (room for the look-back and for events out of order). Older sets wait in the
# session's archive until the session ends, so an event costs the same at rep 100 as at rep 1 — also when
# a kiosk's set.ended was lost: a set three sets back is over (the session would have closed it anyway).
HOT_SETS = LOOKBACK_SETS + 1


def derived_id(tag: str, source_event_id: str) -> str:
    """An output's event id, derived from the input's, so a re-run yields the same ids."""
    digest = hashlib.blake2s(f"{tag}:{source_event_id}".encode(), digest_size=12).hexdigest()
    return f"{tag}-{digest}"


@dataclass
class Engine:
    catalogue: dict[str, Exercise]
    # The site's stacks when the operator set them; otherwise each exercise's YAML says.
    stack_override: Stack | None = None
    default_exercise: str = DEFAULT_EXERCISE
    _policies: dict[str, Policy] = field(default_factory=dict, init=False, repr=False)
    # What the engine consumes and which method applies each: the service subscribes to this table's keys.
    handlers: HandlerTable[[Repo, _Out], None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.handlers = (HandlerTable[[Repo, _Out], None]()
                         .on(SessionStartedEvent, self._session_started)
                         .on(SetStartedEvent, self._set_started)
                         .on(CameraRepEvent, self._sensor_rep)
                         .on(LoadRepEvent, self._sensor_rep)
                         .on(SetEndedEvent, self._set_ended)
                         .on(SessionEndedEvent, self._session_ended)
                         .on(MemberLookupEvent, self._lookup)
                         .on(MemberEnrolEvent, self._enrol))

    def exercise_of(self, session: SessionRecord | None) -> Exercise:
        ex = self.catalogue.get(session.exercise) if session is not None else None
        return ex or self.catalogue[self.default_exercise]

    def stack_for(self, ex: Exercise) -> Stack:
        return self.stack_override or Stack.of(ex.stack)

    def policy_for(self, ex: Exercise) -> Policy:
        p = self._policies.get(ex.id)
        if p is None:
            p = self._policies[ex.id] = Policy.of(ex)
        return p

    # ------------------------------------------------------------ entry point

    def handle(self, ev: Envelope, repo: Repo) -> list[Envelope]:
        """Apply one event; return the events to publish (on the same station)."""
        out = _Out(ev)
        if self.handlers.handles(ev):  # anything else (a stray type) changes nothing
            self.handlers(ev, repo, out)
        return out.events

    # ------------------------------------------------------------ sessions and sets

    def _session_started(self, ev: SessionStartedEvent, repo: Repo, _out: _Out) -> None:
        st = repo.station(ev.station_id)
        d = ev.data
        member = repo.member(d.member_id) if not d.member_id.startswith("guest-") else None
        fresh = SessionRecord(session_id=d.session_id, member_id=d.member_id, member_name=d.member_name,
                              exercise=d.exercise, goal=d.goal, leg_order=list(d.leg_order),
                              planned_sets=d.planned_sets, rom_deg=dict(member.rom_deg) if member else {},
                              started=ev.ts)
        if st.session is not None and st.session.session_id == d.session_id:
            # Its first set was handled before it (out of order): keep the sets, fill in who and what.
            fresh.sets = st.session.sets
            for s in fresh.sets:
                for r in s.reps:
                    if r.verdict is not None:
                        self._judge(r, fresh, s, r.verdict.revision)
        else:
            st.current_set = None
        st.session = fresh
        repo.save_station(ev.station_id, st)

    def _set_started(self, ev: SetStartedEvent, repo: Repo, out: _Out) -> None:
        st = repo.station(ev.station_id)
        d = ev.data
        if st.session is None or st.session.session_id != d.session_id:
            # The session's start was lost (kiosk restarted): open one so the set is not lost.
            st.session = SessionRecord(session_id=d.session_id, member_id="unknown", exercise=self.default_exercise,
                                       goal="strength_control", leg_order=[d.leg], started=ev.ts)
        sets = st.session.sets
        st.session.sets = [s for s in sets if not (s.set_index == d.set_index and s.leg == d.leg)]
        new = SetRecord(set_index=d.set_index, leg=d.leg, weight_kg=d.weight_kg, target_reps=d.target_reps,
                        started_ts=ev.ts)
        st.session.sets.append(new)
        while len(st.session.sets) > HOT_SETS:
            old = st.session.sets.pop(0)
            if not old.ended:  # its set.ended never came: closed as the session's end would close it
                old.ended, old.end_reason, old.ended_ts = True, "completed", ev.ts
                out.add("set.summary", self._summary(st.session, old))
            repo.archive_set(ev.station_id, d.session_id, old)
        st.current_set = len(st.session.sets) - 1
        # Several workers may take a station's events out of order: a rep whose event was made after
        # this set started belongs to it, even if it was handled first.
        claimed = [r for r in st.loose if r.made is not None and r.made >= ev.ts]
        st.loose = [r for r in st.loose if r not in claimed]
        for r in claimed:
            r.rep_index = len(new.reps) + 1
            new.reps.append(r)
            v = self._judge(r, st.session, new, (r.verdict.revision + 1) if r.verdict else 0)
            repo.add_verdict(ev.station_id, out.add("rep.verdict", v), assigned=True)
        repo.save_station(ev.station_id, st)

    def _set_ended(self, ev: SetEndedEvent, repo: Repo, out: _Out) -> None:
        st = repo.station(ev.station_id)
        d = ev.data
        s = self._find_set(st, d.session_id, d.set_index, d.leg)
        if s is None:
            return
        s.ended, s.end_reason, s.ended_ts = True, d.end_reason, ev.ts
        if st.session is not None and st.current_set is not None and st.session.sets[st.current_set] is s:
            st.current_set = None  # (a later set that started first, out of order, stays under way)
        repo.save_station(ev.station_id, st)
        out.add("set.summary", self._summary(st.session, s))

    @staticmethod
    def _summary(session: SessionRecord | None, s: SetRecord) -> SetSummary:
        faults = s.rep_faults()
        return SetSummary(session_id=session.session_id if session else "unknown", set_index=s.set_index, leg=s.leg,
                          weight_kg=s.weight_kg, target_reps=s.target_reps, reps=len(s.reps),
                          passed_reps=sum(1 for r in s.reps if r.verdict is not None and r.verdict.passed),
                          faults_per_rep=[list(f) for f in faults], unverified_reps=s.unverified_reps(),
                          planned_sets=session.planned_sets if session else None)

    @staticmethod
    def _find_set(st: StationRecord, session_id: str, set_index: int, leg: Leg) -> SetRecord | None:
        if st.session is None or st.session.session_id != session_id:
            return None
        return next((s for s in st.session.sets if s.set_index == set_index and s.leg == leg), None)

    # ------------------------------------------------------------ reps

    def goal_of(self, session: SessionRecord | None) -> Goal | None:
        if session is None:
            return None
        ex = self.catalogue.get(session.exercise)
        try:
            return ex.goal(session.goal) if ex else None
        except KeyError:
            return None

    def _sensor_rep(self, ev: CameraRepEvent | LoadRepEvent, repo: Repo, out: _Out) -> None:
        st = repo.station(ev.station_id)
        d = ev.data
        sensor = "camera" if isinstance(ev, CameraRepEvent) else "load"
        sess = st.session
        if sess is None and st.closed is not None and st.closed.ended is not None and ev.ts <= st.closed.ended:
            sess = st.closed  # made before its session ended, handled after (another worker was faster)
        target = None
        if sess is not None:
            # The second sensor's view of a rep joins it; otherwise the rep belongs to the set under way
            # when its event was made (workers may handle a station's events out of order).
            target = next((x for x in reversed(sess.sets[-LOOKBACK_SETS:])
                           if find_partner(x.reps, d.start_t, d.end_t, sensor) is not None), None)
            target = target or next((x for x in reversed(sess.sets) if x.started_ts is not None
                                     and x.started_ts <= ev.ts and (x.ended_ts is None or ev.ts <= x.ended_ts)), None)
            target = target or self._after_clock_jump(ev, st, sess)
        if target is None:
            self._loose_rep(ev, st, sensor, repo, out)
            return
        rec = find_partner(target.reps, d.start_t, d.end_t, sensor)
        if rec is None:
            rec = RepRecord(rep_index=len(target.reps) + 1, leg=target.leg, start_t=d.start_t, end_t=d.end_t,
                            made=ev.ts)
            target.reps.append(rec)
        setattr(rec, sensor, d)
        rec.start_t, rec.end_t = min(rec.start_t, d.start_t), max(rec.end_t, d.end_t)
        revision = 0 if rec.verdict is None else rec.verdict.revision + 1
        v = self._judge(rec, sess, target, revision)
        repo.save_station(ev.station_id, st)
        repo.add_verdict(ev.station_id, out.add("rep.verdict", v), assigned=True)
        if target.ended and sess is not None:
            out.add("set.summary", self._summary(sess, target))  # the summary sent was short

    @staticmethod
    def _after_clock_jump(ev: Envelope, st: StationRecord, sess: SessionRecord) -> SetRecord | None:
        """A rep stamped before what already happened at its station (the session's start or the last set's
        end) while a set is under way: the station's clock went back (an NTP step, a unit booted without a
        real-time clock), not time. It belongs to the set under way, not to the unassigned list."""
        if sess is not st.session or st.current_set is None:
            return None
        cur = sess.sets[st.current_set]
        happened = max((x.ended_ts for x in sess.sets if x.ended_ts is not None), default=sess.started)
        return cur if not cur.ended and ev.ts < happened else None

    def _loose_rep(self, ev: CameraRepEvent | LoadRepEvent, st: StationRecord, sensor: str, repo: Repo,
                   out: _Out) -> None:
        """A rep with no set under way: judged, kept in the station's unassigned list, claimable."""
        d = ev.data
        log.info("%s: %s rep at %.1f outside any set (sets %s, current %s)", ev.station_id, sensor, d.start_t,
                 [(s.leg.value, s.set_index, s.ended) for s in st.session.sets] if st.session else None,
                 st.current_set)
        rec = find_partner(st.loose, d.start_t, d.end_t, sensor)
        if rec is None:
            st.loose_reps += 1
            rec = RepRecord(rep_index=min(st.loose_reps, 1000), leg=d.leg or Leg.LEFT, start_t=d.start_t,
                            end_t=d.end_t, made=ev.ts)
            st.loose = [*st.loose, rec][-LOOSE_KEPT:]
        setattr(rec, sensor, d)
        v = self._judge(rec, None, None, 0 if rec.verdict is None else rec.verdict.revision + 1)
        repo.save_station(ev.station_id, st)
        repo.add_verdict(ev.station_id, out.add("rep.verdict", v), assigned=False)

    def _judge(self, rec: RepRecord, session: SessionRecord | None, s: SetRecord | None,
               revision: int = 0) -> RepVerdict:
        """The one judge (`shared.judge`) on what the sensors measured, for the session's exercise and goal:
        records the outcome on `rec` and returns the verdict to publish, with every check."""
        ex = self.exercise_of(session)
        leg = s.leg if s else rec.leg
        j = judge(ex, self.goal_of(session), rec.camera, rec.load, first_of_set=s is not None and rec.rep_index == 1,
                  rom_deg=session.rom_deg.get(leg) if session is not None else None)
        fields = {"session_id": session.session_id if session and s else None,
                  "set_index": s.set_index if s else None, "leg": leg, "rep_index": rec.rep_index,
                  "start_t": rec.start_t, "end_t": rec.end_t, "passed": j.passed, "faults": j.faults,
                  "sensors": j.sensors, "revision": min(revision, 10), "reasons": j.reasons()[:20],
                  "verified": j.verified}
        # The station's live state keeps the outcome and the first check not made; the checks themselves
        # travel in the published verdict (and its history), not in the state every event rewrites.
        verdict = RepVerdict.model_validate({**fields, "checks": j.checks})
        rec.unchecked = j.first_unchecked()
        rec.verdict = verdict.model_copy(update={"checks": []})
        return verdict

    # ------------------------------------------------------------ end of session

    def _session_ended(self, ev: SessionEndedEvent, repo: Repo, out: _Out) -> None:
        st = repo.station(ev.station_id)
        sess = st.session
        if sess is None or sess.session_id != ev.data.session_id:
            return
        sess.ended, sess.end_reason = ev.ts, ev.data.reason
        sess.sets = repo.archived_sets(ev.station_id, sess.session_id) + sess.sets
        repo.drop_archive(ev.station_id, sess.session_id)
        for s in sess.sets:
            if not s.ended:  # its set.ended is lost or comes later (another worker): the session closes it
                s.ended, s.end_reason, s.ended_ts = True, "completed", ev.ts
                out.add("set.summary", self._summary(sess, s))
        goal = self.goal_of(sess)
        member = repo.member(sess.member_id)
        if member is not None and not member.info.guest:
            member = self._remember(sess, member, ev.data.language, repo)
        if goal is not None and any(s.reps for s in sess.sets):
            decisions = self.decide(sess, goal, member, repo)
            for leg in sess.leg_order:
                dec = decisions.get(leg)
                if dec is None:
                    continue
                out.add("recommendation", Recommendation(
                    session_id=sess.session_id, member_id=sess.member_id, exercise=sess.exercise, leg=leg,
                    goal=sess.goal, current_weight_kg=dec.current_weight_kg, next_weight_kg=dec.next_weight_kg,
                    next_target_reps=dec.next_target_reps, action=dec.action, reasons=dec.reasons[:10],
                    flags=dec.flags[:10], phrases=dec.phrases[:10], flag_phrases=dec.flag_phrases[:10]))
                if member is not None and not member.info.guest:
                    repo.save_progress(sess.member_id, sess.exercise, leg, ProgressRecord(
                        weight_kg=dec.next_weight_kg, target_reps=dec.next_target_reps, goal=sess.goal,
                        fail_shares=list(dec.fail_shares), last_action=dec.action.value, reasons=dec.reasons,
                        phrases=dec.phrases, planned_sets=sess.planned_sets, updated=ev.ts))
        if member is not None and not member.info.guest:
            repo.add_session(sess)
        # Kept for a sensor event that comes late: only the sets such an event may still join.
        st.session, st.current_set = None, None
        st.closed = sess.model_copy(update={"sets": sess.sets[-HOT_SETS:]})
        repo.save_station(ev.station_id, st)

    def decide(self, sess: SessionRecord, goal: Goal, member: MemberRecord | None,
               repo: Repo) -> dict[Leg, LegDecision]:
        ex = self.exercise_of(sess)
        stack, policy = self.stack_for(ex), self.policy_for(ex)
        planned = sess.planned_sets or goal.sets.min  # the kiosk's default when the member chose none
        decisions: dict[Leg, LegDecision] = {}
        for leg in sess.leg_order:
            sets = [SetResult(s.weight_kg, s.target_reps, s.rep_faults(), s.rep_unchecked(), s.set_index,
                              s.end_reason in ("", "completed")) for s in sess.sets if s.leg == leg and s.reps]
            if not sets:
                continue
            prev = repo.progress(sess.member_id, sess.exercise, leg) if member else None
            prev_lp = LegProgress(prev.weight_kg, prev.target_reps, tuple(prev.fail_shares)) if prev else None
            decisions[leg] = decide_leg(leg, goal, stack, sets, prev_lp, policy, planned)
        weaker = member.info.weaker_leg if member else (sess.leg_order[0] if sess.leg_order else None)
        return balance_legs(decisions, weaker, stack, allow_gap=bool(member and member.allow_leg_gap),
                            gap_flag=policy.leg_gap_flag)

    def _remember(self, sess: SessionRecord, member: MemberRecord, language: str | None,
                  repo: Repo) -> MemberRecord:
        """What a session teaches about its member, saved once: their range of motion (`_range`) and the
        language they used at the kiosk (the next visit starts in it)."""
        rom = self._range(sess, member)
        update: dict[str, object] = {}
        if rom:
            update["rom_deg"] = {**member.rom_deg, **rom}
        if language is not None and language != member.info.language:
            update["info"] = member.info.model_copy(update={"language": language})
        if not update:
            return member
        member = member.model_copy(update=update)
        repo.save_member(member)
        return member

    def _range(self, sess: SessionRecord, member: MemberRecord) -> dict[Leg, float]:
        """A member's own range of motion per leg: the median peak knee bend of their first clean, fully
        checked camera reps (the exercise's `calibration_reps`), recorded once; range rules then use it."""
        need = max(1, round(self.exercise_of(sess).rules.calibration_reps.value))
        found: dict[Leg, float] = {}
        for leg in sess.leg_order:
            if leg in member.rom_deg:
                continue
            peaks = [r.camera.metrics[PEAK_KNEE] for s in sess.sets if s.leg == leg for r in s.reps
                     if r.verdict is not None and r.verdict.passed and r.camera is not None
                     and PEAK_KNEE in r.camera.metrics][:need]
            if len(peaks) >= need:
                found[leg] = round(sorted(peaks)[len(peaks) // 2], 1)
        return found

    # ------------------------------------------------------------ members

    def _lookup(self, ev: MemberLookupEvent, repo: Repo, out: _Out) -> None:
        """Who is this badge, QR text or PIN. Every lookup that finds nobody is counted against the station and
        the token (`shared.identity.TapLimits`): past a few, the station waits longer each time, then is locked
        until an operator unlocks it, so a station's account cannot sweep the PINs."""
        d = ev.data
        token = d.token.strip()
        scopes = tap_scopes(ev.station_id, d.method, repo.token_ref(d.method, token))
        gate = repo.tap_gate(scopes, ev.event_id)
        if not gate.open:
            out.add("member.profile", MemberProfile(correlation_id=d.correlation_id, status="error",
                                                    error=gate.words(d.method)))
            return
        rec = repo.member_by_token(d.method, token)
        if rec is None:
            after = repo.tap_failed(scopes, ev.event_id)
            error = f"no member with this {d.method.value}"
            out.add("member.profile", MemberProfile(correlation_id=d.correlation_id, status="unknown",
                                                    error=error if after.open else f"{error}; {after.words(d.method)}"))
            return
        out.add("member.profile", self.profile(rec, d.exercise, d.correlation_id, repo))

    def _enrol(self, ev: MemberEnrolEvent, repo: Repo, out: _Out) -> None:
        """A new member with the badge, QR text or PIN just read; the member id is random (`new_member_id`).

        A PIN that is someone's already is not refused: the member is enrolled without it, and the answer is
        the one a free PIN gets (a new member's profile), after the same reads and the same member write. A
        refusal would tell whoever enrols that the PIN they typed opens somebody's account: at the kiosk, one
        PIN pad away. The kiosk looks a PIN up before it offers to enrol it, so only a PIN taken between the two
        (or an enrol sent without the kiosk) meets this; that member then has no PIN until a trainer gives them
        a badge.
        Badges and QR codes keep "already enrolled" (a badge is a card in the holder's hand, not typed at a
        kiosk), and each of their enrols is counted against the station and the token like a failed lookup, so
        the answer is no cheaper an oracle than the lookup that answers the same question.
        """
        d = ev.data
        token = d.token.strip()
        ref = repo.token_ref(d.method, token)
        scopes = tap_scopes(ev.station_id, d.method, ref)
        gate = repo.tap_gate(scopes, ev.event_id)
        if not gate.open:
            out.add("member.profile", MemberProfile(correlation_id=d.correlation_id, status="error",
                                                    error=gate.words(d.method)))
            return
        if d.method == IdMethod.PIN:
            problem = pin_problem(token)
            if problem is not None:  # about the PIN typed only: says nothing of anyone's
                out.add("member.profile", MemberProfile(correlation_id=d.correlation_id, status="error",
                                                        error=f"could not enrol this PIN: {problem}"))
                return
        else:
            repo.tap_failed(scopes, ev.event_id)
        taken = repo.member_by_token(d.method, token) is not None
        if taken and d.method != IdMethod.PIN:
            out.add("member.profile", MemberProfile(correlation_id=d.correlation_id, status="error",
                                                    error=f"this {d.method.value} is already enrolled"))
            return
        if taken:
            log.warning("%s: a PIN already in use was enrolled again; the new member has no PIN", ev.station_id)
        rec = MemberRecord(info=MemberInfo(member_id=new_member_id(), name=d.name.strip(), weaker_leg=d.weaker_leg,
                                           goal=d.goal, language=d.language),
                           tokens=[] if taken else [(d.method, ref)], created=ev.ts)
        repo.save_member(rec)
        out.add("member.profile", self.profile(rec, d.exercise, d.correlation_id, repo))

    def profile(self, rec: MemberRecord, exercise_id: str, correlation_id: str, repo: Repo) -> MemberProfile:
        ex = self.catalogue.get(exercise_id)
        if ex is None:
            return MemberProfile(correlation_id=correlation_id, status="error",
                                 error=f"unknown exercise {exercise_id!r}", member=rec.info)
        goal = ex.goal(rec.info.goal) if rec.info.goal in {g.id for g in ex.goals} else ex.goals[0]
        weaker = rec.info.weaker_leg or Leg.LEFT
        legs = [weaker, Leg.RIGHT if weaker == Leg.LEFT else Leg.LEFT]
        plan = []
        for leg in legs:
            p = repo.progress(rec.info.member_id, ex.id, leg)
            if p is None:
                # The exercise's own words for a first time (its seed), else ours.
                first = (phrase(PhraseKey.EXERCISE_TEXT, text=ex.beginner_start_reason) if ex.beginner_start_reason
                         else phrase(PhraseKey.FIRST_TIME))
                plan.append(PlannedLeg(leg=leg, weight_kg=self.stack_for(ex).snap(ex.beginner_start_kg),
                                       target_reps=goal.reps.min, sets=goal.sets.min, reasons=[first.say()],
                                       phrases=[first]))
            else:
                g = ex.goal(p.goal) if p.goal in {x.id for x in ex.goals} else goal
                sets = p.planned_sets if p.planned_sets and g.sets.min <= p.planned_sets <= g.sets.max else g.sets.min
                # A record saved before phrases has its reasons only: the kiosk shows them as they are.
                said = p.phrases[:5] if len(p.phrases) == len(p.reasons) else []
                plan.append(PlannedLeg(leg=leg, weight_kg=p.weight_kg, target_reps=p.target_reps, sets=sets,
                                       action=Action(p.last_action), reasons=p.reasons[:5], phrases=said))
        last = repo.last_session(rec.info.member_id)
        last_info = None
        if last is not None and last.ended is not None:
            last_info = LastSession(session_id=last.session_id, ended=last.ended, goal=last.goal,
                                    summary=session_line(last), phrases=session_phrases(last))
        return MemberProfile(correlation_id=correlation_id, status="ok", member=rec.info, exercise=ex.id,
                             plan=plan, last_session=last_info)


def session_phrases(sess: SessionRecord) -> list[Phrase]:
    """The session per leg ('left 3x10 @ 12.5 kg, 28/30 passed'), or 'no reps', as phrases."""
    parts = []
    for leg in sess.leg_order:
        sets = [s for s in sess.sets if s.leg == leg and s.reps]
        if not sets:
            continue
        reps = sum(len(s.reps) for s in sets)
        passed = sum(1 for s in sets for r in s.reps if r.verdict is not None and r.verdict.passed)
        parts.append(phrase(PhraseKey.LAST_LEG, leg=leg, sets=len(sets), reps=round(reps / len(sets)),
                            kg=sets[-1].weight_kg, passed=passed, total=reps))
    return parts or [phrase(PhraseKey.LAST_NONE)]


def session_line(sess: SessionRecord) -> str:
    """'left 3x10 @ 12.5 kg, 28/30 passed; right …' — one line a member reads (its phrases' English)."""
    return "; ".join(p.say() for p in session_phrases(sess))[:480]


class _Out:
    """Outputs of one input event, with ids derived from the input's id."""

    def __init__(self, source: Envelope) -> None:
        self.source = source
        self.events: list[Envelope] = []

    def add(self, event_type: str, data: Model) -> Envelope:
        ev = make_event(event_type, self.source.site_id, self.source.station_id, data,
                        event_id=derived_id(f"{len(self.events)}", self.source.event_id),
                        ts=datetime.now(UTC))
        self.events.append(ev)
        return ev
