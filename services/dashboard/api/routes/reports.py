"""Weekly reports: a member's week for their trainer (a page to print to PDF from the browser) and the site's
station usage for operators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response

from services.dashboard.api.deps import CurrentOperator, CurrentTrainer, LiveDep, StoreDep
from services.dashboard.api.routes.members import MemberId, _member_or_404, goal_label, member_decision, member_out
from services.dashboard.history import session_points
from services.dashboard.reports import WEEK, member_week, station_usage, week_label, week_name, week_start
from services.dashboard.templating import render
from services.dashboard.usage import UsageLog

router = APIRouter(tags=["reports"])

Week = Annotated[str | None, Query(pattern=WEEK.pattern, description="ISO week, e.g. 2026-W48; default this week")]
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _week(week: str | None, default: datetime | None = None) -> tuple[str, str, str]:
    """(week, the week before, the week after); the default is the week of `default`, else this week."""
    name = week or week_name((default or datetime.now(UTC)).date())
    try:
        start = week_start(name)
    except ValueError as exc:  # "2026-W60": the pattern matches, the calendar does not
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return name, week_name((start - timedelta(days=7)).date()), week_name((start + timedelta(days=7)).date())


@router.get("/members/{member_id}/report", include_in_schema=False)
def member_report(request: Request, member_id: MemberId, user: CurrentTrainer, store: StoreDep, live: LiveDep,
                  week: Week = None) -> Response:
    rec = _member_or_404(store, member_id)
    points = session_points(store.history(member_id))
    # A trainer opening the report on a Monday morning wants the week the member last trained.
    name, before, after = _week(week, points[-1].started if points else None)
    decided = member_decision(live, store, rec, points)
    mw = member_week(points, name, decided["flags"] if decided else [])
    return render(request, "report.html", {
        "m": member_out(rec), "w": mw, "label": week_label(mw.start), "before": before, "after": after,
        "decided": decided, "goal_label": goal_label, "printed": datetime.now(UTC)})


def _usage(request: Request, store: StoreDep, week: str) -> list[Any]:
    """Every station the site knows (Redis's and the live floor's), an idle one with zeros."""
    live = request.app.state.live
    with live.lock:
        seen = [k for k in live.floor.tiles]
    usage: UsageLog = request.app.state.usage
    return station_usage(usage.week(week), week, sorted(set(store.stations()) | set(seen)))


@router.get("/usage", include_in_schema=False)
def usage_page(request: Request, user: CurrentOperator, store: StoreDep, week: Week = None) -> Response:
    name, before, after = _week(week)
    rows = _usage(request, store, name)
    return render(request, "usage.html", {"rows": rows, "week": name, "label": week_label(week_start(name)),
                                          "before": before, "after": after, "days": DAYS,
                                          "busiest": max((r.sessions for r in rows), default=0)})


@router.get("/api/v1/usage", summary="The site's station usage in one ISO week (operators)")
def usage_api(request: Request, user: CurrentOperator, store: StoreDep, week: Week = None) -> dict[str, Any]:
    name, _, _ = _week(week)
    return {"week": name, "stations": [
        {"station_id": r.station_id, "sessions": r.sessions, "sessions_per_day": r.sessions_per_day,
         "minutes": round(r.minutes, 1), "reps": r.reps} for r in _usage(request, store, name)]}
