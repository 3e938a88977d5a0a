"""Every service's /metrics, read as Prometheus reads it (prometheus_client's own parser): the named series are
there, and they move while a scripted set is trained — and the logs are JSON lines when the settings ask."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.procs import Child, wait_online
from shared import contract as c
from shared.mqtt import MqttBus
from shared.servers import PrivateMosquitto, free_port
from shared.settings import Settings
from tests.conftest import wait_for

SID = "s-metrics"


def scrape(port: int) -> dict[str, float]:
    """Every sample of the page: `name{label="v",…}` → value."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.HTTPError:  # not listening yet (a process still starting): nothing scraped, ask again
        return {}
    out: dict[str, float] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return out


def test_progression_and_camera_metrics_move_during_a_scripted_set(
        service_env: dict[str, str], tmp_path: Path, mosquitto: PrivateMosquitto) -> None:
    prog_port, cam_port, lc_port = free_port(), free_port(), free_port()
    site = {**service_env, "GYM_STATION_ID": "site", "GYM_METRICS_PORT": str(prog_port), "GYM_LOG_FORMAT": "json"}
    station = {**service_env, "GYM_STATION_ID": "st-01", "GYM_METRICS_PORT": str(cam_port)}
    worker = Child("progression", ["services.progression", "run"], site, tmp_path)
    camera = Child("camera", ["services.camera", "run", "--source", "sim", "--script", "quick"], station, tmp_path)
    loadcell = Child("loadcell", ["services.loadcell", "run", "--source", "sim", "--script", "quick"],
                     {**station, "GYM_METRICS_PORT": str(lc_port),
                      "GYM_LOADCELL_CALIBRATION_DIR": str(tmp_path / "cal")}, tmp_path)
    kiosk = MqttBus(Settings(_env_file=None, mqtt_port=mosquitto.port, station_id="st-01"), "kiosk")
    try:
        wait_online(mosquitto.port, "progression", "site", child=worker)
        wait_online(mosquitto.port, "camera", "st-01", child=camera)
        wait_online(mosquitto.port, "loadcell", "st-01", child=loadcell)
        kiosk.start()
        before_p, before_c = scrape(prog_port), scrape(cam_port)
        assert before_p.get('gym_reps_judged_total{sensors="camera"}', 0.0) == 0.0
        kiosk.emit("session.started", c.SessionStarted(session_id=SID, member_id="guest-1",
                                                       exercise="hamstring-curl-kickback",
                                                       goal="strength_control", leg_order=[c.Leg.LEFT]))
        kiosk.emit("set.started", c.SetStarted(session_id=SID, set_index=1, leg=c.Leg.LEFT, weight_kg=10.0,
                                               target_reps=3))
        after = wait_for(lambda: (m := scrape(prog_port)).get('gym_reps_judged_total{sensors="camera"}', 0) >= 2
                         and m, timeout=60, what="two reps judged")
        cam, lc = scrape(cam_port), scrape(lc_port)
        assert after["gym_verdict_latency_seconds_count"] >= 2
        assert after["gym_verdict_latency_seconds_sum"] / after["gym_verdict_latency_seconds_count"] < 1.0
        assert after['gym_bus_received_total{event_type="camera.rep",service="progression"}'] >= 2
        assert after['gym_bus_published_total{event_type="rep.verdict",service="progression"}'] >= 2
        assert after['gym_bus_connected{service="progression"}'] == 1.0
        assert 'gym_bus_dead_letters_total{service="progression"}' in after
        assert 'gym_bus_queued{service="progression"}' in after
        assert cam['gym_camera_fps{station="st-01"}'] > 5  # the virtual camera's frames, analysed
        assert cam['gym_bus_published_total{event_type="camera.rep",service="camera"}'] >= 2
        assert cam['gym_bus_published_total{event_type="camera.pose",service="camera"}'] > \
            before_c.get('gym_bus_published_total{event_type="camera.pose",service="camera"}', 0)
        assert 40 < lc['gym_loadcell_sample_hz{station="st-01"}'] < 120  # the simulated board's 80 Hz
        assert lc['gym_bus_published_total{event_type="load.trace",service="loadcell"}'] > 0
        lines = [json.loads(x) for x in worker.log().splitlines() if x.startswith("{")]
        assert lines and all({"ts", "level", "service", "message"} <= set(x) for x in lines)
        assert {x["service"] for x in lines} == {"progression"}
    finally:
        kiosk.stop()
        loadcell.stop()
        camera.stop()
        worker.stop()


def test_kiosk_and_dashboard_metrics(service_env: dict[str, str], tmp_path: Path,
                                     mosquitto: PrivateMosquitto) -> None:
    kiosk_port, dash_metrics, dash_port = free_port(), free_port(), free_port()
    kiosk = Child("kiosk", ["kiosk"], {**service_env, "GYM_STATION_ID": "st-01",
                                        "GYM_METRICS_PORT": str(kiosk_port)}, tmp_path)
    dash = Child("dashboard", ["services.dashboard", "run", "--port", str(dash_port)],
                 {**service_env, "GYM_STATION_ID": "site", "GYM_METRICS_PORT": str(dash_metrics)}, tmp_path)
    try:
        wait_online(mosquitto.port, "kiosk", "st-01", child=kiosk, timeout=60)
        k = wait_for(lambda: (m := scrape(kiosk_port)).get('gym_kiosk_up{station="st-01"}') == 1.0 and m,
                     timeout=20, what=f"the kiosk up on /metrics:\n{kiosk.tail()}")
        assert k['gym_bus_connected{service="kiosk"}'] == 1.0
        def healthy() -> bool:
            try:
                return bool(httpx.get(f"http://127.0.0.1:{dash_port}/health", timeout=2).json()["status"] == "ok")
            except httpx.HTTPError:  # still starting
                return False

        wait_for(healthy, timeout=30, what="the dashboard healthy")
        d = scrape(dash_metrics)
        assert d["gym_dashboard_websocket_clients"] == 0.0
        assert d['gym_bus_connected{service="dashboard"}'] == 1.0
    finally:
        dash.stop()
        kiosk.stop()
