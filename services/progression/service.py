"""The live progression service: contract events in; Redis state and verdicts, summaries,
recommendations and member profiles out. The engine is the same one `replay` runs."""

from __future__ import annotations

import logging
import time

from pydantic import Field

from services.progression.engine import Engine
from services.progression.rules import Stack
from shared import telemetry
from shared.bus import Bus
from shared.catalogue import load_catalogue
from shared.contract import Envelope, RepVerdictEvent
from shared.mqtt import MqttBus, RetryLater
from shared.settings import Settings
from shared.store import RedisErrors, RedisStore

log = logging.getLogger(__name__)

# Several workers of one site share the work through an MQTT 5 shared subscription: the broker hands
# each event to one member of the group. A single worker (the default) subscribes plainly instead:
# Mosquitto 2.0 does not restore an offline member's shared subscription after a broker restart until
# the member reconnects, and drops what is published to the group in between; a plain persistent
# subscription keeps queuing across the restart (tests/integration/progression shows both).
SHARE_GROUP = "progression"


class ProgressionSettings(Settings):
    # The stack comes from each exercise's YAML; a site whose stations differ sets these to override it.
    stack_plate_kg: float | None = Field(default=None, gt=0, le=50, description="Plate size of the stations' stacks")
    stack_addon_kg: float | None = Field(default=None, ge=0, le=25, description="Add-on weight, 0 when none")
    stack_min_kg: float | None = Field(default=None, ge=0, le=50, description="Lightest selectable weight")
    stack_max_kg: float | None = Field(default=None, gt=0, le=200, description="Heaviest selectable weight")
    worker: int = Field(default=0, ge=0, le=99, description="Worker number when several share the site")
    shared: bool = Field(default=False, description="Share the site's events with other workers ($share)")

    def stack(self) -> Stack | None:
        """The site's override of the exercises' stacks, None when the operator set none."""
        given = {k: v for k, v in (("plate_kg", self.stack_plate_kg), ("addon_kg", self.stack_addon_kg),
                                   ("min_kg", self.stack_min_kg), ("max_kg", self.stack_max_kg)) if v is not None}
        return Stack(**given) if given else None


# Events whose handling reads nothing but their own station's state: a batch of them is folded in
# memory and committed in one round trip. The others read members, progress or a session's archive,
# which an event before them in the same batch may have written, so each is applied alone, in order.
STATION_LOCAL = frozenset({"session.started", "set.started", "camera.rep", "load.rep", "set.ended"})


class ProgressionService:
    def __init__(self, bus: Bus, store: RedisStore, engine: Engine, shared: bool = False) -> None:
        self.bus, self.store, self.engine = bus, store, engine
        self.applied = 0
        self._handed = time.perf_counter()
        self.repeated = 0
        bus.subscribe_batch(engine.handlers.event_types, self.on_events, site_id=bus.settings.site_id,
                            share_group=SHARE_GROUP if shared else None)

    def on_events(self, events: list[Envelope]) -> None:
        """Apply events in their order; publish what each produced once its Redis write is committed."""
        self._handed = time.perf_counter()  # the verdict latency's start (shared/telemetry.py)
        run: list[Envelope] = []
        for ev in events:
            if ev.type in STATION_LOCAL:
                run.append(ev)
                continue
            self._commit(run)
            run = []
            self._commit([ev])
        self._commit(run)

    def _commit(self, events: list[Envelope]) -> None:
        if not events:
            return
        try:
            if len(events) == 1:
                ev = events[0]
                results = [self.store.apply_once(ev.event_id, lambda repo: self.engine.handle(ev, repo),
                                                 ev.station_id)]
            else:
                results = self.store.apply_batch(events, self.engine.handle)
        except RedisErrors as exc:
            # Not acknowledged until Redis is back: the bus retries these events with backoff.
            raise RetryLater(f"redis: {exc}") from exc
        for ev, (applied, outputs) in zip(events, results, strict=True):
            if applied:
                self.applied += 1
            else:
                self.repeated += 1
            # Published even when applied before: a crash between the Redis commit and the publish must
            # not lose them; the ids are derived from the input's, so consumers drop a repeat.
            for out in outputs:
                self.bus.publish(out)
                if isinstance(out, RepVerdictEvent) and applied:
                    telemetry.REPS_JUDGED.labels("+".join(out.data.sensors)).inc()
                    telemetry.VERDICT_LATENCY.observe(time.perf_counter() - self._handed)
            if outputs and log.isEnabledFor(logging.INFO):
                log.info("%s %s -> %s%s", ev.station_id, ev.type, ", ".join(o.type for o in outputs),
                         "" if applied else " (again)")


def bootstrap(settings: ProgressionSettings) -> tuple[MqttBus, ProgressionService]:
    from shared.store import connect

    client_id = f"progression-{settings.site_id}-{settings.worker}"
    bus = MqttBus(settings, "progression", client_id=client_id)
    engine = Engine(load_catalogue(settings.catalogue_dir), settings.stack())
    # The site secret keys members' token hashes: production refuses to start without it (site_token_key).
    store = RedisStore(connect(settings.redis_url), settings.site_id, settings.site_token_key(), settings.tap_limits())
    service = ProgressionService(bus, store, engine, shared=settings.shared)
    return bus, service
