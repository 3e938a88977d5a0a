"""The dashboard's FastAPI application: `bootstrap(settings)` wires Redis, the live feed and the routers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from services.dashboard.api.deps import NotSignedIn
from services.dashboard.api.routes import (
    audit,
    auth,
    fleet,
    floor,
    health,
    lockouts,
    members,
    privacy,
    reports,
    stations,
)
from services.dashboard.config import DashboardSettings
from services.dashboard.floor import FloorState
from services.dashboard.live import LiveFeed
from services.dashboard.plans import describe_goal
from services.dashboard.reviews import ReviewLog
from services.dashboard.security import SecurityHeaders, docs_router
from services.dashboard.sessions import SAFE_METHODS, SignIns
from services.dashboard.signin_limit import SignInLimiter
from services.dashboard.templating import render
from services.dashboard.usage import UsageLog
from services.dashboard.users import Role, UserStore
from shared.catalogue import default_catalogue
from shared.store import AuditLog, DashboardAccess, RedisErrors, RedisStore, connect, drop_history_before, months_ago

log = logging.getLogger(__name__)
VERSION = "0.3.0"
# The central view (GYM_DASHBOARD_CENTRAL) reads; whatever would change a site is refused with this. Signing in
# and out changes only the centre's own sessions.
CENTRAL_READ_ONLY = ("The central view is read-only: cues, station commands, labels and member edits are made "
                     "at the site's own dashboard.")
CENTRAL_NOT_HERE = ("Not on the central view: it shows every site's floor and fleet; station pages, members, labels "
                    "and usage are at each site's own dashboard.")
CENTRAL_WRITES = frozenset({"/login", "/logout"})
DEMO_USERS = (("trainer", Role.TRAINER), ("operator", Role.OPERATOR))


def sets_for(exercise: str, goal: str) -> int | None:
    """Sets per leg of a session whose member chose none: the goal's least, as the kiosk and the progression
    service assume, so all three count the same "set k of n"."""
    ex = default_catalogue().get(exercise)  # honours GYM_CATALOGUE_DIR: an exercise added as data counts too
    try:
        return ex.goal(goal).sets.min if ex else None
    except KeyError:
        return None


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _seed_floor(live: LiveFeed, store: RedisStore) -> None:
    """Fill the floor from Redis first, so a restarted dashboard is not blank until the next event."""
    try:
        for st in store.stations():
            state = store.station_state(st)
            last = store.last_verdict(st)
            with live.lock:
                live.floor.seed(st, state)
                if last is not None and st not in live.floor.tiles:
                    live.floor.apply(last)
    except RedisErrors as exc:  # Redis down: the live feed still fills the floor
        log.warning("could not read the floor from redis: %s", exc)


def create_demo_users(users: UserStore, password: str | None) -> str:
    pw = password or secrets.token_urlsafe(9)
    for name, role in DEMO_USERS:
        users.add(name, role, pw, replace=True)
    return pw


# Retention runs at start and then daily: sessions cross the line one day at a time.
RETENTION_PERIOD_S = 24 * 3600


async def retention(settings: DashboardSettings, store: RedisStore, audit_log: AuditLog) -> None:
    """Delete finished sessions older than `dashboard_history_retention_months`, daily (every dashboard of the
    site may run it: it is idempotent)."""
    months = settings.dashboard_history_retention_months
    if months is None:
        return
    while True:
        try:
            counts = await asyncio.to_thread(drop_history_before, store, months_ago(months))
            if any(counts.values()):
                log.info("retention (%d months): dropped %s", months, counts)
                await asyncio.to_thread(audit_log.record, "dashboard", "history.retention", "",
                                        {"months": months, **counts})
        except (*RedisErrors, OSError) as exc:
            log.warning("retention skipped, redis is away: %s", exc)
        await asyncio.sleep(RETENTION_PERIOD_S)


def bootstrap(settings: DashboardSettings | None = None) -> FastAPI:
    settings = settings or DashboardSettings()
    redis = connect(settings.redis_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        central = settings.dashboard_central
        live = LiveFeed(settings, FloorState(sets_for, describe_goal, central=central),
                        tick_s=settings.dashboard_tick_s)
        app.state.live = live
        if not central:  # the centre's Redis holds no site's stations: its floor fills from the bridges
            _seed_floor(live, app.state.store)
        if settings.environment == "demo":
            try:
                demo_pw = settings.dashboard_demo_password
                pw = create_demo_users(app.state.users, demo_pw.get_secret_value() if demo_pw else None)
                print(f"demo sign-in: users {', '.join(n for n, _ in DEMO_USERS)}, password {pw}", flush=True)
            except RedisErrors as exc:
                log.warning("demo users not created, redis is away: %s", exc)
        await asyncio.to_thread(live.bus.start, 5.0)
        stream = asyncio.create_task(live.stream.run())
        pump = asyncio.create_task(live.run())
        keep = asyncio.create_task(retention(settings, app.state.store, app.state.audit))
        used = asyncio.create_task(live.record_usage(app.state.usage.record))
        for _ in range(50):  # up to 5 s for the live subscription, as for the bus
            if live.mqtt_connected:
                break
            await asyncio.sleep(0.1)
        log.info("dashboard connected" if live.mqtt_connected else "dashboard started; broker not reached yet")
        try:
            yield
        finally:
            for task in (pump, stream, keep, used):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            live.stream.close()
            await asyncio.to_thread(live.bus.stop)

    # The OpenAPI document and its UI are served by `docs_router`, to signed-in operators only.
    app = FastAPI(title="Smart cable station — trainer dashboard", version=VERSION, lifespan=lifespan,
                  openapi_url=None, docs_url=None, redoc_url=None,
                  description="Live floor, station detail, members and fleet of one gym site. "
                              "Every route needs a signed-in session; state-changing requests also carry "
                              "the session's CSRF token in the X-CSRF-Token header.")
    app.state.settings = settings
    app.state.redis = redis
    # The badges' hash key. The centre keeps no member and no badge: it needs no site secret (its store is unused).
    token_key = None if settings.dashboard_central else settings.site_token_key()
    app.state.store = RedisStore(redis, settings.site_id, token_key)
    app.state.users = UserStore(redis, settings.site_id)
    app.state.usage = UsageLog(redis, settings.site_id)
    app.state.reviews = ReviewLog(redis, settings.site_id)
    app.state.signin_limit = SignInLimiter(redis, settings.site_id, settings.dashboard_signin_max_failures,
                                           settings.dashboard_signin_max_failures_client,
                                           settings.dashboard_signin_window_s, settings.dashboard_signin_delay_s,
                                           settings.dashboard_signin_max_delay_account_s,
                                           settings.dashboard_signin_max_delay_client_s)
    app.state.signins = SignIns(DashboardAccess(redis, settings.site_id, settings.dashboard_session_idle_s,
                                                settings.dashboard_session_max_age_s),
                                settings.dashboard_session_offline_grace_s)
    app.state.audit = AuditLog(redis, settings.site_id, settings.dashboard_audit_retention_days)
    if settings.dashboard_central:
        # Added before the session middleware, so it runs inside it: the refusal page knows who asks.
        @app.middleware("http")
        async def read_only(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
            if request.method in SAFE_METHODS or request.url.path in CENTRAL_WRITES:
                return await call_next(request)
            if _wants_html(request):
                return render(request, "error.html", {"code": 403, "message": CENTRAL_READ_ONLY}, status_code=403)
            return JSONResponse({"detail": CENTRAL_READ_ONLY}, status_code=status.HTTP_403_FORBIDDEN)
    # The cookie carries the session's random id and the CSRF token, signed; the session itself is in Redis.
    app.add_middleware(SessionMiddleware, secret_key=settings.dashboard_secret_key.get_secret_value(),
                       session_cookie="gym_dashboard", max_age=settings.dashboard_session_max_age_s,
                       same_site="lax", https_only=settings.https)
    app.add_middleware(SecurityHeaders, hsts=settings.https)  # outermost: every response gets the headers
    app.mount("/static", StaticFiles(directory=str(Path(__file__).with_name("static"))), name="static")
    if settings.dashboard_central:
        # Read-only: the floor, the fleet, the centre's own sign-ins and audit. Nothing else is routed here.
        routers: tuple[APIRouter, ...] = (auth.router, floor.router, fleet.router, health.router, audit.router,
                                          docs_router)
    else:
        routers = (auth.router, floor.router, stations.router, members.router, fleet.router, health.router,
                   privacy.router, audit.router, lockouts.router, reports.router, docs_router)
    for r in routers:
        app.include_router(r)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if _wants_html(request):
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=status.HTTP_303_SEE_OTHER)
        return JSONResponse({"detail": "sign in first"}, status_code=status.HTTP_401_UNAUTHORIZED)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if settings.dashboard_central and exc.status_code == status.HTTP_404_NOT_FOUND and exc.detail == "Not Found":
            exc = StarletteHTTPException(exc.status_code, CENTRAL_NOT_HERE)  # a site's page, asked of the centre
        if _wants_html(request):
            return render(request, "error.html", {"code": exc.status_code, "message": exc.detail},
                          status_code=exc.status_code)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    async def redis_down(request: Request, exc: Exception) -> Response:
        log.warning("redis unavailable for %s: %s", request.url.path, exc)
        msg = "Member data is unavailable: the site's Redis cannot be reached. The live floor still works."
        if _wants_html(request):
            return render(request, "error.html", {"code": 503, "message": msg}, status_code=503)
        return JSONResponse({"detail": msg}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                            headers={"Retry-After": "5"})

    for err in (*RedisErrors, OSError):
        app.add_exception_handler(err, redis_down)
    return app
