"""`python -m services.dashboard.screenshots DIR`: every dashboard page as a PNG, on seeded data;
`--central DIR`: the chain's central view (GYM_DASHBOARD_CENTRAL) of two sites' floors, dashboard-central.png.

Starts its own mosquitto and Redis (shared.servers), the real dashboard process, and
stations that publish real contract events (statuses, sessions, sets, verdicts, force
traces, pose cues); member history is written as the progression service records it.
Chromium (Debian's /usr/bin/chromium) is driven headless by Playwright at 1280x800.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.dashboard.reports import SessionUse, week_name
from services.dashboard.usage import UsageLog
from services.procs import Child, service_env
from shared import contract as c
from shared.mqtt import MqttBus, unique_client_id
from shared.records import MemberRecord, ProgressRecord, RepRecord, SessionRecord, SetRecord
from shared.servers import PrivateMosquitto, PrivateRedis, free_port, wait_port
from shared.settings import Settings
from shared.store import Keys, RedisRepo, RedisStore, connect

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
DEMO_PASSWORD = "screenshots-only-pw"
TRACE_HZ = 80.0  # the load cell's sample rate, batched 10 times a second


def force_samples(t0: float, n: int, hz: float = TRACE_HZ) -> list[float]:
    """A hamstring curl's cable force: ~4 s reps (1 s up, 3 s down) on a 60 N rest tension."""
    out = []
    for i in range(n):
        ph = ((t0 + i / hz) % 4.0) / 4.0
        lift = math.sin(math.pi / 2 * ph / 0.25) if ph < 0.25 else math.cos(math.pi / 2 * (ph - 0.25) / 0.75)
        out.append(round(60 + 95 * max(0.0, lift) ** 1.5, 1))
    return out


class FakeStation:
    """The services of one station unit, publishing through the real MqttBus."""

    def __init__(self, port: int, station: str, services: tuple[str, ...] = ("kiosk", "camera", "loadcell"),
                 site: str = "main") -> None:
        self.station = station
        self.port = port
        self.site = site
        self.progression: MqttBus | None = None  # the site's progression service, for `finish`
        self.buses = {s: MqttBus(Settings(_env_file=None, mqtt_port=port, site_id=site, station_id=station), s,
                                 version="0.3.1") for s in services}
        for b in self.buses.values():
            b.start()

    def emit(self, etype: str, data: c.Model, service: str = "kiosk") -> c.Envelope:
        bus = self.buses.get(service) or next(iter(self.buses.values()))
        return bus.emit(etype, data)

    def session(self, member_id: str, name: str, goal: str, set_index: int, weight: float,
                leg: c.Leg = c.Leg.LEFT, planned_sets: int | None = None) -> None:
        self.emit("session.started", c.SessionStarted(session_id=f"{self.station}-s1", member_id=member_id,
                                                      member_name=name, exercise="hamstring-curl-kickback",
                                                      goal=goal, leg_order=[leg], planned_sets=planned_sets))
        self.emit("set.started", c.SetStarted(session_id=f"{self.station}-s1", set_index=set_index, leg=leg,
                                              weight_kg=weight, target_reps=10))

    def rep(self, i: int, faults: list[c.Fault], set_index: int = 1, leg: c.Leg = c.Leg.LEFT,
            not_checked: dict[c.Check, str] | None = None) -> None:
        """One rep from both sensors and its verdict; `not_checked` names blocking checks the camera could
        not make (and why), which leaves a rep without faults unverified."""
        start = 100.0 + 4 * i
        metrics = {"peak_knee_flexion_deg": 118.0 + i, "rest_knee_flexion_deg": 8.0 + i % 3,
                   "thigh_excursion_deg": 6.0 + 5 * (c.Fault.SWING in faults), "torso_change_deg": 3.0 + i % 2,
                   "max_gap_s": 0.0 if not not_checked else 0.6}
        if not not_checked:
            metrics["pelvis_rotation_deg"] = 4.0 + 10 * (c.Fault.HIP_ROTATION in faults)
        hold = 0.4 if c.Fault.SQUEEZE in faults else 1.2 + 0.1 * (i % 3)
        self.emit("camera.rep", c.CameraRep(leg=leg, rep_index=i, start_t=start, end_t=start + 4, concentric_s=1.1,
                                            top_hold_s=hold,
                                            eccentric_s=2.8 if c.Fault.FAST_ECCENTRIC not in faults else 1.2,
                                            metrics=metrics))  # one connection keeps the three in order
        load = {"concentric_peak_n": 146.0 + i, "travel_m": 0.31 + 0.01 * (i % 2)}
        if i == 1:
            load["start_tension_n"] = 38.5
        self.emit("load.rep", c.LoadRep(leg=leg, rep_index=i, start_t=start + 0.05, end_t=start + 4,
                                        concentric_s=1.0, eccentric_s=2.7, peak_force_n=150 + i, load_kg=15.0,
                                        peak_velocity=0.42, metrics=load))
        self.emit("rep.verdict", sample_verdict(f"{self.station}-s1", set_index, leg, i, start, faults,
                                                not_checked or {}))

    def finish(self, member_id: str, recommendations: list[c.Recommendation]) -> None:
        """The member signs out (the kiosk's session.ended) and the progression service decides each leg."""
        self.emit("session.ended", c.SessionEnded(session_id=f"{self.station}-s1", member_id=member_id))
        for r in recommendations:
            self._progression().emit("recommendation", r, station_id=self.station)

    def _progression(self) -> MqttBus:
        if self.progression is None:
            self.progression = MqttBus(Settings(_env_file=None, mqtt_port=self.port, site_id=self.site,
                                                station_id="site"), "progression", version="0.3.1",
                                       client_id=unique_client_id("progression"))  # a site's stations share it
            self.progression.start()
        return self.progression

    def judged(self, i: int, faults: list[c.Fault], set_index: int = 1, leg: c.Leg = c.Leg.LEFT) -> None:
        """A rep's verdict alone, from the site's progression service: what the centre gets of a rep (the
        sensors' own reps stay at the site)."""
        self._progression().emit("rep.verdict", sample_verdict(f"{self.station}-s1", set_index, leg, i, 100.0 + 4 * i,
                                                               faults, {}), station_id=self.station)

    def trace(self, seconds: float) -> None:
        t = 0.0
        while t < seconds:
            self.emit("load.trace", c.LoadTrace(t0=t, hz=TRACE_HZ, force_n=force_samples(t, 8)), "loadcell")
            t += 0.1

    def stop(self, state: c.ServiceState = c.ServiceState.STOPPED) -> None:
        if self.progression is not None:
            self.progression.stop()
        for b in self.buses.values():
            b.stop(state, "connection lost" if state == c.ServiceState.OFFLINE else "clean exit")


BLOCKING = (c.Check.SWING, c.Check.HIP_ROTATION, c.Check.ECCENTRIC)  # the seed's progression rule names these


def sample_verdict(session_id: str | None, set_index: int | None, leg: c.Leg, i: int, start: float,
                   faults: list[c.Fault], not_checked: dict[c.Check, str]) -> c.RepVerdict:
    """A verdict as the judge makes it: each blocking check passed, failed or not checked (with why)."""
    checks = [c.RepCheck(check=k, outcome=c.Outcome.NOT_CHECKED, blocking=k in BLOCKING, sensor=c.Sensor.CAMERA,
                         why=why) for k, why in not_checked.items()]
    checks += [c.RepCheck(check=k, outcome=c.Outcome.FAILED if c.CHECK_FAULT[k] in faults else c.Outcome.PASSED,
                          blocking=True, sensor=c.Sensor.CAMERA) for k in BLOCKING if k not in not_checked]
    unchecked = [k for k in checks if k.blocking and k.outcome is c.Outcome.NOT_CHECKED]
    return c.RepVerdict(session_id=session_id, set_index=set_index, leg=leg, rep_index=i, start_t=start,
                        end_t=start + 4, passed=not faults and not unchecked, faults=faults,
                        sensors=[c.Sensor.CAMERA, c.Sensor.LOAD], verified=not unchecked, checks=checks,
                        reasons=[c.FAULT_WORDS[f] for f in faults]
                        + [f"{c.CHECK_WORDS[k.check]} not checked: {k.why}" for k in unchecked])


def seed_members(redis_url: str) -> list[str]:
    """Three members with a few weeks of sessions, as the progression service keeps them."""
    store = RedisStore(connect(redis_url), "main")
    repo = RedisRepo(store.r, Keys("main"))
    people = [("m-ann", "Ann Lee", "B-1001", c.Leg.LEFT, "hypertrophy", 10.0, 15.0),
              ("m-raj", "Raj Patel", "B-1002", c.Leg.RIGHT, "strength_control", 17.5, 15.0),
              ("m-eva", "Eva Novak", "B-1003", None, "muscle_activation", 7.5, 7.5)]
    start = datetime.now(UTC) - timedelta(days=42)
    # Raj's range of motion was recorded on his first clean reps; Ann's and Eva's not yet.
    rom = {"m-raj": {c.Leg.LEFT: 104.0, c.Leg.RIGHT: 98.0}}
    for n, (mid, name, badge, weak, goal, w_left, w_right) in enumerate(people):
        member = MemberRecord(info=c.MemberInfo(member_id=mid, name=name, weaker_leg=weak, goal=goal),
                              tokens=[(c.IdMethod.BADGE, badge)], created=start)
        if mid in rom and "rom_deg" in MemberRecord.model_fields:  # records before the range was kept lack it
            member = member.model_copy(update={"rom_deg": rom[mid]})
        store.save_member(member)
        for k in range(8):
            when = start + timedelta(days=5 * k + n, hours=18)
            sets = []
            for leg, base in ((c.Leg.LEFT, w_left), (c.Leg.RIGHT, w_right)):
                weight = base + 1.25 * (k // 2) + (1.25 if leg != weak and k > 4 else 0)
                # a few reps swung; now and then the camera lost the hips for a rep (not checked)
                reps = [RepRecord(rep_index=i, leg=leg, start_t=4.0 * i, end_t=4.0 * i + 4, verdict=sample_verdict(
                    None, None, leg, i, 4.0 * i, [c.Fault.SWING] if (i + k + n) % (3 + k) == 0 else [],
                    {c.Check.HIP_ROTATION: "hips not in view"} if (i + 2 * k + n) % 13 == 0 else {}),
                    camera=c.CameraRep(leg=leg, rep_index=i, start_t=4.0 * i, end_t=4.0 * i + 4, concentric_s=1.2,
                                       eccentric_s=2.9, metrics={"peak_knee_flexion_deg": (
                                           92.0 + 1.5 * k + (4 if leg == c.Leg.LEFT else 0) + i % 3)}),
                    load=c.LoadRep(leg=leg, rep_index=i, start_t=4.0 * i, end_t=4.0 * i + 4, concentric_s=1.1,
                                   eccentric_s=2.8, peak_force_n=10 * weight + 20, load_kg=weight))
                    for i in range(1, 11)]
                sets += [SetRecord(set_index=s, leg=leg, weight_kg=weight, target_reps=10, ended=True,
                                   end_reason="completed", reps=reps) for s in (1, 2, 3)]
            repo.add_session(SessionRecord(session_id=f"{mid}-{k}", member_id=mid, member_name=name,
                                           exercise="hamstring-curl-kickback", goal=goal,
                                           leg_order=[weak or c.Leg.LEFT, c.Leg.RIGHT if weak != c.Leg.RIGHT
                                                      else c.Leg.LEFT], started=when,
                                           ended=when + timedelta(minutes=14), end_reason="completed", sets=sets))
    # Ann's plan for next time, as the progression service saved it (her page shows it until a session ends live)
    for leg, w, action, why in ((c.Leg.LEFT, 15.0, "increase", "Every rep of every set passed with 12 reps: go up "
                                 "to 15 kg for 8 reps"),
                                (c.Leg.RIGHT, 20.0, "hold", "3 reps swung the thigh: keep 20 kg for 8 reps")):
        repo.save_progress("m-ann", "hamstring-curl-kickback", leg, ProgressRecord(
            weight_kg=w, target_reps=8, goal="hypertrophy", last_action=action,
            reasons=[why, "Keep the thigh still and bend only the knee"], updated=start + timedelta(days=35)))
    with store.r.pipeline(transaction=True) as p:
        repo.flush(p)
        p.execute()
    seed_usage(redis_url, datetime.now(UTC) - timedelta(days=7))
    return [p[0] for p in people]


def seed_usage(redis_url: str, week_of: datetime) -> None:
    """A week of sessions at the eight stations, busy in the evenings; st-07 idle all week (it is offline)."""
    monday = datetime.combine((week_of - timedelta(days=week_of.weekday())).date(), datetime.min.time(), UTC)
    uses = []
    for s in range(1, 9):
        if s == 7:
            continue
        for day in range(7):  # st-01 and st-02 by the entrance are the busiest, st-08 in the corner the least
            for k in range(max(0, (9 - s) + (s * 3 + day * 5) % 4 - (3 if day >= 5 else 0))):
                start = monday + timedelta(days=day, hours=7 + (k * 97 + s * 13) % 14, minutes=(k * 17) % 60)
                uses.append(SessionUse(f"st-0{s}", f"st-0{s}-{day}-{k}", start,
                                       start + timedelta(minutes=9 + (k + s) % 11), 40 + (k * 7 + s) % 30))
    UsageLog(connect(redis_url), "main").record(uses)


def seed_floor(port: int) -> dict[str, FakeStation]:
    """Eight stations: training, struggling with form, degraded, offline, free."""
    st = {f"st-0{i}": FakeStation(port, f"st-0{i}") for i in range(1, 9)}
    names = {"st-01": ("m-ann", "Ann Lee", "hypertrophy", 2, 15.0), "st-02": ("m-kim", "Kim Ito",
             "strength_control", 1, 20.0), "st-03": ("m-eva", "Eva Novak", "muscle_activation", 3, 7.5),
             "st-05": ("m-tom", "Tom Berg", "tempo_focus", 1, 10.0), "st-06": ("m-lia", "Lia Wong", "hypertrophy",
             2, 12.5)}
    for sid, (mid, name, goal, k, w) in names.items():
        st[sid].session(mid, name, goal, k, w, planned_sets=4 if sid == "st-01" else None)  # the others: the least
    for i in range(1, 7):  # Ann: one rep the camera lost her hips (not checked), one short squeeze
        st["st-01"].rep(i, [c.Fault.SQUEEZE] if i == 5 else [], 2,
                        not_checked={c.Check.HIP_ROTATION: "hips not in view"} if i == 4 else None)
    for i in range(1, 5):  # Raj swings and drops the return: stands out
        st["st-02"].rep(i, [c.Fault.SWING, c.Fault.FAST_ECCENTRIC] if i > 1 else [], 1)
    for i in range(1, 4):
        st["st-03"].rep(i, [c.Fault.HIP_ROTATION] if i == 2 else [], 3)
    st["st-05"].rep(1, [c.Fault.TEMPO], 1)
    st["st-06"].rep(1, [], 2)
    st["st-03"].buses["camera"].set_status(c.ServiceState.DEGRADED, "member partly out of frame", {"fps": 11.5})
    for sid in ("st-01", "st-02", "st-05", "st-06"):
        st[sid].buses["camera"].set_status(c.ServiceState.ONLINE, "", {"fps": 29.8})
        st[sid].buses["loadcell"].set_status(c.ServiceState.ONLINE, "calibrated", {"sample_hz": 80})
    st["st-01"].emit("camera.pose", c.CameraPose(t=1, leg=c.Leg.LEFT, knee_flexion_deg=92, thigh_angle_deg=4,
                                                 pelvis_rotation_deg=3, torso_angle_deg=12,
                                                 cues=["Keep the hips square"]), "camera")
    st["st-07"].stop(c.ServiceState.OFFLINE)
    # Raj has just signed out of st-04: what the station decided, with the leg-gap flag for his trainer
    st["st-04"].session("m-raj", "Raj Patel", "strength_control", 3, 22.5)
    for i in range(1, 9):
        st["st-04"].rep(i, [c.Fault.SWING] if i in (3, 6) else [], 3)
    st["st-04"].finish("m-raj", RAJ_DECIDED)
    return st


GAP_FLAG = "Leg gap 17%: left 22.5 kg, right 18.75 kg"
RAJ_DECIDED = [
    c.Recommendation(session_id="st-04-s1", member_id="m-raj", exercise="hamstring-curl-kickback", leg=c.Leg.RIGHT,
                     goal="strength_control", current_weight_kg=18.75, next_weight_kg=20.0, next_target_reps=6,
                     action=c.Action.INCREASE, flags=[GAP_FLAG],
                     reasons=["Every rep of every set passed with 10 reps: go up to 20 kg for 6 reps"]),
    c.Recommendation(session_id="st-04-s1", member_id="m-raj", exercise="hamstring-curl-kickback", leg=c.Leg.LEFT,
                     goal="strength_control", current_weight_kg=22.5, next_weight_kg=22.5, next_target_reps=6,
                     action=c.Action.HOLD, flags=[GAP_FLAG],
                     reasons=["2 reps swung the thigh: keep 22.5 kg for 6 reps",
                              "Keep the thigh still and bend only the knee", "6 reps to match your right leg"])]


def seed_central(port: int) -> dict[str, FakeStation]:
    """Two sites as their bridges forward them to the centre (broker/central-bridge.conf): statuses, sessions
    and sets, verdicts. Both have an st-01 and an st-02."""
    layout = {"north": ("st-01", "st-02", "st-03", "st-04"), "south": ("st-01", "st-02", "st-03")}
    st = {f"{site}/{sid}": FakeStation(port, sid, ("kiosk", "camera"), site=site)
          for site, ids in layout.items() for sid in ids}
    swing, squeeze = [c.Fault.SWING], [c.Fault.SQUEEZE]
    training: dict[str, tuple[str, str, int, float, list[list[c.Fault]]]] = {  # key: member, goal, set, kg, reps
        "north/st-01": ("m-ann", "hypertrophy", 2, 15.0, [[], [], squeeze, []]),
        "north/st-02": ("m-kim", "strength_control", 1, 20.0, [[], swing, swing, [*swing, c.Fault.FAST_ECCENTRIC]]),
        "south/st-01": ("m-eva", "muscle_activation", 2, 7.5, [[], []]),
        "south/st-03": ("m-tom", "tempo_focus", 1, 10.0, [[c.Fault.TEMPO]])}
    for key, (mid, goal, k, w, reps) in training.items():
        s = st[key]
        s.session(mid, "", goal, k, w)  # the centre keeps no names: member ids only
        for i, faults in enumerate(reps, 1):
            s.judged(i, faults, k)
    for key, s in st.items():
        if key != "south/st-02":  # the station going offline below (its stop would stop this bus too)
            s._progression()  # each site's progression says it is online: the fleet's site services
    st["north/st-03"].buses["camera"].set_status(c.ServiceState.DEGRADED, "member partly out of frame", {"fps": 11.5})
    st["south/st-02"].stop(c.ServiceState.OFFLINE)
    return st


def shoot_central(base: str, out: Path, password: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_selector('.tile[data-station="south/st-03"]')
        page.wait_for_selector("#conn.live")
        path = out / "dashboard-central.png"
        page.screenshot(path=str(path))
        browser.close()
    return [path]


def shoot(base: str, out: Path, password: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    shots: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]

        def snap(name: str, full_page: bool = False) -> None:
            path = out / f"dashboard-{name}.png"
            for attempt in range(3):  # headless Chromium on a busy machine sometimes misses a capture
                try:
                    page.screenshot(path=str(path), full_page=full_page)
                    break
                except Exception:
                    if attempt == 2:
                        raise
                    time.sleep(0.5)
            shots.append(path)

        page.goto(f"{base}/login")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", "not the password")
        page.click("button[type=submit]")
        snap("login")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_selector(".tile[data-station=st-08]")
        page.wait_for_selector("#conn.live")
        snap("floor")
        page.goto(f"{base}/stations/st-01")
        page.wait_for_selector("#conn.live")
        time.sleep(4.0)  # let the trace stream fill the canvas with a rep or so
        snap("station")
        snap("station-full", full_page=True)  # the rep table's metric columns and the one-tap cues below
        page.goto(f"{base}/stations/st-04")
        page.wait_for_selector("#conn.live")
        page.wait_for_selector("#decided .flag")
        snap("station-decided", full_page=True)
        page.click("#reps tr.rep-failed button.wrong")  # the trainer saw rep 6's thigh still: the hips opened
        page.check("#review-form input[name=fault][value=hip_rotation]")
        page.fill("#review-form input[name=note]", "thigh still; the left hip opened at the top")
        page.locator("#reps-card").screenshot(path=str(out / "dashboard-station-review.png"))
        shots.append(out / "dashboard-station-review.png")
        page.click("#review-form button[type=submit]")
        page.wait_for_selector("#review-saved")
        page.goto(f"{base}/reviews")
        snap("reviews")
        page.goto(f"{base}/members")
        snap("members")
        page.goto(f"{base}/members/m-raj")
        page.wait_for_selector("#conn.live")
        page.wait_for_selector("#decision .flag")  # the decision st-04 made, live from the floor's feed
        snap("member", full_page=True)  # the sessions table (reps passed, failed, not checked) is below the charts
        page.goto(f"{base}/members/m-ann")
        page.wait_for_selector("#conn.live")
        snap("member-saved-plan")
        page.goto(f"{base}/members/m-raj/report")
        snap("report", full_page=True)
        page.emulate_media(media="print")
        snap("report-print", full_page=True)  # what "Save as PDF" gets: black on white, no navigation
        page.emulate_media(media="screen")
        page.goto(f"{base}/usage?week={week_name((datetime.now(UTC) - timedelta(days=7)).date())}")
        snap("usage")
        page.goto(f"{base}/members/new")
        page.fill("input[name=name]", "Zoe")
        page.fill("input[name=badge]", "B-1001")  # taken: the form says so
        page.click("#member-form button[type=submit]")
        snap("member-form")
        page.goto(f"{base}/fleet")
        page.wait_for_selector("#conn.live")
        snap("fleet")
        browser.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    central = "--central" in args
    args = [a for a in args if a != "--central"]
    out = Path(args[0] if args else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gym-dash-shots-") as d:
        work = Path(d)
        broker = PrivateMosquitto(work / "mosquitto").start()
        redis_srv = PrivateRedis(work / "redis", appendonly=False).start()
        stations: dict[str, FakeStation] = {}
        dash: Child | None = None
        try:
            if central:
                return _central(work, broker.port, redis_srv.url, out)
            seed_members(redis_srv.url)
            port = free_port()
            env = service_env(None, environment="demo", site_id="main", station_id="site",
                              mqtt_port=str(broker.port), redis_url=redis_srv.url,
                              dashboard_demo_password=DEMO_PASSWORD)
            dash = Child("dashboard", ["services.dashboard", "run", "--port", str(port)], env, work)
            wait_port(port, timeout=30)
            stations = seed_floor(broker.port)
            feeder = _trace_feeder(stations["st-01"])
            shots = shoot(f"http://127.0.0.1:{port}", out, DEMO_PASSWORD)
            feeder.stop.set()
            for shot in shots:
                print(shot)
            return 0
        finally:
            for s in stations.values():
                s.stop()
            if dash is not None:
                dash.stop()
            broker.kill()
            redis_srv.kill()


def _central(work: Path, broker_port: int, redis_url: str, out: Path) -> int:
    """The central dashboard on a broker standing in for the centre, fed as the sites' bridges feed it."""
    port = free_port()
    env = service_env(None, environment="demo", site_id="central", station_id="site", mqtt_port=str(broker_port),
                      redis_url=redis_url, dashboard_demo_password=DEMO_PASSWORD, dashboard_central="true")
    dash = Child("dashboard", ["services.dashboard", "run", "--port", str(port)], env, work)
    stations: dict[str, FakeStation] = {}
    try:
        wait_port(port, timeout=30)
        stations = seed_central(broker_port)
        for shot in shoot_central(f"http://127.0.0.1:{port}", out, DEMO_PASSWORD):
            print(shot)
        return 0
    finally:
        for s in stations.values():
            s.stop()
        dash.stop()


def _trace_feeder(station: FakeStation) -> Any:
    import threading

    class Feeder(threading.Thread):
        def __init__(self) -> None:
            super().__init__(daemon=True)
            self.stop = threading.Event()

        def run(self) -> None:
            t = 0.0
            while not self.stop.wait(0.1):
                station.emit("load.trace", c.LoadTrace(t0=t, hz=TRACE_HZ, force_n=force_samples(t, 8)), "loadcell")
                t += 0.1

    f = Feeder()
    f.start()
    return f


if __name__ == "__main__":
    raise SystemExit(main())
