"""The monitoring examples name only series the services export; the rate meter and the JSON log lines."""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path

import yaml
from prometheus_client import REGISTRY, Gauge

from shared import telemetry

MONITORING = Path(__file__).resolve().parents[3] / "deploy" / "monitoring"


def exported() -> set[str]:
    names: set[str] = set()
    for fam in REGISTRY.collect():
        if fam.name.startswith("gym_"):
            names |= {fam.name, f"{fam.name}_total", f"{fam.name}_bucket", f"{fam.name}_count", f"{fam.name}_sum"}
    return names


def test_the_grafana_dashboard_and_alerts_name_only_exported_series() -> None:
    dash = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    alerts = (MONITORING / "prometheus.yml").read_text()
    used = set(re.findall(r"\bgym_[a-z_]+", " ".join(exprs) + alerts))
    assert used and used <= exported(), used - exported()
    assert yaml.safe_load(alerts)["scrape_configs"]


def test_the_rate_meter_reports_the_last_whole_seconds_rate() -> None:
    now = [0.0]
    g = Gauge("gym_test_rate", "test")
    meter = telemetry.RateMeter(g, clock=lambda: now[0])
    for _ in range(31):  # just past a whole second
        now[0] += 1 / 30
        meter.tick()
    assert abs((REGISTRY.get_sample_value("gym_test_rate") or 0.0) - 30.0) < 1.5


def test_json_log_lines_carry_the_service_and_the_exception() -> None:
    fmt = telemetry.JsonLines("camera")
    try:
        raise ValueError("bad frame")
    except ValueError:
        rec = logging.LogRecord("cam", logging.ERROR, __file__, 1, "frame %s failed", ("t=1",), sys.exc_info())
    line = json.loads(fmt.format(rec))
    assert line["service"] == "camera" and line["message"] == "frame t=1 failed" and "bad frame" in line["exc"]
    assert line["level"] == "error"
