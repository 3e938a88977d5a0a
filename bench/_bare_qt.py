"""The Qt floor for bench.kiosk: an empty 1920x1080 PyQt6 window with the kiosk's signal timer, nothing else."""

import signal
import sys

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QMainWindow

app = QApplication(sys.argv[:1])
w = QMainWindow()
w.resize(1920, 1080)
w.show()
signal.signal(signal.SIGTERM, lambda *_: app.quit())
t = QTimer()
t.start(200)  # the same 200 ms tick the kiosk runs so Python sees signals
t.timeout.connect(lambda: None)
print("bare qt up", flush=True)
app.exec()
