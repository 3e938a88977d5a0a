"""The Redis adapter. Every key the product writes is built here and documented here.

Keys (``{site}`` is the site id; JSON values are the models of `shared.records` or
contract envelopes):

| key | type | holds |
|---|---|---|
| ``gym:{site}:processed:{event_id}`` | string (JSON list), TTL 7 days | the outputs of an applied event (idempotence, re-publication) |
| ``gym:{site}:stations`` | set | every station that has produced a verdict |
| ``gym:{site}:station:{station}:state`` | string (JSON `StationRecord`) | the live session and its sets, so a restarted worker carries on |
| ``gym:{site}:station:{station}:last_verdict`` | string (JSON envelope) | no longer written: the latest verdict is the ``verdicts`` list's last (older sites' keys are still erased with a member's data) |
| ``gym:{site}:station:{station}:verdicts`` | list (JSON envelopes) | recent verdicts, newest last, capped |
| ``gym:{site}:station:{station}:archive:{session_id}`` | list (JSON `SetRecord`), TTL 2 days | a live session's older ended sets, out of the hot state until the session ends |
| ``gym:{site}:station:{station}:unassigned`` | list (JSON envelopes) | verdicts of reps done outside any set, kept |
| ``gym:{site}:members`` | set | every member id |
| ``gym:{site}:member:{member_id}`` | string (JSON `MemberRecord`) | name, weaker leg, goal, badge/QR/PIN references (never the tokens) |
| ``gym:{site}:token:{method}:hmac:{hex}`` | string | member id of a badge, QR text or PIN, by its keyed reference (`shared.identity.token_ref`); written before references were kept: ``…:{method}:{token}``, moved when read |
| ``gym:{site}:tap:station:{station}`` / ``…:tap:token:{method}:{hex}`` | hash ``n``, ``first``, ``last``, ``next``, ``locked``; TTL the window, a week once locked | unknown tap-ins counted against a station and a token, the time before which the next try waits, the lock |
| ``gym:{site}:tap-counted:{event_id}`` | string, TTL the window | a lookup or enrol counted once, however often it is delivered |
| ``gym:{site}:tap-flagged`` | sorted set (scope by last failure) | stations and tokens that wait or are locked, for the dashboard |
| ``gym:{site}:dev-token-key`` | string | outside production only, when no GYM_TOKEN_KEY is set: the site's random development key |
| ``gym:{site}:progress:{member_id}:{exercise}:{leg}`` | string (JSON `ProgressRecord`) | next weight, reps, recent failure shares |
| ``gym:{site}:history:{member_id}`` | list (JSON `SessionRecord`) | every finished session with every set and rep verdict, oldest first |
| ``gym:{site}:dashboard:users`` | hash | dashboard account name -> JSON account (role, argon2 hash, created) |
| ``gym:{site}:dashboard:disabled`` | set | dashboard accounts an operator disabled: no sign-in, no session |
| ``gym:{site}:dashboard:session:{sha256(id)}`` | string (JSON `SignInSession`), TTL = idle limit, never past the absolute one | a signed-in browser; the cookie holds the random id, Redis only its hash |
| ``gym:{site}:dashboard:user-sessions:{user}`` | set, TTL = absolute limit | the hashed session ids of one account, to revoke them all |
| ``gym:{site}:dashboard:signin:account:{user}`` / ``…:client:{address}`` | hash ``n``, ``next``, TTL sliding | failed sign-ins and the time before which the next try waits |
| ``gym:{site}:audit`` | stream, trimmed by age | who did what when: member edits, badge moves, cues, operator commands |
| ``gym:{site}:dashboard:reviews`` | stream, capped | trainers' labels of verdicts they marked wrong (the dashboard's review) |
| ``gym:{site}:dashboard:usage:{week}`` | hash ``{station}|{session}`` → JSON, TTL some weeks | sessions seen ending per station (the operators' weekly usage; no member) |

Writes that must happen once per event go through `apply_once`: the writes and the
processed mark are committed by one Lua script that checks the mark is absent and the
station's state is the one read (so two workers never interleave on one station); a
crash between reading and committing can neither lose the write nor apply it twice.

This module: the key table, the feed and TTL limits, the client (`connect`).
"""

from __future__ import annotations

from typing import Any

import redis

from shared.contract import IdMethod, Leg

# Redeliveries of an event come within minutes (broker restart, worker restart);
# a week also covers a station that was offline over a long weekend.
PROCESSED_TTL_S = 7 * 24 * 3600
# The live feed of one station: a few sessions' worth (a session is at most ~100 reps).
STATION_FEED_LEN = 500
# A session's archived sets outlive an abandoned session (no session.ended) by a day or two, then go.
ARCHIVE_TTL_S = 2 * 24 * 3600
# Loose reps (no set under way) are rare; a thousand is weeks of them.
UNASSIGNED_LEN = 1000

RedisErrors = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, redis.ReadOnlyError)


class Keys:
    def __init__(self, site_id: str) -> None:
        self.p = f"gym:{site_id}"

    def processed(self, event_id: str) -> str:
        return f"{self.p}:processed:{event_id}"

    def stations(self) -> str:
        return f"{self.p}:stations"

    def station_state(self, station: str) -> str:
        return f"{self.p}:station:{station}:state"

    def last_verdict(self, station: str) -> str:
        return f"{self.p}:station:{station}:last_verdict"

    def verdicts(self, station: str) -> str:
        return f"{self.p}:station:{station}:verdicts"

    def archive(self, station: str, session_id: str) -> str:
        return f"{self.p}:station:{station}:archive:{session_id}"

    def unassigned(self, station: str) -> str:
        return f"{self.p}:station:{station}:unassigned"

    def members(self) -> str:
        return f"{self.p}:members"

    def member(self, member_id: str) -> str:
        return f"{self.p}:member:{member_id}"

    def token(self, method: IdMethod, ref: str) -> str:
        """The index entry of a token's reference (or, written before references were kept, of the token)."""
        return f"{self.p}:token:{method.value}:{ref}"

    def tokens_prefix(self) -> str:
        return f"{self.p}:token:"

    def tap(self, scope: str) -> str:
        return f"{self.p}:tap:{scope}"

    def tap_counted(self, event_id: str) -> str:
        return f"{self.p}:tap-counted:{event_id}"

    def tap_flagged(self) -> str:
        return f"{self.p}:tap-flagged"

    def dev_token_key(self) -> str:
        return f"{self.p}:dev-token-key"

    def progress(self, member_id: str, exercise: str, leg: Leg) -> str:
        return f"{self.p}:progress:{member_id}:{exercise}:{leg.value}"

    def history(self, member_id: str) -> str:
        return f"{self.p}:history:{member_id}"

    # The dashboard's accounts, sign-in sessions and the audit log: built here so `gymctl` can disable an
    # account or read the log without importing the dashboard.
    def dashboard_users(self) -> str:
        return f"{self.p}:dashboard:users"

    def dashboard_disabled(self) -> str:
        return f"{self.p}:dashboard:disabled"

    def dashboard_session(self, digest: str) -> str:
        return f"{self.p}:dashboard:session:{digest}"

    def dashboard_user_sessions(self, user: str) -> str:
        return f"{self.p}:dashboard:user-sessions:{user}"

    def signin_failures(self, kind: str, who: str) -> str:
        return f"{self.p}:dashboard:signin:{kind}:{who}"

    def audit(self) -> str:
        return f"{self.p}:audit"

    def dashboard_reviews(self) -> str:
        return f"{self.p}:dashboard:reviews"

    def dashboard_usage(self, week: str) -> str:
        return f"{self.p}:dashboard:usage:{week}"

    def site_prefix(self) -> str:
        """Every key of the site begins with this (backups, restores, erasure scans)."""
        return f"{self.p}:"


def redacted_url(url: str) -> str:
    """A Redis URL without its password, for messages and logs (a service's URL carries its account's)."""
    scheme, sep, rest = url.partition("://")
    creds, at, where = rest.rpartition("@")
    return f"{scheme}{sep}{creds.partition(':')[0]}:***@{where}" if at else url


def connect(url: str) -> redis.Redis[str]:
    """A client that fails fast (so callers can report degraded) and retries a dropped socket once."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=2.0,
        socket_timeout=5.0,
        retry_on_timeout=True,
        health_check_interval=30,
    )


Reader = Any  # a redis.Redis or a watching Pipeline in immediate mode: both answer reads


Command = list[str | int]
