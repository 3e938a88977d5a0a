"""A site for the benchmarks: private mosquitto and Redis (AOF) and one progression worker, up and subscribed."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.procs import Child, service_env, wait_online
from shared.servers import PrivateMosquitto, PrivateRedis


@contextmanager
def site_with_worker() -> Iterator[tuple[PrivateMosquitto, PrivateRedis, Child]]:
    with tempfile.TemporaryDirectory() as d:
        broker = PrivateMosquitto(Path(d) / "m").start()
        redis = PrivateRedis(Path(d) / "r").start()
        env = service_env(os.environ, environment="test", mqtt_port=str(broker.port), redis_url=redis.url,
                          station_id="site", log_level="WARNING")
        worker = Child("progression", ["services.progression", "run"], env, Path(d))
        try:
            # The worker's subscriptions exist once it says it is online (same connection, in order).
            wait_online(broker.port, "progression", "site", child=worker)
            yield broker, redis, worker
        finally:
            worker.stop()
            redis.stop()
            broker.stop()
