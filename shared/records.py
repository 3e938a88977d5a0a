"""Records the site keeps in Redis (sessions, sets, reps, members, progress), as pydantic models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.contract import CameraRep, Fault, IdMethod, Leg, LoadRep, MemberInfo, Phrase, RepVerdict


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RepRecord(Record):
    """One movement, as seen by one or both sensors."""

    rep_index: int
    leg: Leg
    start_t: float
    end_t: float
    camera: CameraRep | None = None
    load: LoadRep | None = None
    verdict: RepVerdict | None = None  # the latest verdict's outcome (its checks are in the published one)
    unchecked: str = ""  # the first blocking check not made and why; "" when every one was made
    made: datetime | None = None  # when the first sensor's event was made (station clock, UTC)


class SetRecord(Record):
    set_index: int
    leg: Leg
    weight_kg: float
    target_reps: int
    ended: bool = False
    end_reason: str = ""
    started_ts: datetime | None = None
    ended_ts: datetime | None = None
    reps: list[RepRecord] = Field(default_factory=list)

    def rep_faults(self) -> tuple[tuple[Fault, ...], ...]:
        return tuple(tuple(r.verdict.faults) if r.verdict else () for r in self.reps)

    def rep_unchecked(self) -> tuple[str, ...]:
        """Per rep: "" when every blocking check was made, else the first one that was not, and why."""
        return tuple("not judged yet" if r.verdict is None else "" if r.verdict.verified else
                     r.unchecked or "not checked" for r in self.reps)

    def unverified_reps(self) -> int:
        return sum(1 for r in self.reps if r.verdict is not None and r.verdict.status == "unverified")


class SessionRecord(Record):
    session_id: str
    member_id: str
    member_name: str = ""
    exercise: str
    goal: str
    leg_order: list[Leg]
    planned_sets: int | None = None  # sets per leg the member chose (None: the goal's least)
    rom_deg: dict[Leg, float] = Field(default_factory=dict)  # the member's own range, per leg, when recorded
    started: datetime
    ended: datetime | None = None
    end_reason: str = ""
    sets: list[SetRecord] = Field(default_factory=list)


class StationRecord(Record):
    """A station's live session: the sets so far and the one under way."""

    session: SessionRecord | None = None
    closed: SessionRecord | None = None  # the session that ended last, for a sensor event that comes late
    current_set: int | None = None  # index into session.sets while a set is under way
    loose_reps: int = 0  # reps seen outside any set (kept in the station's unassigned list)
    loose: list[RepRecord] = Field(default_factory=list)  # the latest of them, which a set may still claim


class MemberRecord(Record):
    info: MemberInfo
    tokens: list[tuple[IdMethod, str]] = Field(
        default_factory=list, description="How the member taps in: (method, reference), the reference being the "
        "keyed hash 'hmac:<hex>' of the badge id, QR text or PIN (`shared.identity.token_ref`), never the token. "
        "Records written before hold the clear token; the store replaces it when it reads or saves the record")
    allow_leg_gap: bool = Field(default=False, description="A trainer allowed the legs to differ")
    rom_deg: dict[Leg, float] = Field(
        default_factory=dict, description="The member's controlled range of motion per leg (peak knee bend, °), "
        "the median of their first clean reps")
    created: datetime | None = None


class ProgressRecord(Record):
    """Next time's plan for one member, exercise and leg."""

    weight_kg: float
    target_reps: int
    goal: str
    fail_shares: list[float] = Field(default_factory=list)
    last_action: str = "hold"
    planned_sets: int | None = None  # the sets per leg the member chose last time
    reasons: list[str] = Field(default_factory=list)
    phrases: list[Phrase] = Field(default_factory=list)  # the reasons as phrases (none in an older record)
    updated: datetime | None = None
