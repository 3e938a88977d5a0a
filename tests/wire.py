"""Watching the wire in tests: a bare paho client that records raw payloads on a topic filter."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from shared.mqtt import unique_client_id
from shared.servers import PrivateServer, _find


class RawListener:
    """A bare paho client recording raw payloads, to watch what is on the wire."""

    def __init__(self, port: int, topic: str) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        subscribed = threading.Event()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique_client_id("raw"), protocol=mqtt.MQTTv5)
        self.c.on_message = lambda _c, _u, m: self.messages.append((m.topic, bytes(m.payload), m.retain))
        self.c.on_subscribe = lambda *_: subscribed.set()
        self.c.connect("127.0.0.1", port)
        self.c.subscribe(topic, qos=1)
        self.c.loop_start()
        if not subscribed.wait(10):
            raise AssertionError(f"no SUBACK for {topic} within 10 s")

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


class ConfBroker(PrivateServer):
    """mosquitto with a given config text (written at each start; `user root` added when run as root)."""

    def __init__(self, name: str, workdir: Path, port: int, conf: str) -> None:
        super().__init__(workdir, port)
        self.name = name
        self.conf = conf + ("user root\n" if os.geteuid() == 0 else "")
        self.binary = _find("mosquitto", "mosquitto")

    def command(self) -> list[str]:
        path = self.dir / "mosquitto.conf"
        path.write_text(self.conf)
        return [self.binary, "-c", str(path)]
