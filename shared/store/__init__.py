"""The Redis adapter (what the engine reads and writes, and that repository in memory, are `shared.repo`:
pure, no Redis), one responsibility per module; every key the product writes is built in `keys`.

- `keys`: the key table (documented there), the feed and TTL limits, the client (`connect`);
- `redis_repo`: that repository over Redis and the store every service commits and reads through;
- `commit`: the Lua script that commits a batch of events once each, compare-and-set per station;
- `tokens`: tap-in token references and the throttle on unknown tap-ins;
- `access`, `audit`, `privacy`: the dashboard's sign-in sessions and accounts, the audit log, a member's
  data exported, erased or dropped after the retention period.

Writes that must happen once per event go through `RedisStore.apply_once`/`apply_batch`: the writes and
the processed mark are committed by one Lua script that checks the mark is absent and the station's state is
the one read (so two workers never interleave on one station); a crash between reading and committing can
neither lose the write nor apply it twice.
"""

from shared.store.access import SESSION_ABSOLUTE_S, SESSION_IDLE_S, DashboardAccess, SignInSession, session_digest
from shared.store.audit import AUDIT_RETENTION_DAYS, AuditEntry, AuditLog
from shared.store.keys import (
    ARCHIVE_TTL_S,
    PROCESSED_TTL_S,
    STATION_FEED_LEN,
    UNASSIGNED_LEN,
    Keys,
    RedisErrors,
    connect,
    redacted_url,
)
from shared.store.privacy import (
    EXPORT_FORMAT,
    drop_history_before,
    erase_member,
    export_member,
    member_session_ids,
    months_ago,
)
from shared.store.redis_repo import RedisRepo, RedisStore
from shared.store.tokens import MemberTokens

__all__ = [
    "ARCHIVE_TTL_S", "AUDIT_RETENTION_DAYS", "EXPORT_FORMAT", "PROCESSED_TTL_S", "SESSION_ABSOLUTE_S",
    "SESSION_IDLE_S", "STATION_FEED_LEN", "UNASSIGNED_LEN", "AuditEntry", "AuditLog", "DashboardAccess", "Keys",
    "MemberTokens", "RedisErrors", "RedisRepo", "RedisStore", "SignInSession", "connect",
    "drop_history_before", "erase_member", "export_member", "member_session_ids", "months_ago", "redacted_url",
    "session_digest",
]
