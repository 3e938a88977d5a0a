"""Weekly reports (pure: sessions in, figures out): a member's week for their trainer to print, and the
site's station usage for operators. Weeks are ISO weeks (Monday to Sunday, UTC), named "2026-W48"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.dashboard.history import SessionPoint
from services.dashboard.trends import recurring_faults
from shared.contract import FAULT_FIXES, FAULT_WORDS, Fault

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def week_name(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def week_start(name: str) -> datetime:
    """Monday 00:00 UTC of the ISO week "2026-W48" (ValueError for anything else)."""
    m = WEEK.match(name)
    if m is None:
        raise ValueError(f"not an ISO week like 2026-W48: {name!r}")
    return datetime.combine(date.fromisocalendar(int(m[1]), int(m[2]), 1), datetime.min.time(), UTC)


def week_label(start: datetime) -> str:
    end = start + timedelta(days=6)
    return f"{start:%d %b} – {end:%d %b %Y}"


@dataclass
class LegWeek:
    leg: str
    sets: int = 0
    reps: int = 0
    passed: int = 0
    weights: list[float] = field(default_factory=list)  # the heaviest set of each session, in order
    strength_kg: float | None = None  # the week's best Epley estimate
    rom_deg: float | None = None  # the last session's measured range

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.reps if self.reps else None


@dataclass
class MemberWeek:
    week: str
    start: datetime
    sessions: list[SessionPoint]
    legs: dict[str, LegWeek]
    before: dict[str, LegWeek]  # the same figures for the week before, to say what changed
    faults: list[tuple[str, int, int]]  # (fault, reps, sessions) seen in two sessions or more this week
    work_on: list[str]  # the fixes of the recurring faults, most reps first, then the station's flags

    @property
    def reps(self) -> int:
        return sum(p.reps for p in self.sessions)

    @property
    def pass_rate(self) -> float | None:
        reps = self.reps
        return sum(p.passed for p in self.sessions) / reps if reps else None

    def fault_rows(self) -> list[dict[str, Any]]:
        return [{"fault": f, "words": FAULT_WORDS[Fault(f)], "reps": n, "sessions": k, "fix": FAULT_FIXES[Fault(f)]}
                for f, n, k in self.faults]


def _legs(points: list[SessionPoint]) -> dict[str, LegWeek]:
    out: dict[str, LegWeek] = {}
    for p in points:
        for leg, t in p.legs.items():
            w = out.setdefault(leg, LegWeek(leg))
            w.sets += t.sets
            w.reps += t.reps
            w.passed += t.passed
            w.weights.append(t.weight_kg)
            if t.strength_kg is not None and (w.strength_kg is None or t.strength_kg > w.strength_kg):
                w.strength_kg = t.strength_kg
            if t.rom_deg is not None:
                w.rom_deg = t.rom_deg
    return out


def member_week(points: list[SessionPoint], week: str, flags: list[str] | None = None) -> MemberWeek:
    """The member's sessions in `week`, per leg, against the week before; recurring faults and what to work on.
    A fault counts as recurring when two sessions of the week had it; with a single session, any fault it had."""
    start = week_start(week)
    end, prev = start + timedelta(days=7), start - timedelta(days=7)
    this = [p for p in points if start <= p.started < end]
    last = [p for p in points if prev <= p.started < start]
    faults = recurring_faults([p.legs for p in this], least=2 if len(this) > 1 else 1)
    work_on = [f"{FAULT_FIXES[Fault(f)]} ({n} reps {FAULT_WORDS[Fault(f)]})" for f, n, _ in faults[:3]]
    work_on += list(flags or [])
    return MemberWeek(week, start, this, _legs(this), _legs(last), faults, work_on)


@dataclass(frozen=True)
class SessionUse:
    """One session at a station, as the usage log keeps it: when, how long, how many reps. No member."""

    station_id: str
    session_id: str
    started: datetime
    ended: datetime
    reps: int = 0

    @property
    def minutes(self) -> float:
        return max(0.0, (self.ended - self.started).total_seconds() / 60)


@dataclass
class StationWeek:
    station_id: str
    sessions_per_day: list[int]  # Monday first
    minutes: float = 0.0
    reps: int = 0

    @property
    def sessions(self) -> int:
        return sum(self.sessions_per_day)


def station_usage(uses: list[SessionUse], week: str, stations: list[str] | None = None) -> list[StationWeek]:
    """Per station, the week's sessions per day (by the session's start, UTC), minutes in use and reps; every
    station in `stations` is listed, an idle one with zeros (an idle station is the finding an operator needs)."""
    start = week_start(week)
    out = {s: StationWeek(s, [0] * 7) for s in stations or []}
    for u in uses:
        day = (u.started - start).days
        if not 0 <= day < 7:
            continue
        w = out.setdefault(u.station_id, StationWeek(u.station_id, [0] * 7))
        w.sessions_per_day[day] += 1
        w.minutes += u.minutes
        w.reps += u.reps
    return [out[k] for k in sorted(out)]
