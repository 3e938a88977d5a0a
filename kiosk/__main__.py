"""python -m kiosk — the station's touchscreen (offscreen when there is no display)."""

from __future__ import annotations

import os
import signal
import sys


def main() -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from kiosk.app import bootstrap
    from kiosk.settings import KioskSettings
    from shared import telemetry

    settings = KioskSettings()
    telemetry.configure_logging("kiosk", settings)
    telemetry.serve(settings)
    up = telemetry.KIOSK_UP.labels(settings.station_id)
    app = QApplication(sys.argv[:1])
    bus, _flow, win, _bridge = bootstrap(settings)
    app.installEventFilter(win)  # the badge reader types into whatever has focus
    if settings.fullscreen:
        win.showFullScreen()
    else:
        win.resize(1920, 1080)
        win.show()
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    tick = QTimer()  # lets Python handle signals while Qt's loop runs
    tick.start(200)
    tick.timeout.connect(lambda: None)
    bus.start(wait_s=None)
    up.set(1)  # the member's screen runs (a scrape that gets nothing: it does not)
    rc = app.exec()
    up.set(0)
    bus.stop()
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
