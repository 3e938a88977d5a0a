"""Security review, findings 1 and 2: a member id gave the PIN away, and PINs could be swept.

Each test runs the real progression service (and the dashboard, for the lockouts) against the private
mosquitto and Redis, as a station's account would talk to it, and reads Redis as an attacker with a copy of
it would.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import re
import secrets
import stat
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kiosk.state.flow import Flow
from services.procs import Child
from shared import contract as c
from shared.catalogue import default_catalogue
from shared.records import MemberRecord
from shared.repo import MemoryRepo
from shared.servers import PrivateMosquitto, PrivateRedis
from shared.settings import Settings
from shared.store import RedisStore, connect
from shared.topics import status_topic
from tests.conftest import wait_for
from tests.dashboard import add_staff, app_settings, sign_in
from tests.wire import RawListener, StationClient

pytestmark = pytest.mark.integration

Starter = Callable[..., Child]  # the progression fixture: start(**env) → the running service

EX = "hamstring-curl-kickback"
TOKEN_KEY = "k" * 8 + secrets.token_urlsafe(32)  # the site secret, as `gymctl init` writes one
PIN = "482915"
BADGE = "BADGE-Zq81-secret"
QR = "qr:member:Zq81-secret"
# A station sweeping PINs, with the throttle's numbers scaled down so the test takes seconds: 3 free failures,
# then waits of 0.2, 0.4, 0.8, 1.6 s, and the 8th failure locks.
FAST = {"GYM_TAP_FREE_FAILURES": "3", "GYM_TAP_LOCK_FAILURES": "8", "GYM_TAP_FIRST_DELAY_S": "0.2",
        "GYM_TAP_MAX_DELAY_S": "5"}


class Station(StationClient):
    """A station's account: sends lookups and enrols, collects the answers by correlation id."""

    def __init__(self, port: int, station_id: str = "st-01") -> None:
        super().__init__(port, ("member.profile",), station_id=station_id)
        self.n = 0

    def send(self, event_type: str, model: type, **kw: object) -> str:
        self.n += 1
        cid = f"q{self.n}-{secrets.token_hex(3)}"
        self.bus.emit(event_type, model(correlation_id=cid, exercise=EX, **kw))
        return cid

    def answer(self, cid: str, timeout: float = 10.0) -> c.MemberProfile:
        found: c.MemberProfile = wait_for(lambda: next((p for p in self.of(c.MemberProfileEvent)
                                                        if p.correlation_id == cid), None),
                                          timeout=timeout, what=f"the answer to {cid}")
        return found

    def answered_at(self) -> dict[str, float]:
        """When the service answered each request (its own clock, the one its waits are measured on)."""
        with self.lock:
            return {e.data.correlation_id: e.ts.timestamp() for e in self.got}  # type: ignore[attr-defined]

    def lookup(self, method: c.IdMethod, token: str) -> c.MemberProfile:
        return self.answer(self.send("member.lookup", c.MemberLookup, method=method, token=token))

    def enrol(self, method: c.IdMethod, token: str, name: str = "Ana") -> c.MemberProfile:
        return self.answer(self.send("member.enrol", c.MemberEnrol, method=method, token=token, name=name,
                                     goal="hypertrophy"))


@pytest.fixture
def progression(service_env: dict[str, str], tmp_path: Path,
                mosquitto: PrivateMosquitto) -> Iterator[Starter]:
    started: list[Child] = []

    def start(**env: str) -> Child:
        kid = Child(f"progression-{len(started)}", ["services.progression", "run"],
                    {**service_env, "GYM_STATION_ID": "site", "GYM_TOKEN_KEY": TOKEN_KEY, **env}, tmp_path)
        started.append(kid)
        # Its retained status is published after its subscriptions: once it is seen, they are in place.
        status = RawListener(mosquitto.port, status_topic("main", "site", "progression"))
        try:
            wait_for(lambda: status.messages, timeout=20,
                     what=f"progression up and subscribed ({kid.log_path.read_text()[-1500:]})")
        finally:
            status.close()
        return kid

    yield start
    for kid in started:
        assert kid.alive(), kid.log_path.read_text()[-2000:]
        kid.stop()


@pytest.fixture
def station(mosquitto: PrivateMosquitto) -> Iterator[Station]:
    s = Station(mosquitto.port)
    yield s
    s.bus.stop()


def store_of(redis_server: PrivateRedis) -> RedisStore:
    return RedisStore(connect(redis_server.url), "main", TOKEN_KEY.encode())


def every_key_and_value(redis_server: PrivateRedis) -> list[tuple[str, str]]:
    """What a copy of Redis holds: every key's name and its whole value as text."""
    r = connect(redis_server.url)
    out = []
    for key in r.scan_iter(count=1000):
        kind = r.type(key)  # type: ignore[no-untyped-call]  # types-redis leaves TYPE unannotated
        if kind == "string":
            value = r.get(key) or ""
        elif kind == "hash":
            value = repr(r.hgetall(key))
        elif kind == "list":
            value = repr(r.lrange(key, 0, -1))
        elif kind == "set":
            value = repr(r.smembers(key))
        elif kind == "zset":
            value = repr(r.zrange(key, 0, -1, withscores=True))
        elif kind == "stream":
            value = repr(r.xrange(key))
        else:
            value = ""
        out.append((key, value))
    return out


def old_member_id(method: str, token: str) -> str:
    """How a kiosk-enrolled member's id was made before the review: unsalted, unkeyed."""
    return "m-" + hashlib.blake2s(f"{method}:{token}".encode(), digest_size=6).hexdigest()


def good_pin(rng: random.Random) -> str:
    """An 8-digit PIN a member might choose (seeded: the same ones each run, none of them a run or a repeat)."""
    return "".join(rng.choice("0123456789") for _ in range(8))


# ------------------------------------------------------------------ finding 1: ids and stored tokens


def test_a_member_id_does_not_give_the_pin_away(progression: Starter, station: Station) -> None:
    progression()
    prof = station.enrol(c.IdMethod.PIN, PIN)
    assert prof.status == "ok" and prof.member is not None
    member_id = prof.member.member_id
    # The attacker's sweep: every 6-digit PIN through the old derivation, in about a second.
    found = [p for p in (f"{n:06d}" for n in range(10**6)) if old_member_id("pin", p) == member_id]
    assert found == [], f"the member id gives the PIN {found}"
    assert re.fullmatch(r"m-[0-9a-f]{16}", member_id)  # 64 random bits


def test_the_member_id_is_random_not_a_function_of_the_token() -> None:
    from services.progression.engine import Engine

    ids = []
    for _ in range(2):  # the same badge enrolled at two sites (or twice after an erase)
        engine, repo = Engine(default_catalogue()), MemoryRepo()
        ev = c.make_event("member.enrol", "main", "st-01", c.MemberEnrol(
            correlation_id="q1", method=c.IdMethod.BADGE, token=BADGE, name="Ana", exercise=EX))
        (out,) = engine.handle(ev, repo)
        ids.append(out.data.member.member_id)  # type: ignore[attr-defined]
    assert ids[0] != ids[1]


def test_no_redis_key_or_value_holds_a_clear_token(progression: Starter, station: Station,
                                                   redis_server: PrivateRedis) -> None:
    progression()
    for method, token in ((c.IdMethod.PIN, PIN), (c.IdMethod.BADGE, BADGE), (c.IdMethod.QR, QR)):
        assert station.lookup(method, token).status == "unknown"
        assert station.enrol(method, token).status == "ok"
        again = station.lookup(method, token)
        assert again.status == "ok" and again.member is not None
    for key, value in every_key_and_value(redis_server):
        for token in (PIN, BADGE, QR):
            assert token not in key, f"key {key} names a token"
            assert token not in value, f"{key} holds the token {token!r}: {value[:200]}"
    # What the dashboard reads back: references, which a trainer's form sends back unchanged.
    members = store_of(redis_server).members()
    assert len(members) == 3 and all(t.startswith("hmac:") for m in members for _, t in m.tokens)
    # A reference read from a record (or a backup) is not a token: sent as one, it opens nothing.
    pin_ref = next(t for m in members for meth, t in m.tokens if meth == c.IdMethod.PIN)
    assert station.lookup(c.IdMethod.PIN, pin_ref).status == "unknown"


def test_a_trainers_edit_keeps_a_stored_reference_and_hashes_a_new_badge(redis_server: PrivateRedis) -> None:
    store = store_of(redis_server)
    store.save_member(MemberRecord(info=c.MemberInfo(member_id="m-1", name="Ann"),
                                   tokens=[(c.IdMethod.BADGE, BADGE), (c.IdMethod.PIN, PIN)]))
    old = store.member("m-1")
    assert old is not None and all(t.startswith("hmac:") for _, t in old.tokens)
    store.save_member(old.model_copy(update={"info": old.info.model_copy(update={"name": "Ann Lee"})}), old)
    ann = store.member_by_token(c.IdMethod.BADGE, BADGE)  # the form sent the reference back: the badge stays
    assert ann is not None and ann.info.name == "Ann Lee"
    # A new badge typed by a trainer is hashed, even one that looks like a reference; the old one stops working.
    fake = old.tokens[1][1]
    store.save_member(old.model_copy(update={"tokens": [(c.IdMethod.BADGE, fake)]}), store.member("m-1"))
    assert store.member_by_token(c.IdMethod.BADGE, BADGE) is None
    assert store.member_by_token(c.IdMethod.BADGE, fake) is not None
    assert not any(BADGE in k or BADGE in v or PIN in k or PIN in v for k, v in every_key_and_value(redis_server))


def test_tokens_kept_in_clear_by_an_older_version_are_moved_on_read_and_by_the_one_shot_migration(
        progression: Starter, station: Station, redis_server: PrivateRedis, service_env: dict[str, str],
        tmp_path: Path) -> None:
    r = connect(redis_server.url)
    for mid, name, method, token in (("m-old1", "Olga", "pin", PIN), ("m-old2", "Otto", "badge", BADGE)):
        rec = MemberRecord(info=c.MemberInfo(member_id=mid, name=name), tokens=[(c.IdMethod(method), token)])
        r.set(f"gym:main:member:{mid}", rec.model_dump_json())
        r.sadd("gym:main:members", mid)
        r.set(f"gym:main:token:{method}:{token}", mid)
    progression()
    prof = station.lookup(c.IdMethod.PIN, PIN)  # Olga taps in: found, and moved to references
    assert prof.status == "ok" and prof.member is not None and prof.member.name == "Olga"
    assert r.get(f"gym:main:token:pin:{PIN}") is None
    assert all(t.startswith("hmac:") for _, t in store_of(redis_server).member("m-old1").tokens)  # type: ignore[union-attr]
    # Otto never came: the one-shot migration moves him.
    env = {**service_env, "GYM_STATION_ID": "site", "GYM_TOKEN_KEY": TOKEN_KEY}
    mig = Child("migrate", ["services.progression.identity", "migrate-tokens"], env, tmp_path)
    assert mig.proc.wait(30) == 0, mig.log_path.read_text()
    assert "1 member(s) moved" in mig.log_path.read_text()
    assert not any(tok in k or tok in v for k, v in every_key_and_value(redis_server) for tok in (PIN, BADGE))
    otto = station.lookup(c.IdMethod.BADGE, BADGE)
    assert otto.status == "ok" and otto.member is not None and otto.member.member_id == "m-old2"


# ------------------------------------------------------------------ the site secret


def test_production_refuses_to_run_a_site_service_without_the_site_secret() -> None:
    from services.progression.service import ProgressionSettings, bootstrap

    prod = {"environment": "production", "mqtt_username": "progression", "mqtt_password": "p" * 32}
    settings = ProgressionSettings(_env_file=None, **prod)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="GYM_TOKEN_KEY"):
        bootstrap(settings)
    with pytest.raises(ValueError):  # a short key is no key
        Settings(_env_file=None, token_key="short", **prod)  # type: ignore[arg-type]
    assert Settings(_env_file=None, token_key=TOKEN_KEY, **prod).site_token_key() == TOKEN_KEY.encode()  # type: ignore[arg-type]
    assert Settings(_env_file=None, environment="test").site_token_key() is None


def test_gymctl_init_generates_the_site_secret_into_the_site_services_env_files_only(tmp_path: Path) -> None:
    from services.gymctl.__main__ import main as gymctl
    from services.gymctl.site import SiteState, read_env
    from services.progression.service import ProgressionSettings

    keys = []
    for n in (1, 2):
        state = SiteState(tmp_path / f"site{n}")
        assert gymctl(["--state-dir", str(state.root), "init", "--site", "main"]) == 0
        assert gymctl(["--state-dir", str(state.root), "station", "add", "st-01"]) == 0
        prog, dash = read_env(state.env_file("progression")), read_env(state.env_file("dashboard"))
        assert prog["GYM_TOKEN_KEY"] == dash["GYM_TOKEN_KEY"] and len(prog["GYM_TOKEN_KEY"]) >= 32
        assert "GYM_TOKEN_KEY" not in read_env(state.env_file("st-01"))  # a station never holds it
        for name in ("progression", "dashboard"):
            assert stat.S_IMODE(os.stat(state.env_file(name)).st_mode) == 0o600
        settings = ProgressionSettings(_env_file=state.env_file("progression"))
        assert settings.environment == "production" and settings.site_token_key() == prog["GYM_TOKEN_KEY"].encode()
        keys.append(prog["GYM_TOKEN_KEY"])
    assert keys[0] != keys[1]  # generated per site, never a default


# ------------------------------------------------------------------ finding 2: sweeping PINs


def test_a_thousand_lookups_from_one_station_are_throttled_then_locked_and_an_operator_unlocks(
        progression: Starter, mosquitto: PrivateMosquitto, redis_server: PrivateRedis) -> None:
    progression(**FAST)
    sweeper = Station(mosquitto.port, station_id="st-07")
    rng = random.Random(7)
    sent: dict[str, float] = {}
    t0 = time.monotonic()
    for _ in range(1000):  # distinct PINs, ~170 a second for 6 s: well past the 3 s of waits to the lock
        cid = sweeper.send("member.lookup", c.MemberLookup, method=c.IdMethod.PIN, token=good_pin(rng))
        sent[cid] = time.monotonic()
        time.sleep(0.006)
    wait_for(lambda: len(sweeper.of(c.MemberProfileEvent)) == 1000, timeout=30, what="1,000 answers")
    answers = sweeper.of(c.MemberProfileEvent)
    elapsed = time.monotonic() - t0
    at = sweeper.answered_at()
    guessed = sorted((p for p in answers if p.status == "unknown"), key=lambda p: at[p.correlation_id])
    refused = [p for p in answers if p.status == "error"]
    waits = [p for p in refused if "try again in" in p.error]
    locked = [p for p in refused if "ask a trainer to unlock" in p.error]
    # In ~7 s a station answered 8 guesses (not 1,000): 3 free, 4 after growing waits, the 8th locked it.
    assert len(guessed) == 8, [p.error for p in guessed]
    assert "ask a trainer to unlock" in guessed[-1].error and elapsed < 20
    assert waits and locked and len(guessed) + len(waits) + len(locked) == 1000
    # The wait grows: each guess answered after the free ones came at least 0.2, 0.4, 0.8, 1.6 s after the last.
    gaps = [at[b.correlation_id] - at[a.correlation_id] for a, b in itertools.pairwise(guessed[3:])]
    assert len(gaps) == 4 and all(g >= d - 0.01 for g, d in zip(gaps, (0.2, 0.4, 0.8, 1.6), strict=True)), gaps
    assert gaps == sorted(gaps)
    # Another station is not slowed by this one.
    other = Station(mosquitto.port, station_id="st-08")
    assert other.lookup(c.IdMethod.PIN, good_pin(rng)).status == "unknown"
    other.bus.stop()
    # The trainer sees it on the dashboard; only an operator unlocks it.
    with dashboard(mosquitto, redis_server) as (client, sign_in):
        sign_in("tina")
        rows = client.get("/api/v1/lockouts").json()
        st07 = next(r for r in rows if r["scope"] == "station:st-07")
        assert st07["locked"] and st07["failures"] == 8 and st07["kind"] == "station"
        page = client.get("/lockouts", headers={"accept": "text/html"})
        assert page.status_code == 200 and "st-07" in page.text and "locked" in page.text
        tok = sign_in("tina")
        assert client.post("/api/v1/lockouts/station:st-07/unlock", headers={"x-csrf-token": tok}).status_code == 403
        tok = sign_in("olga")
        r = client.post("/api/v1/lockouts/station:st-07/unlock", headers={"x-csrf-token": tok})
        assert r.status_code == 200, r.text
        assert all(row["scope"] != "station:st-07" for row in client.get("/api/v1/lockouts").json())
    assert sweeper.lookup(c.IdMethod.PIN, good_pin(rng)).status == "unknown"  # answered again
    sweeper.bus.stop()


def test_the_default_throttle_waits_one_two_four_seconds_and_locks_at_the_fifteenth_failure() -> None:
    from shared.identity import TapLimits

    now = [0.0]
    repo = MemoryRepo(clock=lambda: now[0])
    lim = TapLimits()
    scopes = ("station:st-01", "token:pin:ab")
    waits = []
    for n in range(1, lim.lock_failures + 1):
        assert repo.tap_gate(scopes, f"e{n}").open
        gate = repo.tap_failed(scopes, f"e{n}")
        assert repo.tap_failed(scopes, f"e{n}") == gate  # a redelivered event is counted once
        assert repo.tap_gate(scopes, f"e{n}").open  # and passes when its commit is retried
        waits.append(gate.wait_s)
        now[0] += gate.wait_s
    assert waits[:5] == [0.0] * 5 and waits[5:9] == [1.0, 2.0, 4.0, 8.0] and max(waits) <= lim.max_delay_s
    assert repo.tap_gate(scopes, "next").locked == "station"
    now[0] += lim.window_s  # a lock outlives the window: an operator lifts it
    assert repo.tap_gate(scopes, "later").locked == "station"


# ------------------------------------------------------------------ finding 2: enrol is no oracle


def test_enrol_of_a_taken_pin_and_of_a_free_one_give_indistinguishable_answers(progression: Starter,
                                                                                station: Station) -> None:
    progression()
    rng = random.Random(11)
    taken = [good_pin(rng) for _ in range(12)]
    for pin in taken:
        assert station.enrol(c.IdMethod.PIN, pin, name="Owner").status == "ok"

    def timed(pin: str) -> tuple[c.MemberProfile, float]:
        t = time.monotonic()
        prof = station.enrol(c.IdMethod.PIN, pin, name="Mallory")
        return prof, time.monotonic() - t

    results: dict[str, list[tuple[c.MemberProfile, float]]] = {"taken": [], "free": []}
    for pin in taken:  # interleaved, so both kinds meet the same load
        results["taken"].append(timed(pin))
        results["free"].append(timed(good_pin(rng)))

    def shape(p: c.MemberProfile) -> dict[str, object]:
        """The answer without what differs by design: the correlation id, the new member's random id."""
        d = p.model_dump(mode="json", exclude={"correlation_id"})
        if d["member"]:
            assert re.fullmatch(r"m-[0-9a-f]{16}", d["member"].pop("member_id"))
        return d

    shapes = {kind: [shape(p) for p, _ in rows] for kind, rows in results.items()}
    assert all(s == shapes["free"][0] for s in shapes["taken"] + shapes["free"])  # one answer for both
    medians = {kind: statistics.median(t for _, t in rows) for kind, rows in results.items()}
    assert abs(medians["taken"] - medians["free"]) < 0.03, medians  # no timing tell beyond the wire's jitter
    # The taken PIN still opens its owner's account, not the enroller's.
    prof = station.lookup(c.IdMethod.PIN, taken[0])
    assert prof.status == "ok" and prof.member is not None and prof.member.name == "Owner"


def test_a_badge_enrol_is_counted_like_a_lookup(progression: Starter, mosquitto: PrivateMosquitto) -> None:
    """A badge keeps "already enrolled" (a card in the holder's hand), but each badge enrol spends the
    station's budget, so sweeping badge ids by enrolling them is as slow as by looking them up."""
    progression(**FAST)
    s = Station(mosquitto.port, station_id="st-09")
    answers = [s.enrol(c.IdMethod.BADGE, f"B-{n:04d}") for n in range(4)]
    assert [a.status for a in answers[:3]] == ["ok"] * 3
    assert answers[3].status == "ok"  # the 4th counted failure starts a wait for the next try
    assert "try again in" in s.enrol(c.IdMethod.BADGE, "B-0005").error
    s.bus.stop()


# ------------------------------------------------------------------ the PIN policy


@pytest.mark.parametrize("pin", ["000000", "111111", "123456", "654321", "890123", "135791", "121212",
                                 "123123", "12341234", "9876543", "12345", "1234", "123456789", "48a915", ""])
def test_the_pin_policy_refuses_trivial_and_short_pins(pin: str) -> None:
    from shared.identity import pin_problem

    assert pin_problem(pin) is not None


@pytest.mark.parametrize("pin", ["482915", "7391648", "73916482", "100200", "112358"])
def test_the_pin_policy_accepts_ordinary_pins(pin: str) -> None:
    from shared.identity import pin_problem

    assert pin_problem(pin) is None


def test_the_kiosk_does_not_send_a_trivial_pin_and_the_service_refuses_one_sent_anyway(
        progression: Starter, station: Station) -> None:
    sent: list[tuple[str, c.Model]] = []
    flow = Flow(default_catalogue()[EX], lambda t, d: sent.append((t, d)))
    flow.set_broker_online(True)
    flow.identify(c.IdMethod.PIN, "123456")
    flow.apply(c.make_event("member.profile", "main", "st-01", c.MemberProfile(
        correlation_id=flow.pending or "", status="unknown")))
    flow.enrol("Zoe", None)
    assert [t for t, _ in sent] == ["member.lookup"]  # no member.enrol
    assert "Choose another PIN" in flow.message and "run" in flow.message
    progression()
    for pin in ("123456", "1234", "000000"):
        prof = station.enrol(c.IdMethod.PIN, pin)
        assert prof.status == "error" and prof.error.startswith("could not enrol this PIN")
        assert station.lookup(c.IdMethod.PIN, pin).status == "unknown"  # nothing was enrolled


# ------------------------------------------------------------------ the dashboard, for the lockouts


@contextmanager
def dashboard(mosquitto: PrivateMosquitto, redis_server: PrivateRedis) -> Iterator[
        tuple[TestClient, Callable[[str], str]]]:
    from services.dashboard.app import bootstrap

    add_staff(redis_server.url, replace=True)
    with TestClient(bootstrap(app_settings(mosquitto, redis_server, token_key=TOKEN_KEY))) as client:
        def sign_in_afresh(name: str) -> str:
            client.cookies.clear()
            return sign_in(client, name)

        yield client, sign_in_afresh
