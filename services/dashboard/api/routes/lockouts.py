"""Tap-in lockouts: the stations and tokens the progression service slowed or locked after too many unknown
sign-ins (shared/identity.py `TapLimits`). Trainers see the list; an operator lifts a lock.

A locked station answers every lookup and enrol with "ask a trainer to unlock" (guests still train); a locked
token (a badge, QR text or PIN, shown by a shortened reference, and by its member's name when it is one's) is
refused at every station. Many stations locked at once, or a station locked again soon after an unlock, is
someone sweeping PINs with a station's account: look at the unit before unlocking.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from services.dashboard.api.deps import Csrf, CurrentOperator, CurrentTrainer, StoreDep
from services.dashboard.templating import render
from shared.store import RedisStore

log = logging.getLogger(__name__)
router = APIRouter(tags=["lockouts"])

# What shared.identity.tap_scopes makes: a station id (the contract's Ident), or a token's method and reference.
SCOPE_PATTERN = r"^(station:[A-Za-z0-9][A-Za-z0-9_.-]{0,63}|token:(badge|qr|pin):[0-9a-f]{64})$"
Scope = Annotated[str, Path(pattern=SCOPE_PATTERN)]


class LockoutOut(BaseModel):
    scope: str = Field(description="station:<id> or token:<method>:<reference>; what an unlock names")
    kind: str = Field(description="station or token")
    name: str = Field(description="The station id, or the token's reference shortened (#…)")
    method: str = Field(default="", description="badge, qr or pin, for a token")
    member: str | None = Field(default=None, description="Whose token it is, when it is a member's")
    failures: int = Field(description="Unknown sign-ins counted since the first")
    locked: bool = Field(description="Refused until an operator unlocks it; else it only waits")
    wait_s: float = Field(description="Seconds before the next try is answered (0 when locked or free)")
    first: datetime = Field(description="First failure counted")
    last: datetime = Field(description="Latest failure")


def lockouts(store: RedisStore) -> list[LockoutOut]:
    rows = []
    for f in store.tap_flags():
        holder = store.tap_holder(f)
        rows.append(LockoutOut(scope=f.scope, kind=f.kind, name=f.name, method=f.method,
                               member=holder.info.name if holder else None, failures=f.failures, locked=f.locked,
                               wait_s=0.0 if f.locked else round(f.wait_s, 1),
                               first=datetime.fromtimestamp(f.first_ts, UTC),
                               last=datetime.fromtimestamp(f.last_ts, UTC)))
    return sorted(rows, key=lambda r: (not r.locked, r.kind, r.name))


def _unlock(store: RedisStore, scope: str, who: str) -> bool:
    done = store.tap_unlock(scope)
    if done:
        log.warning("%s unlocked %s", who, scope)
    return done


@router.get("/lockouts", include_in_schema=False)
def lockouts_page(request: Request, user: CurrentTrainer, store: StoreDep) -> Response:
    return render(request, "lockouts.html", {"rows": lockouts(store), "is_operator": user.is_operator})


@router.post("/lockouts/unlock", include_in_schema=False, dependencies=[Csrf])
def unlock_form(user: CurrentOperator, store: StoreDep,
                scope: Annotated[str, Form(pattern=SCOPE_PATTERN)]) -> Response:
    _unlock(store, scope, user.name)
    return RedirectResponse("/lockouts", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/api/v1/lockouts", summary="Stations and tokens waiting or locked after unknown sign-ins")
def list_lockouts(user: CurrentTrainer, store: StoreDep) -> list[LockoutOut]:
    return lockouts(store)


@router.post("/api/v1/lockouts/{scope}/unlock", summary="Lift a lock and forget its failures (operators only)",
             dependencies=[Csrf])
def unlock(scope: Scope, user: CurrentOperator, store: StoreDep) -> dict[str, str]:
    if not _unlock(store, scope, user.name):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{scope} is neither waiting nor locked")
    return {"scope": scope, "state": "unlocked"}
