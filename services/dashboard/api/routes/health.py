"""`/health` for compose health checks: 200 with `degraded` when the broker or Redis is away."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from services.dashboard.api.deps import LiveDep, RedisDep
from shared.store import RedisErrors

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    mqtt: bool
    redis: bool
    detail: str = ""


@router.get("/health", summary="Broker and Redis connectivity")
def health(live: LiveDep, redis: RedisDep) -> Health:
    problems = []
    try:
        redis_ok = bool(redis.ping())
    except (*RedisErrors, OSError) as exc:
        redis_ok = False
        problems.append(f"redis: {type(exc).__name__}")
    mqtt_ok = live.mqtt_connected
    if not mqtt_ok:
        problems.append("mqtt: not connected")
    return Health(status="ok" if redis_ok and mqtt_ok else "degraded", mqtt=mqtt_ok, redis=redis_ok,
                  detail="; ".join(problems))
