"""The audit log, for operators only: who edited which member, moved which badge, sent which cue, ran which
operator command — and when. Trainers get 403."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response

from services.dashboard.api.deps import AuditLogDep, CurrentOperator
from services.dashboard.templating import render
from shared.store import AuditEntry

router = APIRouter(tags=["audit"])

ENTRY_ID = r"^\d{1,20}-\d{1,20}$"
U64 = 2**64  # a stream id is two unsigned 64-bit numbers


def _entry_id(before: str | None) -> str | None:
    if before is not None and any(int(part) >= U64 for part in before.split("-")):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "before: not an audit entry id")
    return before
Filter = Annotated[str | None, Query(max_length=80, description="Exact match")]


@router.get("/api/v1/audit", summary="Audit log, newest first (operators only)")
def audit_entries(user: CurrentOperator, log: AuditLogDep, actor: Filter = None,
                  action: Annotated[str | None, Query(max_length=80, description="Exact, or a prefix ending in "
                                                      "'.' (member.)")] = None,
                  target: Filter = None,
                  before: Annotated[str | None, Query(pattern=ENTRY_ID, description="Page on from this entry id")]
                  = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AuditEntry]:
    return log.entries(limit=limit, before=_entry_id(before), actor=actor, action=action, target=target)


@router.get("/audit", include_in_schema=False)
def audit_page(request: Request, user: CurrentOperator, log: AuditLogDep, actor: Filter = None,
               action: Filter = None, target: Filter = None,
               before: Annotated[str | None, Query(pattern=ENTRY_ID)] = None) -> Response:
    page = 100
    rows = log.entries(limit=page, before=_entry_id(before), actor=actor or None, action=action or None,
                       target=target or None)
    return render(request, "audit.html", {"rows": rows, "actor": actor or "", "action": action or "",
                                          "target": target or "", "more": rows[-1].id if len(rows) == page else ""})
