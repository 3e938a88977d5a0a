"""Members: list, history with trends and the last recommendation, CSV of the sessions, enrol and edit."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.dashboard.api.deps import Audit, AuditDep, Csrf, CurrentTrainer, LiveDep, StoreDep
from services.dashboard.history import (
    CSV_FIELDS,
    FAULT_COLOURS,
    SessionPoint,
    csv_rows,
    member_charts,
    rom_words,
    saved_decision,
    session_points,
)
from services.dashboard.live import LiveFeed
from services.dashboard.templating import render
from shared.catalogue import DEFAULT_EXERCISE, default_catalogue
from shared.contract import FAULT_WORDS, Fault, IdMethod, Leg, MemberInfo
from shared.records import MemberRecord
from shared.store import RedisStore

router = APIRouter(tags=["members"])

MEMBER_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MemberId = Annotated[str, Path(pattern=MEMBER_ID)]


def goal_names() -> dict[str, str]:
    """Every goal of the catalogue (the default exercise's first) by id, with its name; the catalogue
    includes the exercises added as data (GYM_CATALOGUE_DIR)."""
    out: dict[str, str] = {}
    for ex in sorted(default_catalogue().values(), key=lambda e: e.id != DEFAULT_EXERCISE):
        for g in ex.goals:
            out.setdefault(g.id, g.name)
    return out


def goal_label(exercise: str, goal: str) -> str:
    """A session's goal as a trainer reads it, with the exercise's name when it is not the default one."""
    ex = default_catalogue().get(exercise)
    name = next((g.name for g in ex.goals if g.id == goal), goal) if ex else goal_names().get(goal, goal)
    return name if ex is None or ex.id == DEFAULT_EXERCISE else f"{ex.name} · {name}"


class MemberIn(BaseModel):
    """What a trainer may set on a member; the same rules for the form and the JSON API."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=80, description="Display name")
    # A badge reader types the card's id: printable characters, no spaces.
    badge: str | None = Field(default=None, max_length=128, pattern=r"^[\x21-\x7e]+$", description="Badge id")
    weaker_leg: Leg | None = Field(default=None, description="Trained first")
    goal: str | None = Field(default=None, description="Goal id of the exercise")

    @field_validator("badge", "goal", "weaker_leg", mode="before")
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("goal")
    @classmethod
    def _known_goal(cls, v: str | None) -> str | None:
        if v is not None and v not in goal_names():
            raise ValueError(f"unknown goal; one of {', '.join(goal_names())}")
        return v


class MemberOut(BaseModel):
    member_id: str
    name: str
    weaker_leg: Leg | None
    goal: str | None
    badge: str | None
    created: datetime | None
    rom_deg: dict[Leg, float] = Field(
        default_factory=dict, description="The member's own controlled range of motion per leg (peak knee bend, "
        "degrees): the median of their first clean reps; a leg is missing until it is recorded")


def member_out(rec: MemberRecord) -> MemberOut:
    badge = next((t for m, t in rec.tokens if m == IdMethod.BADGE), None)
    rom = getattr(rec, "rom_deg", None) or {}  # records written before the range was kept have none
    return MemberOut(member_id=rec.info.member_id, name=rec.info.name, weaker_leg=rec.info.weaker_leg,
                     goal=rec.info.goal, badge=badge, created=rec.created, rom_deg=dict(rom))


class BadgeTaken(ValueError):
    pass


def save(store: RedisStore, data: MemberIn, old: MemberRecord | None, audit: Audit) -> MemberRecord:
    """Create (old None) or update a member; the badge may belong to nobody else. Audited: which fields
    changed (not their values: the log holds ids, never a member's name) and the badge before and after, by
    their keyed fingerprints."""
    member_id = old.info.member_id if old else f"m-{secrets.token_hex(5)}"
    if data.badge:
        holder = store.member_by_token(IdMethod.BADGE, data.badge)
        if holder is not None and holder.info.member_id != member_id:
            raise BadgeTaken(f"badge {data.badge} already belongs to {holder.info.name}")
    tokens: list[tuple[IdMethod, str]] = [(m, t) for m, t in (old.tokens if old else []) if m != IdMethod.BADGE]
    if data.badge:
        tokens.append((IdMethod.BADGE, data.badge))
    info = MemberInfo(member_id=member_id, name=data.name, weaker_leg=data.weaker_leg, goal=data.goal)
    if old is None:
        rec = MemberRecord(info=info, tokens=tokens, created=datetime.now(UTC))
    else:
        # A copy keeps what a trainer does not edit here: the leg-gap permission, the range of motion the
        # progression service recorded, and any field a newer service adds.
        rec = old.model_copy(update={"info": info, "tokens": tokens})
    store.save_member(rec, old)
    # Compared as stored (the store may keep a badge as a reference rather than as typed).
    _audit_save(audit, store.member(member_id) or rec, old)
    return rec


def _audit_save(audit: Audit, rec: MemberRecord, old: MemberRecord | None) -> None:
    mid = rec.info.member_id
    new_out, old_out = member_out(rec), member_out(old) if old else None
    fields = ("name", "weaker_leg", "goal", "badge")
    if old_out is None:
        audit("member.create", mid, fields=[f for f in fields if getattr(new_out, f) is not None])
    else:
        changed = [f for f in fields if getattr(new_out, f) != getattr(old_out, f)]
        if changed:
            audit("member.edit", mid, fields=changed)
    before = old_out.badge if old_out else None
    if new_out.badge != before:
        audit("badge.move", mid, badge_from=audit.fingerprint(before) if before else None,
              badge_to=audit.fingerprint(new_out.badge) if new_out.badge else None)


def _member_or_404(store: RedisStore, member_id: str) -> MemberRecord:
    rec = store.member(member_id)
    if rec is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no member {member_id}")
    return rec


def _form_errors(exc: ValidationError) -> dict[str, str]:
    return {str(e["loc"][0]) if e["loc"] else "form": e["msg"].removeprefix("Value error, ") for e in exc.errors()}


# ------------------------------------------------------------------ pages

@router.get("/members", include_in_schema=False)
def members_page(request: Request, user: CurrentTrainer, store: StoreDep) -> Response:
    rows = sorted((member_out(m) for m in store.members()), key=lambda m: m.name.lower())
    erased = request.query_params.get("erased", "")  # after an erasure: only an id, and only one that is gone
    if not re.fullmatch(MEMBER_ID, erased) or store.member(erased) is not None:
        erased = ""
    return render(request, "members.html", {"members": rows, "goals": goal_names(), "erased": erased})


@router.get("/members/new", include_in_schema=False)
def new_member_page(request: Request, user: CurrentTrainer) -> Response:
    return render(request, "member_form.html", {"member": None, "values": {}, "errors": {}, "goals": goal_names()})


async def _form_values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(form.get(k) or "") for k in ("name", "badge", "weaker_leg", "goal")}


@router.post("/members", include_in_schema=False, dependencies=[Csrf])
async def create_member_form(request: Request, user: CurrentTrainer, store: StoreDep, audit: AuditDep) -> Response:
    return await _member_form_sent(request, store, None, audit)


def member_decision(live: LiveFeed, store: RedisStore, rec: MemberRecord, points: list[SessionPoint]
                    ) -> dict[str, Any] | None:
    """The member's last recommendation per leg with its reasons and flags: as the live feed heard it, else as
    the progression service saved the plan."""
    mid = rec.info.member_id
    with live.lock:
        heard = live.floor.member_decisions.get(mid)
    if heard is not None:
        return heard
    last = points[-1] if points else None
    exercise = last.exercise if last else DEFAULT_EXERCISE
    plans = {leg.value: p for leg in Leg if (p := store.progress(mid, exercise, leg)) is not None}
    return saved_decision(mid, rec.info.name, plans, last)


def fault_line(p: SessionPoint) -> list[tuple[str, list[tuple[str, int]]]]:
    """Per leg, the faults of a session as a trainer reads them: [("left", [("swung the thigh", 3)])]."""
    return [(leg, [(FAULT_WORDS[Fault(f)], n) for f, n in t.faults.most_common()]) for leg, t in p.legs.items()
            if t.faults]


def chart_colours(charts: dict[str, Any]) -> dict[str, str]:
    fixed = {"left": "#4589ff", "right": "#ff7eb6", "gap": "#f1c21b", "passed": "#42be65", "not checked": "#be95ff"}
    names = [n for n in charts["faults"].series if n not in fixed]
    return {**fixed, **dict(zip(names, FAULT_COLOURS, strict=False))}


@router.get("/members/{member_id}", include_in_schema=False)
def member_page(request: Request, member_id: MemberId, user: CurrentTrainer, store: StoreDep,
                live: LiveDep) -> Response:
    rec = _member_or_404(store, member_id)
    points = session_points(store.history(member_id))
    m = member_out(rec)
    charts = member_charts(points)
    return render(request, "member.html", {"m": m, "rom": rom_words(m.rom_deg), "points": list(reversed(points)),
                                           "charts": charts, "colours": chart_colours(charts), "goals": goal_names(),
                                           "goal_label": goal_label, "is_operator": user.is_operator,
                                           "decided": member_decision(live, store, rec, points),
                                           "fault_line": fault_line})


@router.get("/members/{member_id}/sessions.csv", summary="A member's sessions, one row per session and leg")
def member_sessions_csv(member_id: MemberId, user: CurrentTrainer, store: StoreDep, audit: AuditDep) -> Response:
    """For a trainer's own tools: weights, reps, pass rate, faults per fault, range of motion and the estimated
    strength (Epley) of each leg of each session. Audited, as every copy of a member's data that leaves the site."""
    _member_or_404(store, member_id)
    rows = csv_rows(session_points(store.history(member_id)))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    audit("member.sessions_csv", member_id, rows=len(rows))
    return PlainTextResponse(buf.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{member_id}-sessions.csv"', "Cache-Control": "no-store"})


@router.get("/members/{member_id}/edit", include_in_schema=False)
def edit_member_page(request: Request, member_id: MemberId, user: CurrentTrainer, store: StoreDep) -> Response:
    m = member_out(_member_or_404(store, member_id))
    values = {"name": m.name, "badge": m.badge or "", "weaker_leg": m.weaker_leg.value if m.weaker_leg else "",
              "goal": m.goal or ""}
    return render(request, "member_form.html", {"member": m, "values": values, "errors": {}, "goals": goal_names()})


@router.post("/members/{member_id}", include_in_schema=False, dependencies=[Csrf])
async def edit_member_form(request: Request, member_id: MemberId, user: CurrentTrainer, store: StoreDep,
                           audit: AuditDep) -> Response:
    return await _member_form_sent(request, store, _member_or_404(store, member_id), audit)


async def _member_form_sent(request: Request, store: RedisStore, old: MemberRecord | None, audit: Audit) -> Response:
    """The member form sent (a new member when `old` is None): saved and on to the member's page, or the form
    again with what to fix."""
    values = await _form_values(request)
    try:
        rec = save(store, MemberIn.model_validate(values), old, audit)
    except ValidationError as exc:
        errors = _form_errors(exc)
    except BadgeTaken as exc:
        errors = {"badge": str(exc)}
    else:
        return RedirectResponse(f"/members/{rec.info.member_id}", status_code=status.HTTP_303_SEE_OTHER)
    return render(request, "member_form.html", {"member": member_out(old) if old else None, "values": values,
                                                "errors": errors, "goals": goal_names()}, status_code=422)


# ------------------------------------------------------------------ API

@router.get("/api/v1/members", summary="Every member")
def list_members(user: CurrentTrainer, store: StoreDep) -> list[MemberOut]:
    return sorted((member_out(m) for m in store.members()), key=lambda m: m.name.lower())


@router.get("/api/v1/members/{member_id}", summary="A member and their sessions, oldest first")
def get_member(member_id: MemberId, user: CurrentTrainer, store: StoreDep) -> dict[str, Any]:
    rec = _member_or_404(store, member_id)
    return {"member": member_out(rec).model_dump(mode="json"),
            "sessions": [p.to_json() for p in session_points(store.history(member_id))]}


@router.post("/api/v1/members", status_code=status.HTTP_201_CREATED, summary="Enrol a member", dependencies=[Csrf])
def create_member(body: MemberIn, user: CurrentTrainer, store: StoreDep, audit: AuditDep) -> MemberOut:
    try:
        return member_out(save(store, body, None, audit))
    except BadgeTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@router.put("/api/v1/members/{member_id}", summary="Edit a member", dependencies=[Csrf])
def update_member(member_id: MemberId, body: MemberIn, user: CurrentTrainer, store: StoreDep,
                  audit: AuditDep) -> MemberOut:
    old = _member_or_404(store, member_id)
    try:
        return member_out(save(store, body, old, audit))
    except BadgeTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
