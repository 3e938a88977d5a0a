"""Members' data, for operators only: export one member's data as JSON, erase a member completely.

Erasure is irreversible, so it takes a confirm step: the page asks for the member's id typed again, the
API for `confirm=<member id>`; both are CSRF-protected state changes and both are audited (by id only).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response

from services.dashboard.api.deps import AuditDep, Csrf, CurrentOperator, LiveDep, StoreDep
from services.dashboard.api.routes.members import MemberId, member_out
from services.dashboard.live import LiveFeed
from services.dashboard.templating import render
from shared.store import RedisStore, erase_member, export_member

router = APIRouter(tags=["privacy"])


def _export(store: RedisStore, member_id: str) -> dict[str, Any]:
    data = export_member(store, member_id)
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no member {member_id}")
    return data


def _forget_on_floor(live: LiveFeed, member_id: str) -> None:
    """The live floor shows the member's name while they train, and what their last session decided: forget both
    at once."""
    with live.lock:
        live.floor.forget_member(member_id)


@router.get("/api/v1/members/{member_id}/export", summary="Everything kept about one member, as JSON "
            "(operators only)")
def export(member_id: MemberId, user: CurrentOperator, store: StoreDep, audit: AuditDep) -> JSONResponse:
    data = _export(store, member_id)
    audit("member.export", member_id)
    return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="member-{member_id}.json"',
                                       "Cache-Control": "no-store"})


@router.delete("/api/v1/members/{member_id}", summary="Erase a member and all their data (operators only)",
               dependencies=[Csrf])
def erase(member_id: MemberId, user: CurrentOperator, store: StoreDep, audit: AuditDep, live: LiveDep,
          confirm: Annotated[str, Query(max_length=64, description="The member id again: erasure cannot be undone")]
          ) -> dict[str, int]:
    if confirm != member_id:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "confirm must repeat the member id")
    counts = erase_member(store, member_id)
    if counts is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no member {member_id}")
    _forget_on_floor(live, member_id)
    audit("member.erase", member_id, **counts)
    return counts


@router.get("/members/{member_id}/erase", include_in_schema=False)
def erase_page(request: Request, member_id: MemberId, user: CurrentOperator, store: StoreDep) -> Response:
    rec = store.member(member_id)
    if rec is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no member {member_id}")
    return render(request, "member_erase.html", {"m": member_out(rec), "error": "",
                                                 "sessions": len(store.history(member_id, last=1_000_000))})


@router.post("/members/{member_id}/erase", include_in_schema=False, dependencies=[Csrf])
def erase_form(request: Request, member_id: MemberId, user: CurrentOperator, store: StoreDep, audit: AuditDep,
               live: LiveDep, confirm: Annotated[str, Form(max_length=64)] = "") -> Response:
    rec = store.member(member_id)
    if rec is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no member {member_id}")
    if confirm.strip() != member_id:
        return render(request, "member_erase.html", {
            "m": member_out(rec), "sessions": len(store.history(member_id, last=1_000_000)),
            "error": f"Type the member id ({member_id}) to confirm."}, status_code=422)
    counts = erase_member(store, member_id) or {}
    _forget_on_floor(live, member_id)
    audit("member.erase", member_id, **counts)
    return RedirectResponse(f"/members?erased={member_id}", status_code=status.HTTP_303_SEE_OTHER)
