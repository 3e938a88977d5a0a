"""The live floor, folded from events: a pure reducer (no I/O, no threads, no clock).

`FloorState.apply(event)` updates the tile of the event's station and says what changed;
the live feed (`services.dashboard.live`) turns that into WebSocket frames. Tests drive it
with contract events and nothing else.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from shared.contract import (
    CHECK_WORDS,
    FAULT_WORDS,
    CameraPoseEvent,
    CameraRep,
    CameraRepEvent,
    Envelope,
    Fault,
    LoadRep,
    LoadRepEvent,
    LoadTraceEvent,
    Outcome,
    Recommendation,
    RecommendationEvent,
    RepVerdict,
    RepVerdictEvent,
    ServiceState,
    SessionEndedEvent,
    SessionStartedEvent,
    SetEndedEvent,
    SetStartedEvent,
    SetSummaryEvent,
    StationStatusEvent,
)
from shared.handlers import HandlerTable
from shared.records import StationRecord

# Three failed reps in one set is a pattern, not a slip: the seed's rule fails the whole
# session's progression on any failed rep, and a trainer should walk over before the set ends.
STRUGGLE_FAILED_REPS = 3
# The station page lists the reps of the last couple of sets (a set is at most ~20 reps).
REP_ROWS = 40
# A camera/load rep belongs to a verdict when their start times agree within this (the sensors
# share the station clock; segmenters disagree on a rep's start by a few frames at most).
MATCH_WINDOW_S = 0.75
SITE_STATION = "site"  # site services (progression, dashboard) report under this station id
# The tile fields the two high-rate streams (10 Hz a station) change; everything else changes rarely.
TRACE_FIELDS = ("force_n", "last_seen")
POSE_FIELDS = ("cues", "last_seen")

# Members whose last recommendations the floor keeps for their page (a busy site's day of members).
MEMBER_DECISIONS = 2000

SetsFor = Callable[[str, str], int | None]
"""(exercise, goal) -> sets per leg of a session whose member chose none (the kiosk's default), or None."""

DescribeGoal = Callable[[str, str], dict[str, Any] | None]
"""(exercise, goal) -> the goal as a trainer reads it (`plans.describe_goal`: name, sets × reps, tempo), or None."""


def tile_key(site_id: str | None, station_id: str) -> str:
    """A station's key on a floor: its id at a site; `site/station` on the central view, where every site has
    its own st-01 ('/' is never in an id: ids are topic levels)."""
    return f"{site_id}/{station_id}" if site_id else station_id


Status = Literal["passed", "failed", "unverified"]
"""A rep's verdict as the floor counts it (`RepVerdict.status`): unverified is neither passed nor failed."""


@dataclass
class ServiceView:
    service: str
    state: str
    version: str = ""
    detail: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    seen: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "state": self.state, "version": self.version, "detail": self.detail,
                "metrics": dict(self.metrics), "seen": self.seen.isoformat() if self.seen else None}


@dataclass
class Tile:
    """What the floor shows of one station."""

    station_id: str
    services: dict[str, ServiceView] = field(default_factory=dict)
    member_id: str | None = None
    member_name: str = ""
    session_id: str | None = None
    exercise: str | None = None
    goal: str | None = None
    leg: str | None = None
    set_index: int | None = None
    sets_planned: int | None = None
    target_reps: int | None = None
    weight_kg: float | None = None
    set_open: bool = False
    set_verdicts: dict[int, Status] = field(default_factory=dict)  # rep index -> status, this set
    last_verdict: dict[str, Any] | None = None
    force_n: float | None = None
    cues: list[str] = field(default_factory=list)
    last_seen: datetime | None = None
    goal_view: dict[str, Any] | None = None  # the goal's name, sets × reps and tempo, from the catalogue
    # What the station decided for the session that ended here last (`decision_json`): kept, with its flags,
    # until the next member's session starts — the trainer may walk over after the member has signed out.
    decided: dict[str, Any] | None = None
    ended: dict[str, Any] | None = None  # the session that ended last (id, member), to name its recommendations
    session_started: datetime | None = None
    session_reps: set[tuple[int | None, str, int]] = field(default_factory=set)  # (set, leg, rep) judged
    # The station's site, on the chain's central view only (every site has its st-01); None at a site.
    site_id: str | None = None

    @property
    def key(self) -> str:
        """The tile's key on its floor: the station id at a site, `site/station` on the central view."""
        return tile_key(self.site_id, self.station_id)

    def seen(self, ts: datetime) -> None:
        """The station was heard from at `ts`: the newest wins (events of its services' connections interleave)."""
        if self.last_seen is None or ts > self.last_seen:
            self.last_seen = ts

    @property
    def flags(self) -> list[str]:
        """The station's notes for the trainer on the last session (the leg gap…), each once."""
        return list(self.decided["flags"]) if self.decided else []

    @property
    def state(self) -> str:
        """online when every service is online, offline when none runs, degraded in between."""
        states = {s.state for s in self.services.values()}
        if not states:
            return "unknown"
        if states <= {ServiceState.ONLINE.value}:
            return "online"
        if states <= {ServiceState.OFFLINE.value, ServiceState.STOPPED.value}:
            return "offline"
        return "degraded"

    @property
    def reps(self) -> int:
        return len(self.set_verdicts)

    def _count(self, status: Status) -> int:
        return sum(1 for s in self.set_verdicts.values() if s == status)

    @property
    def passed_reps(self) -> int:
        return self._count("passed")

    @property
    def failed_reps(self) -> int:
        return self._count("failed")

    @property
    def unverified_reps(self) -> int:
        """Reps with no fault found but a blocking check not made (camera lost…): neither passed nor failed."""
        return self._count("unverified")

    @property
    def alerts(self) -> list[str]:
        out = []
        if self.state == "offline":
            out.append("station offline")
        elif self.state == "degraded":
            bad = [f"{s.service}: {s.detail or s.state}" for s in self.services.values()
                   if s.state != ServiceState.ONLINE.value]
            out.append("degraded — " + "; ".join(bad))
        if self.failed_reps >= STRUGGLE_FAILED_REPS:
            out.append(f"{self.failed_reps} reps failed in this set")
        if self.decided:
            who = self.decided["member_name"] or self.decided["member_id"]
            out.extend(f"{who}: {f}" for f in self.decided["flags"])
        return out

    @property
    def attention(self) -> bool:
        """Stands out on the floor: offline, a member struggling with form, or a flag on the last session."""
        return self.state == "offline" or self.failed_reps >= STRUGGLE_FAILED_REPS or bool(self.flags)

    def _site_json(self) -> dict[str, Any]:
        """The site and key, on the central view only: at a site the station id is the key (as it always was)."""
        return {"site_id": self.site_id, "key": self.key} if self.site_id else {}

    def fields_json(self, names: tuple[str, ...]) -> dict[str, Any]:
        """Only these fields of `to_json()` (plus the station's id and key), for the high-rate streams' changes."""
        out: dict[str, Any] = {"station_id": self.station_id, **self._site_json()}
        for n in names:
            if n == "last_seen":
                out[n] = self.last_seen.isoformat() if self.last_seen else None
            elif n == "cues":
                out[n] = list(self.cues)
            else:
                out[n] = getattr(self, n)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "station_id": self.station_id, **self._site_json(), "state": self.state, "attention": self.attention,
            "alerts": self.alerts,
            "services": {k: v.to_json() for k, v in sorted(self.services.items())},
            "member_id": self.member_id, "member_name": self.member_name, "session_id": self.session_id,
            "exercise": self.exercise, "goal": self.goal, "leg": self.leg, "set_index": self.set_index,
            "sets_planned": self.sets_planned,
            "set_open": self.set_open, "target_reps": self.target_reps, "weight_kg": self.weight_kg,
            "reps": self.reps, "passed_reps": self.passed_reps, "failed_reps": self.failed_reps,
            "unverified_reps": self.unverified_reps,
            "last_verdict": self.last_verdict, "force_n": self.force_n, "cues": list(self.cues),
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "goal_view": self.goal_view, "decided": self.decided,
        }


@dataclass
class Change:
    """What one event changed: the tile (floor), and a rep row (station page).

    `fields` names the only tile fields the event touched (the high-rate streams touch one or
    two), so the live feed can send those without serialising the whole tile; None means any.
    """

    station_id: str  # the tile's key (`Tile.key`: the station id at a site)
    tile: bool = False
    rep: dict[str, Any] | None = None
    fields: tuple[str, ...] | None = None


def unchecked(v: RepVerdict) -> list[dict[str, Any]]:
    """The blocking checks that could not be made, and why: what leaves a rep unverified."""
    return [{"check": k.check.value, "words": CHECK_WORDS[k.check], "why": k.why,
             "sensor": k.sensor.value if k.sensor else None}
            for k in v.checks if k.blocking and k.outcome is Outcome.NOT_CHECKED]


def verdict_json(v: RepVerdict) -> dict[str, Any]:
    """A verdict as the floor and the station page show it; `status` is passed, failed or unverified."""
    return {"rep_index": v.rep_index, "leg": v.leg.value, "set_index": v.set_index, "passed": v.passed,
            "status": v.status, "verified": v.verified, "unchecked": unchecked(v),
            "faults": [f.value for f in v.faults], "words": [FAULT_WORDS[f] for f in v.faults],
            "sensors": [s.value for s in v.sensors], "revision": v.revision}


def rep_row(v: RepVerdict, session_id: str | None, start_t: float, end_t: float, metrics: dict[str, float],
            ts: datetime | None) -> dict[str, Any]:
    """A row of the station page's rep table: the verdict, every check's outcome, the sensors' figures."""
    return {**verdict_json(v), "session_id": session_id, "start_t": start_t, "end_t": end_t,
            "reasons": list(v.reasons), "checks": [k.model_dump(mode="json") for k in v.checks],
            "metrics": metrics, "ts": ts.isoformat() if ts else None}


def summary_statuses(faults_per_rep: list[list[Fault]], unverified: int,
                     known: dict[int, Status]) -> dict[int, Status]:
    """Each rep's status from a set summary, which counts unverified reps but does not say which.

    A rep with a fault failed. Of the others, the summary's count of unverified ones wins: the reps
    whose own verdict said unverified first, then reps whose verdict never arrived, then the latest others
    (a revision we missed).
    """
    out: dict[int, Status] = {i + 1: "failed" if faults else "passed" for i, faults in enumerate(faults_per_rep)}
    clean = [i for i, s in out.items() if s == "passed"]
    order = ([i for i in clean if known.get(i) == "unverified"] + [i for i in clean if i not in known]
             + [i for i in reversed(clean) if known.get(i) == "passed"])
    for i in order[:unverified]:
        out[i] = "unverified"
    return out


def recommendation_json(r: Recommendation) -> dict[str, Any]:
    """One leg's recommendation as the pages show it: the plan for next time, why, and the trainer's flags."""
    return {"leg": r.leg.value, "action": r.action.value, "current_weight_kg": r.current_weight_kg,
            "next_weight_kg": r.next_weight_kg, "next_target_reps": r.next_target_reps,
            "reasons": list(r.reasons), "flags": list(r.flags)}


def add_recommendation(decided: dict[str, Any] | None, r: Recommendation, member_name: str,
                       goal_view: dict[str, Any] | None, ts: datetime) -> dict[str, Any]:
    """A session's decision with this leg's recommendation in it (a repeat of a leg replaces it); the flags of
    every leg, each once (the leg gap is flagged on both legs)."""
    if decided is None or decided["session_id"] != r.session_id:
        decided = {"session_id": r.session_id, "member_id": r.member_id, "member_name": member_name,
                   "exercise": r.exercise, "goal": r.goal, "goal_view": goal_view, "legs": [], "flags": []}
    legs = [leg for leg in decided["legs"] if leg["leg"] != r.leg.value] + [recommendation_json(r)]
    flags = list(dict.fromkeys(f for leg in legs for f in leg["flags"]))
    return {**decided, "legs": legs, "flags": flags, "ts": ts.isoformat()}


def rep_metrics(camera: CameraRep | None, load: LoadRep | None) -> dict[str, float]:
    """One flat dict of a rep's figures from both sensors, rounded for display."""
    m: dict[str, float] = {}
    if camera is not None:
        m.update({"concentric_s": camera.concentric_s, "eccentric_s": camera.eccentric_s,
                  "top_hold_s": camera.top_hold_s})
        m.update(camera.metrics)
    if load is not None:
        m.update(load.metrics)  # curl peak force, stack travel, starting tension: every figure it measured
        m.update({"peak_force_n": load.peak_force_n, "load_kg": load.load_kg,
                  "peak_velocity": load.peak_velocity})
        m.setdefault("concentric_s", load.concentric_s)
        m.setdefault("eccentric_s", load.eccentric_s)
    return {k: round(v, 2) for k, v in m.items()}


class FloorState:
    """Every station's tile and recent reps; `apply` is the only way in.

    `central`: the chain's central view of every site (GYM_DASHBOARD_CENTRAL). Tiles are keyed by site and
    station (`tile_key`), each site's own services are kept apart, and no member's name is kept: names are
    the site's to show and to erase, the centre sees member ids."""

    def __init__(self, sets_for: SetsFor | None = None, describe_goal: DescribeGoal | None = None,
                 central: bool = False) -> None:
        self.central = central
        self.tiles: dict[str, Tile] = {}
        # member id -> their last session's decision (`add_recommendation`), newest last, for the member page
        self.member_decisions: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._describe_goal = describe_goal or (lambda _e, _g: None)
        self.sites_services: dict[str, dict[str, ServiceView]] = {}  # site id -> its site services' status
        self.rep_rows: dict[str, deque[dict[str, Any]]] = {}
        self._sensor_reps: dict[str, deque[CameraRep | LoadRep]] = {}
        self._sets_for = sets_for or (lambda _e, _g: None)

    def tile(self, station_id: str) -> Tile:
        t = self.tiles.get(station_id)
        if t is None:
            t = self.tiles[station_id] = Tile(station_id)
        return t

    def key(self, ev: Envelope) -> str:
        """The key of the tile `ev` is about."""
        return tile_key(ev.site_id if self.central else None, ev.station_id)

    def _tile_of(self, ev: Envelope) -> Tile:
        key = self.key(ev)
        t = self.tiles.get(key)
        if t is None:
            t = self.tiles[key] = Tile(ev.station_id, site_id=ev.site_id if self.central else None)
        return t

    @property
    def site_services(self) -> dict[str, ServiceView]:
        """The site services' status (at a site: its own; on the central view: every site's, see `sites_services`)."""
        return {name: view for services in self.sites_services.values() for name, view in services.items()}

    def rows(self, station_id: str) -> list[dict[str, Any]]:
        return list(self.rep_rows.get(station_id, ()))

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.tiles[k].to_json() for k in sorted(self.tiles)]

    # ------------------------------------------------------------ events

    def apply(self, ev: Envelope) -> Change | None:
        return self._handlers(ev) if self._handlers.handles(ev) else None

    @cached_property
    def _handlers(self) -> HandlerTable[[], Change | None]:
        """What each kind of event changes on the floor."""
        return (HandlerTable[[], Change | None]()
                .on(StationStatusEvent, self._status)
                .on(SessionStartedEvent, self._session_started)
                .on(SessionEndedEvent, self._session_ended)
                .on(SetStartedEvent, self._set_started)
                .on(SetEndedEvent, self._set_ended)
                .on(SetSummaryEvent, self._set_summary)
                .on(RepVerdictEvent, self._verdict)
                .on(RecommendationEvent, self._recommendation)
                .on(CameraRepEvent, self._sensor_rep)
                .on(LoadRepEvent, self._sensor_rep)
                .on(LoadTraceEvent, self._trace)
                .on(CameraPoseEvent, self._pose))

    @staticmethod
    def _touched(t: Tile, ev: Envelope) -> Change:
        t.seen(ev.ts)
        return Change(t.key, tile=True)

    def _status(self, ev: StationStatusEvent) -> Change | None:
        view = ServiceView(ev.data.service, ev.data.state.value, ev.data.version, ev.data.detail,
                           dict(ev.data.metrics), ev.ts)
        if ev.station_id == SITE_STATION:
            self.sites_services.setdefault(ev.site_id, {})[ev.data.service] = view
            return None
        t = self._tile_of(ev)
        t.services[ev.data.service] = view
        return self._touched(t, ev)

    def _session_started(self, ev: SessionStartedEvent) -> Change:
        t = self._tile_of(ev)
        d = ev.data
        t.member_id, t.member_name, t.session_id = d.member_id, "" if self.central else d.member_name, d.session_id
        t.exercise, t.goal, t.leg = d.exercise, d.goal, d.leg_order[0].value
        # The member's own choice; a kiosk that sent none trains the goal's least (its default).
        t.sets_planned = d.planned_sets or self._sets_for(d.exercise, d.goal)
        t.set_index, t.target_reps, t.weight_kg, t.set_open = None, None, None, False
        t.set_verdicts = {}
        t.goal_view = self._describe_goal(d.exercise, d.goal)
        t.session_started, t.session_reps = ev.ts, set()
        t.decided = None  # the last member's flags were for their trainer: a new member starts clean
        return self._touched(t, ev)

    def _session_ended(self, ev: SessionEndedEvent) -> Change | None:
        t = self._tile_of(ev)
        if t.session_id not in (None, ev.data.session_id):
            return None  # a late end of an older session
        t.ended = {"session_id": ev.data.session_id, "member_id": ev.data.member_id,
                   "member_name": t.member_name, "goal_view": t.goal_view, "started": t.session_started,
                   "reps": len(t.session_reps)}
        t.session_started, t.session_reps = None, set()
        t.goal_view = None
        t.member_id, t.member_name, t.session_id, t.goal, t.exercise = None, "", None, None, None
        t.leg, t.set_index, t.sets_planned, t.target_reps, t.weight_kg = None, None, None, None, None
        t.set_open, t.set_verdicts, t.cues = False, {}, []
        return self._touched(t, ev)

    def _set_started(self, ev: SetStartedEvent) -> Change:
        t = self._tile_of(ev)
        ss = ev.data
        t.session_id = t.session_id or ss.session_id
        t.leg, t.set_index, t.weight_kg, t.target_reps = ss.leg.value, ss.set_index, ss.weight_kg, ss.target_reps
        t.set_open, t.set_verdicts = True, {}
        return self._touched(t, ev)

    def _set_ended(self, ev: SetEndedEvent) -> Change:
        t = self._tile_of(ev)
        t.set_open = False
        return self._touched(t, ev)

    def _set_summary(self, ev: SetSummaryEvent) -> Change:
        t = self._tile_of(ev)
        sm = ev.data
        if t.set_index == sm.set_index and t.leg == sm.leg.value:
            # The summary is authoritative: it also counts reps whose verdicts we missed.
            t.set_verdicts = summary_statuses(sm.faults_per_rep, sm.unverified_reps, t.set_verdicts)
            t.sets_planned = sm.planned_sets or t.sets_planned
        return self._touched(t, ev)

    def _sensor_rep(self, ev: CameraRepEvent | LoadRepEvent) -> Change:
        self._sensor_reps.setdefault(self.key(ev), deque(maxlen=8)).append(ev.data)
        t = self._tile_of(ev)
        t.seen(ev.ts)
        return Change(t.key)

    def _trace(self, ev: LoadTraceEvent) -> Change | None:
        t = self._tile_of(ev)
        if not ev.data.force_n:
            return None
        t.force_n = round(ev.data.force_n[-1], 1)
        t.seen(ev.ts)
        return Change(t.key, tile=True, fields=TRACE_FIELDS)

    def _pose(self, ev: CameraPoseEvent) -> Change:
        t = self._tile_of(ev)
        t.cues = list(ev.data.cues)
        t.seen(ev.ts)
        return Change(t.key, tile=True, fields=POSE_FIELDS)

    def _verdict(self, ev: RepVerdictEvent) -> Change:
        t = self._tile_of(ev)
        v = ev.data
        t.last_verdict = verdict_json(v)
        if v.set_index is not None and v.set_index == t.set_index and v.leg.value == t.leg:
            t.set_verdicts[v.rep_index] = v.status  # a revision replaces the first verdict
        if v.session_id is not None and v.session_id == t.session_id:
            t.session_reps.add((v.set_index, v.leg.value, v.rep_index))
        t.seen(ev.ts)
        camera = self._match(t.key, v, CameraRep)
        load = self._match(t.key, v, LoadRep)
        row = rep_row(v, v.session_id, v.start_t, v.end_t, rep_metrics(camera, load), ev.ts)
        rows = self.rep_rows.setdefault(t.key, deque(maxlen=REP_ROWS))
        key = (row["session_id"], row["set_index"], row["leg"], row["rep_index"])
        for i, old in enumerate(rows):
            if (old["session_id"], old["set_index"], old["leg"], old["rep_index"]) == key:
                if not row["metrics"]:
                    row["metrics"] = old["metrics"]
                del rows[i]
                break
        rows.append(row)
        return Change(t.key, tile=True, rep=row)

    def _recommendation(self, ev: RecommendationEvent) -> Change | None:
        r = ev.data
        t = self._tile_of(ev)
        # Its session has ended here (the usual order), or its session.ended is still on its way (another
        # connection's message may overtake it): either way the tile knows the member's name.
        ended = t.ended if t.ended and t.ended["session_id"] == r.session_id else None
        if ended is None and t.session_id == r.session_id:
            ended = {"member_name": t.member_name, "goal_view": t.goal_view}
        known = self.member_decisions.get(r.member_id)
        name = ended["member_name"] if ended else (known or {}).get("member_name", "")
        goal_view = ended["goal_view"] if ended else self._describe_goal(r.exercise, r.goal)
        decided = add_recommendation(known, r, name, goal_view, ev.ts)
        self.member_decisions[r.member_id] = decided
        self.member_decisions.move_to_end(r.member_id)
        while len(self.member_decisions) > MEMBER_DECISIONS:
            self.member_decisions.popitem(last=False)
        if t.session_id not in (None, r.session_id):
            return None  # the next member already trains here: the decision goes to the member's page only
        t.decided = decided
        t.seen(ev.ts)
        return Change(t.key, tile=True)

    def _match(self, station: str, v: RepVerdict, kind: type[CameraRep] | type[LoadRep]) -> Any:
        best: CameraRep | LoadRep | None = None
        for r in self._sensor_reps.get(station, ()):
            if isinstance(r, kind) and abs(r.start_t - v.start_t) <= MATCH_WINDOW_S and (
                    best is None or abs(r.start_t - v.start_t) < abs(best.start_t - v.start_t)):
                best = r
        return best

    def forget_member(self, member_id: str) -> None:
        """An erased member: their name off the tiles, and what the station decided for them gone."""
        self.member_decisions.pop(member_id, None)
        for t in self.tiles.values():
            if t.member_id == member_id:
                t.member_name = ""
            if t.decided and t.decided["member_id"] == member_id:
                t.decided = None
            if t.ended and t.ended["member_id"] == member_id:
                t.ended = None

    # ------------------------------------------------------------ restart

    def seed(self, station_id: str, state: StationRecord) -> None:
        """Fill a tile from the station state the progression service keeps, so a restart is not blank."""
        s = state.session
        if s is None:
            return
        t = self.tile(station_id)
        t.member_id, t.member_name, t.session_id = s.member_id, s.member_name, s.session_id
        t.exercise, t.goal, t.leg = s.exercise, s.goal, s.leg_order[0].value
        # Read defensively: records written before planned_sets existed have none.
        t.sets_planned = getattr(s, "planned_sets", None) or self._sets_for(s.exercise, s.goal)
        t.goal_view = self._describe_goal(s.exercise, s.goal)
        t.session_started = s.started
        t.session_reps = {(st.set_index, st.leg.value, r.rep_index) for st in s.sets for r in st.reps if r.verdict}
        if state.current_set is not None and state.current_set < len(s.sets):
            cur = s.sets[state.current_set]
            t.leg, t.set_index, t.weight_kg, t.target_reps = cur.leg.value, cur.set_index, cur.weight_kg, \
                cur.target_reps
            t.set_open = not cur.ended
            t.set_verdicts = {r.rep_index: r.verdict.status for r in cur.reps if r.verdict}
        rows = self.rep_rows.setdefault(station_id, deque(maxlen=REP_ROWS))
        for st in s.sets:
            for r in st.reps:
                if r.verdict:
                    rows.append(rep_row(r.verdict, s.session_id, r.start_t, r.end_t, rep_metrics(r.camera, r.load),
                                        r.made))
                    t.last_verdict = verdict_json(r.verdict)
