"""Wiring of the kiosk: the bus, the bridge to the GUI thread, the flow state and the window."""

from __future__ import annotations

from kiosk.bridge import EventBridge
from kiosk.settings import KioskSettings
from kiosk.state.flow import Flow
from kiosk.state.sound import SoundSettings
from kiosk.ui.i18n import LANGUAGES
from kiosk.ui.window import KioskWindow
from shared.catalogue import load_catalogue
from shared.contract import Model
from shared.mqtt import MqttBus


def bootstrap(settings: KioskSettings) -> tuple[MqttBus, Flow, KioskWindow, EventBridge]:
    exercise = load_catalogue(settings.catalogue_dir)[settings.exercise]
    bridge = EventBridge()
    bus = MqttBus(settings, "kiosk", on_connection_change=bridge.connection_changed)

    def send(event_type: str, data: Model) -> None:
        bus.emit(event_type, data)  # QoS 1: paho keeps it while the broker is away

    flow = Flow(exercise, send, languages=tuple(LANGUAGES))
    bridge.event.connect(flow.apply)
    bridge.connection.connect(flow.set_broker_online)
    for t in flow.handlers.event_types:  # what the flow handles, on its own station's topics
        bus.subscribe(t, bridge.deliver, site_id=settings.site_id, station_id=settings.station_id)
    window = KioskWindow(flow, settings.staff_pin,
                         sound=SoundSettings(volume=settings.sound_volume, muted=settings.sound_muted))
    return bus, flow, window, bridge
