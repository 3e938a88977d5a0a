"""Members' tap-in tokens (badge ids, QR texts, PINs): how they are kept, which PINs are allowed, and how fast
a station may try them. Pure: no Redis, no MQTT (the store and the kiosk both use it).

A token is never kept in clear: the site keeps its *reference*, an HMAC-SHA256 of the method and the token
under the site secret (``GYM_TOKEN_KEY``), so neither a Redis key name, a record, a backup nor a member id
gives a PIN or a badge id back. Without the secret a dump of Redis cannot be brute-forced offline, even for
a 6-digit PIN; with it, anyone can (hence the secret lives in the site services' env files, not in Redis).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import math
import re
import secrets
from dataclasses import dataclass

from shared.contract import IdMethod

REF_PREFIX = "hmac:"
_REF = re.compile(r"^hmac:[0-9a-f]{64}$")

# At least 32 characters: the key of an HMAC-SHA256 wants about 256 bits; `gymctl init` writes 43
# (secrets.token_urlsafe(32)).
MIN_KEY_LEN = 32


def token_ref(key: bytes, method: IdMethod, token: str) -> str:
    """The keyed reference of a tap-in token: what records, key names and the throttle hold instead of it.
    The method is hashed in, so the same digits as a PIN and as a badge id are unrelated references."""
    mac = hmac.new(key, f"{method.value}\x00{token}".encode(), hashlib.sha256).hexdigest()
    return REF_PREFIX + mac


def is_ref(text: str) -> bool:
    """A reference made by `token_ref` (records written before references were kept hold the clear token)."""
    return bool(_REF.match(text))


def new_member_id() -> str:
    """A member id: random, so it says nothing about the badge or PIN the member enrolled with (an id travels
    in session.started, recommendations and dashboard URLs). 64 bits: no two members ever share one."""
    return "m-" + secrets.token_hex(8)


# ------------------------------------------------------------------ PIN policy

# 6 digits is 10^6 PINs, 8 digits 10^8; the lookups' throttle (below) lets a station make at most
# `TapLimits.lock_failures` (15) wrong guesses before it is locked. With M members enrolled by PIN, one guess
# finds *someone's* PIN with probability M / 10^6 for 6 digits: 2,000 members and 15 guesses give 3 % per
# station between two unlocks by an operator, 8 digits 0.03 %. With 4 digits (10^4 PINs) each guess would
# have a 20 % chance: no throttle saves that. 8 is the kiosk's keypad's limit.
PIN_MIN_DIGITS = 6
PIN_MAX_DIGITS = 8
PIN_RULE = f"a PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits, not a run such as 123456, 111111 or 121212"


def pin_problem(pin: str) -> str | None:
    """Why this PIN may not be enrolled, or None. Trivial PINs are the first any guesser tries (and the
    first people choose): every constant step (000000, 123456, 987654, 135791, 890123 wrapping past 9) and
    every repeated block (121212, 123123, 12341234)."""
    if not (pin.isascii() and pin.isdigit()):
        return "a PIN has digits only"
    if not PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS:
        return f"a PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits"
    d = [int(ch) for ch in pin]
    if len({(b - a) % 10 for a, b in itertools.pairwise(d)}) == 1:
        return "a PIN may not be a run of digits such as 123456 or 111111"
    for p in range(2, len(d) // 2 + 1):
        if all(d[i] == d[i - p] for i in range(p, len(d))):
            return "a PIN may not repeat a block of digits such as 121212 or 123123"
    return None


# ------------------------------------------------------------------ the lookup throttle

STATION = "station"
TOKEN = "token"


def tap_scopes(station_id: str, method: IdMethod, ref: str) -> tuple[str, str]:
    """What a lookup or enrol is counted against: the station that asked, and the token tried (by reference)."""
    return f"{STATION}:{station_id}", f"{TOKEN}:{method.value}:{ref.removeprefix(REF_PREFIX)}"


@dataclass(frozen=True)
class TapLimits:
    """How many unknown tap-ins a station (or one token) may have before it waits, then is locked.

    Counted: lookups that found no member, and badge/QR enrols (their answer, "already enrolled" or a new
    member, tells whether the badge was known). Not counted: lookups that found a member (no guess is spent),
    PIN enrols (their answer is the same whether the PIN was taken: see `Engine._enrol`), and tries refused
    because of a wait or a lock (they test nothing). The count starts at the first failure and is forgotten
    `window_s` later; a lock lasts until an operator lifts it on the dashboard (or `lock_s`).
    """

    # A member who forgot their PIN tries three or four variants, a new member's badge is unknown once before
    # they enrol: five failures a day at one station cost nothing.
    free_failures: int = 5
    # Then each failure doubles the wait: 1 s, 2 s, 4 s … 5 min. A person at the kiosk hardly notices the first
    # few; a script needs 8½ minutes for the next 10 tries (the last of which locks) instead of 1/100 s.
    first_delay_s: float = 1.0
    max_delay_s: float = 300.0
    # Locked at the 15th failure: a guesser gets at most 15 guesses per station until an operator unlocks it
    # (see PIN_MIN_DIGITS for what that buys against 10^6 PINs), and the trainer sees the station listed.
    lock_failures: int = 15
    # A gym day: honest mistakes of yesterday do not count today; a guesser pacing under the lock gets
    # 14 guesses a day per station.
    window_s: float = 24 * 3600.0
    # A lock nobody lifts is kept a week (the key then expires), long enough for any operator to see it.
    lock_s: float = 7 * 24 * 3600.0

    def __post_init__(self) -> None:
        if not 0 <= self.free_failures < self.lock_failures:
            raise ValueError("free failures must be fewer than the failures that lock")

    def delay_after(self, failures: int) -> float:
        """The wait (s) imposed by the `failures`-th failure (0 while within the free ones)."""
        if failures <= self.free_failures:
            return 0.0
        return min(self.max_delay_s, self.first_delay_s * 2.0 ** (failures - self.free_failures - 1))


@dataclass(frozen=True)
class TapGate:
    """Whether a tap-in may be tried now: `wait_s` before the next try, or `locked` (which scope)."""

    wait_s: float = 0.0
    locked: str = ""  # "" | "station" | "token"

    @property
    def open(self) -> bool:
        return not self.locked and self.wait_s <= 0

    def words(self, method: IdMethod) -> str:
        """What the kiosk shows (the member's words, not the guesser's)."""
        if self.locked == STATION:
            return "too many unknown sign-ins at this station: ask a trainer to unlock it"
        if self.locked == TOKEN:
            return f"this {method.value} is locked after too many tries: ask a trainer"
        return f"too many tries: try again in {max(1, math.ceil(self.wait_s))} s"


@dataclass(frozen=True)
class TapFlag:
    """A station or token that is waiting or locked, as the dashboard lists it."""

    scope: str  # "station:st-01" or "token:pin:<hex>"
    failures: int
    locked: bool
    wait_s: float
    first_ts: float  # Unix seconds of the first failure counted
    last_ts: float

    @property
    def kind(self) -> str:
        return self.scope.split(":", 1)[0]

    @property
    def method(self) -> str:
        """badge, qr or pin for a token; "" for a station."""
        parts = self.scope.split(":")
        return parts[1] if self.kind == TOKEN and len(parts) == 3 else ""

    @property
    def name(self) -> str:
        """The station id, or the token's reference shortened (it says nothing without the site secret)."""
        rest = self.scope.split(":", 1)[1] if ":" in self.scope else self.scope
        return rest if self.kind == STATION else f"#{rest.rsplit(':', 1)[-1][:10]}"
