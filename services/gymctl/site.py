"""A site's provisioning state on disk, and the files rendered from it (pure: no broker, no Redis).

Layout of the state folder (`--state-dir`, default /var/lib/gym):

| path | holds |
|---|---|
| `site.json` | site id, the broker's address as stations reach it, its TLS CA path on the stations |
| `broker/passwd` | Mosquitto password file, every account (PBKDF2-SHA512 `$7$` hashes, services/gymctl/passwd.py) |
| `broker/passwd-services` | the same for the site services' own listener: progression and dashboard only |
| `broker/acl` | Mosquitto ACL, rendered from the accounts below and the topic catalogue's writer table |
| `broker/mosquitto.conf` | the site broker's config, rendered |
| `accounts/<name>.env` | one env file per account (a station or a site service), mode 0600 |
| `accounts/<station>.bridge.conf` | the unit's broker config, bridged to the site (holds the password), 0600 |
| `accounts/gymctl.env` | the operator's Redis account (backups, `user`, `member`, `doctor`), 0600 |
| `tls/ca.crt`, `tls/*.crt` | the site CA (copy it to every unit), the broker's and dashboard's certificates (public) |
| `broker/server.key` | the broker's TLS key, like the broker's other files |
| `tls/dashboard.key` | the dashboard's TLS key, `root:<site services' group>` 0640 (they run as `gym`) |
| `ca/ca.key` | the CA's key, 0600 in a 0700 folder: move it off this host (services/gymctl/tls.py) |
| `redis/users.acl` | Redis's ACL: a user per site service and gymctl's, SHA-256 of passwords; `root:redis` 0640 |

`broker/` and its files are `root:<broker group>` 0750/0640 when gymctl runs as root (the broker reads
them after dropping root, and again on SIGHUP); `accounts/` is 0700 and its files 0600.

**Client ids.** Mosquitto 2 cannot tie a client id to an account in its password file or ACL (an
ACL's `%c` only names topics; a CONNECT with a known id closes the old connection before any ACL is
consulted). What it can enforce is `use_username_as_clientid`, per listener: on the listeners the
stations use, every client's id *is* its account's name, so station B's credentials can only ever
hold the session `st-02`, never a kiosk's or a worker's. Site services need several connections per
account (the progression workers, the dashboard's two clients), so they have a listener of their
own whose password file holds only their accounts: a station's credentials are refused there.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from services.gymctl.files import write_private
from shared.contract import MAX_PAYLOAD_BYTES
from shared.topics import DASHBOARD, PROGRESSION, ROOT, STATION, spec, written_by

# Site services and what they need: progression and the dashboard read every station's events and
# answer on every station's topics; the names are reserved so no station can take one.
SERVICE_ACCOUNTS = (PROGRESSION, DASHBOARD)
SITE_STATION = "site"  # the station id site services publish their own status and dead letters under
REDIS_ADMIN = "gymctl"  # the operator's Redis account: backups and restores, `user`, `member`, `retention`
# Redis-only accounts (replication, Sentinel): users.acl and accounts/<name>.env, no broker account.
REDIS_REPLICA, REDIS_SENTINEL = "redis-replica", "redis-sentinel"
NOT_STATIONS = (*SERVICE_ACCOUNTS, REDIS_ADMIN, REDIS_REPLICA, REDIS_SENTINEL)  # the other env files in accounts/
STATION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # one topic level, no wildcards or slashes
# A station's account name is its client id on the site broker: it must not be able to equal a site
# service's client id (`progression-main-0`, `dashboard-…`), so those names and their prefixes are reserved.
RESERVED_STATION_ID = re.compile(rf"^({'|'.join((*SERVICE_ACCOUNTS, SITE_STATION, REDIS_ADMIN, 'redis'))})([-_].*)?$")
# The largest packet the brokers accept: the contract's largest event (MAX_PAYLOAD_BYTES of payload,
# which parse_event refuses beyond) plus room for its topic, MQTT 5 properties and headers. Anything
# bigger is refused at its fixed header, before the broker reads it into memory, and its sender is
# disconnected: a 40 MiB publish reached every subscriber before this.
MAX_PACKET_BYTES = MAX_PAYLOAD_BYTES + 4096


@dataclass(frozen=True)
class TlsFiles:
    """What the broker's TLS listeners load."""

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def in_dir(cls, d: str | Path) -> TlsFiles:
        """make-certs.sh's layout: ca.crt, server.crt, server.key in one folder."""
        return cls(Path(d) / "ca.crt", Path(d) / "server.crt", Path(d) / "server.key")


@dataclass(frozen=True)
class SiteConfig:
    site_id: str
    broker_host: str = "broker"
    broker_port: int = 1883
    tls_port: int = 8883
    tls_ca: str = ""  # path of the CA on the units; empty: plain MQTT on broker_port
    services_port: int = 0  # the site services' own listener; 0: broker_port + 1
    broker_user: str = "mosquitto"  # who the broker runs as once it dropped root: name, or uid[:gid]
    # gymctl holds the broker's and the dashboard's certificates in the state folder (tls/, issued by the
    # site CA it made or was given the key of); False: the operator brings them (`broker-config --certs-dir`).
    site_certs: bool = False
    services_ca: str = ""  # the CA's path for the site services on this host; empty: tls_ca
    redis_url: str = "redis://127.0.0.1:6379/0"  # where the site services reach Redis, without credentials
    redis_user: str = "redis"  # who redis-server runs as (Debian's `redis`; 999 in the redis image)
    service_user: str = "gym"  # who the site services run as (the systemd units' User=): reads the dashboard's key

    @property
    def services_listener_port(self) -> int:
        return self.services_port or self.broker_port + 1

    @property
    def tls(self) -> bool:
        return bool(self.tls_ca)


class SiteState:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.broker = root / "broker"
        self.accounts = root / "accounts"

    @property
    def passwd(self) -> Path:
        return self.broker / "passwd"

    @property
    def passwd_services(self) -> Path:
        return self.broker / "passwd-services"

    @property
    def acl(self) -> Path:
        return self.broker / "acl"

    @property
    def conf(self) -> Path:
        return self.broker / "mosquitto.conf"

    @property
    def tls_dir(self) -> Path:
        return self.root / "tls"

    @property
    def ca_cert(self) -> Path:
        return self.tls_dir / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca" / "ca.key"

    @property
    def broker_cert(self) -> Path:
        return self.tls_dir / "server.crt"

    @property
    def broker_key(self) -> Path:
        return self.broker / "server.key"

    @property
    def dashboard_cert(self) -> Path:
        return self.tls_dir / "dashboard.crt"

    @property
    def dashboard_key(self) -> Path:
        return self.tls_dir / "dashboard.key"

    @property
    def redis(self) -> Path:
        return self.root / "redis"

    @property
    def redis_acl(self) -> Path:
        return self.redis / "users.acl"

    def tls_files(self) -> TlsFiles:
        return TlsFiles(self.ca_cert, self.broker_cert, self.broker_key)

    def exists(self) -> bool:
        return (self.root / "site.json").is_file()

    def load(self) -> SiteConfig:
        if not self.exists():
            raise FileNotFoundError(f"no site in {self.root}: run `gymctl init` first")
        return SiteConfig(**json.loads((self.root / "site.json").read_text()))  # older files: new fields' defaults

    def save(self, cfg: SiteConfig) -> None:
        for d in (self.root, self.broker, self.accounts):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root.chmod(0o755)  # whatever the umask: the broker's user passes through to broker/
        write_private(self.root / "site.json", json.dumps(asdict(cfg), indent=1) + "\n")

    def env_file(self, name: str) -> Path:
        return self.accounts / f"{name}.env"

    def bridge_conf(self, station: str) -> Path:
        return self.accounts / f"{station}.bridge.conf"

    def stations(self) -> list[str]:
        return sorted(p.stem for p in self.accounts.glob("*.env") if p.stem not in NOT_STATIONS)


def check_station_id(station_id: str) -> str:
    if not STATION_ID.match(station_id):
        raise ValueError(f"station id {station_id!r}: lower-case letters, digits, '-' and '_', at most 64")
    if RESERVED_STATION_ID.match(station_id):
        raise ValueError(f"station id {station_id!r} is reserved for a site service (or starts like one)")
    return station_id


def render_acl(cfg: SiteConfig, stations: list[str]) -> str:
    """Who reads and writes what, by event type (shared.topics.WRITERS): a station reads its own topics
    and writes only what its services produce there; progression and the dashboard read the whole site
    and write only their own event types (on any station's topics) and their status and dead letters."""
    site = f"{ROOT}/{cfg.site_id}"
    lines = ["# Rendered by gymctl from shared/topics.py's writer table: edit with `gymctl station add|remove`,",
             "# not by hand. Anything not granted here is refused (a forged publish is dropped by the broker).", ""]
    for svc in SERVICE_ACCOUNTS:
        lines += [f"user {svc}", f"topic read {site}/#"]
        for t in written_by(svc):
            own = t in ("station.status", "dead.letter")  # a service's own, under the station id "site"
            lines.append(f"topic write {_topic(cfg, t, SITE_STATION if own else '+')}")
        lines.append("")
    for st in stations:
        lines += [f"user {st}", f"topic read {site}/{st}/#"]
        lines += [f"topic write {_topic(cfg, t, st)}" for t in written_by(STATION)]
        lines.append("")
    return "\n".join(lines)


def _topic(cfg: SiteConfig, event_type: str, station: str) -> str:
    s = spec(event_type)
    base = f"{ROOT}/{cfg.site_id}/{station}/{s.suffix}"
    return f"{base}/+" if event_type == "station.status" else base  # one retained status per service


def render_broker_conf(state: SiteState, cfg: SiteConfig, *, bind: str = "", data_dir: str = "/mosquitto/data",
                       certs_dir: str = "", pid_file: str = "", include_dir: str = "",
                       tls: TlsFiles | None = None) -> str:
    """The site broker: persistence on, no anonymous client, packets no bigger than the contract's
    largest event, and three listeners — the stations' (where a client's id is its account's name), the
    same with TLS, and the site services' own (their accounts only).

    With TLS (`tls`, or make-certs.sh's layout in `certs_dir`) the LAN sees only TLS: the stations' TLS
    listener and the services' (TLS too) on `bind`, the stations' plain listener on 127.0.0.1 alone (a
    local `mosquitto_sub`, a unit on the same box). Without (a test or demo site, compose's network)
    both plain listeners are on `bind`.

    No `user` line: started as root (systemd, the eclipse-mosquitto image) mosquitto drops to its
    default user `mosquitto`, which reads the password files, ACL and key (gymctl makes them readable
    to it, see files.py)."""
    if tls is None and certs_dir:
        tls = TlsFiles.in_dir(certs_dir)
    host = f" {bind}" if bind else ""
    tls_lines = [f"cafile {tls.ca}", f"certfile {tls.cert}", f"keyfile {tls.key}", "tls_version tlsv1.2"] if tls else []
    stations_auth = ["allow_anonymous false", f"password_file {state.passwd}", f"acl_file {state.acl}",
                     "use_username_as_clientid true"]
    lines = [
        "# Rendered by gymctl broker-config.",
        "per_listener_settings true",
        "persistence true",
        f"persistence_location {data_dir.rstrip('/')}/",
        "autosave_interval 60",
        # A station away for a long weekend keeps its queue; a day of reps is far below this.
        "max_queued_messages 100000",
        "set_tcp_nodelay true",  # each packet at once: a verdict waits no delayed ACK (docs/PROGRESSION.md)
        "persistent_client_expiration 3d",
        f"# The contract's largest event is {MAX_PAYLOAD_BYTES} bytes of payload (shared/contract.py",
        "# MAX_PAYLOAD_BYTES); with its topic and properties a packet stays under this. A bigger one is",
        "# refused before it is read and its sender disconnected, so it never reaches a subscriber.",
        f"max_packet_size {MAX_PACKET_BYTES}",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "# Stations (and their bridges): a client's id is its account's name, so no account can take",
        "# over another's connection or persistent session.",
    ]
    if tls:
        lines += ["# Plain MQTT on the loopback interface only: on the LAN, TLS.",
                  f"listener {cfg.broker_port} 127.0.0.1", *stations_auth,
                  f"listener {cfg.tls_port}{host}", *stations_auth, *tls_lines]
    else:
        lines += [f"listener {cfg.broker_port}{host}", *stations_auth]
    lines += [
        "# The site services (several connections per account: workers, the dashboard's clients):",
        "# their accounts only, so a station's credentials are refused here.",
        f"listener {cfg.services_listener_port}{host}",
        "allow_anonymous false",
        f"password_file {state.passwd_services}",
        f"acl_file {state.acl}",
        *tls_lines,
    ]
    if pid_file:
        lines.append(f"pid_file {pid_file}")
    if include_dir:  # e.g. broker/central-bridge.conf, filled in and installed root:mosquitto 0640
        lines.append(f"include_dir {include_dir}")
    return "\n".join(lines) + "\n"


def render_bridge_conf(cfg: SiteConfig, station: str, password: str, *, listen: str = "127.0.0.1",
                       data_dir: str = "/var/lib/mosquitto") -> str:
    """A station unit's own broker, bridged to the site with the station's account: what
    broker/station-bridge.conf shows with its blanks filled in. It holds the station's password:
    install it on the unit as root:mosquitto mode 0640."""
    tls = bool(cfg.tls_ca)
    port = cfg.tls_port if tls else cfg.broker_port
    lines = [
        f"# Station {station}'s broker, bridged to site {cfg.site_id}. Rendered by gymctl; it holds the",
        "# station's password: root:mosquitto, mode 0640.",
        "per_listener_settings false",
        f"listener 1883 {listen}" if listen else "listener 1883",
        "# only the unit's own processes reach it",
        "allow_anonymous true",
        "persistence true",
        f"persistence_location {data_dir.rstrip('/')}/",
        "autosave_interval 10",
        "max_queued_messages 100000",
        "set_tcp_nodelay true",  # each packet at once: a verdict waits no delayed ACK (docs/PROGRESSION.md)
        "# the site's limit: nothing bigger is ever queued for the bridge (the site would refuse it)",
        f"max_packet_size {MAX_PACKET_BYTES}",
        "",
        "connection site",
        f"address {cfg.broker_host}:{port}",
        "bridge_protocol_version mqttv311",
        f"remote_clientid bridge-{station}",
        f"remote_username {station}",
        f"remote_password {password}",
        *([f"bridge_cafile {cfg.tls_ca}"] if tls else []),
        "cleansession false",
        f"local_clientid bridge-local-{station}",
        "try_private true",
        "restart_timeout 2 30",
        "queue_qos0_messages false",
        f"topic {ROOT}/{cfg.site_id}/{station}/# both 1",
    ]
    return "\n".join(lines) + "\n"


def redis_url_of(cfg: SiteConfig, user: str, password: str) -> str:
    """The site's Redis URL with an account's credentials (its ACL user, redis/users.acl)."""
    scheme, rest = cfg.redis_url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest.rsplit('@', 1)[-1]}"


def render_env(cfg: SiteConfig, name: str, password: str, secret_key: str = "", *, operator_pin: str = "",
               token_key: str = "", redis_password: str = "", dashboard_tls: tuple[Path, Path] | None = None) -> str:
    """An account's env file; the dashboard's also carries the key that signs its session cookies (and its
    certificate when gymctl issued one), a station's the staff PIN of its kiosk, the site services' the site
    secret keying members' token hashes and their own Redis account. Site services connect to their own
    listener."""
    service = name in SERVICE_ACCOUNTS
    station = SITE_STATION if service else name
    port = cfg.services_listener_port if service else (cfg.tls_port if cfg.tls else cfg.broker_port)
    ca = (cfg.services_ca or cfg.tls_ca) if service else cfg.tls_ca
    return "\n".join([
        "# Rendered by gymctl; secret: keep it mode 0600.",
        "GYM_ENVIRONMENT=production",
        f"GYM_SITE_ID={cfg.site_id}",
        f"GYM_STATION_ID={station}",
        f"GYM_MQTT_HOST={cfg.broker_host}",
        f"GYM_MQTT_PORT={port}",
        f"GYM_MQTT_USERNAME={name}",
        f"GYM_MQTT_PASSWORD={password}",
        *([f"GYM_MQTT_TLS_CA={ca}"] if ca else []),
        *([f"GYM_REDIS_URL={redis_url_of(cfg, name, redis_password)}"] if redis_password else []),
        *([f"GYM_DASHBOARD_SECRET_KEY={secret_key}"] if secret_key else []),
        *([f"GYM_DASHBOARD_TLS_CERTFILE={dashboard_tls[0]}", f"GYM_DASHBOARD_TLS_KEYFILE={dashboard_tls[1]}"]
          if dashboard_tls else []),
        *([f"GYM_OPERATOR_PIN={operator_pin}"] if operator_pin else []),
        *([f"GYM_TOKEN_KEY={token_key}"] if token_key else []),
        "",
    ])




# What replication and Sentinel need, and nothing else (Redis's own documentation of ACL for them).
_REDIS_RULES = {
    REDIS_REPLICA: "+psync +replconf +ping",
    REDIS_SENTINEL: "allchannels +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info "
                    "+client|setname +client|kill +script|kill",
}


def render_redis_acl(cfg: SiteConfig, passwords: dict[str, str]) -> str:
    """Redis's ACL file (`aclfile` in redis.conf): no anonymous `default` user; each site service and gymctl
    its own user, reaching only the site's keys (`gym:<site>:*`, shared/store.py's key space) and no
    command that reconfigures, flushes or debugs the server (@dangerous: CONFIG, FLUSHALL, KEYS, DEBUG,
    SHUTDOWN…); gymctl may also RESTORE a backup; a replica and the Sentinels only what they need.
    Passwords are stored as SHA-256 (`#…`): only the accounts' files hold them. Redis reads it at start
    or on `ACL LOAD`; a replica gets the same file (after a failover the services connect there)."""
    keys = f"~gym:{cfg.site_id}:*"
    lines = ["user default off nopass nocommands resetkeys"]  # an ACL file takes no comment lines
    for user, password in passwords.items():
        digest = hashlib.sha256(password.encode()).hexdigest()
        if user in _REDIS_RULES:
            lines.append(f"user {user} on #{digest} resetkeys resetchannels {_REDIS_RULES[user]}")
            continue
        extra = " +restore" if user == REDIS_ADMIN else ""
        lines.append(f"user {user} on #{digest} resetkeys {keys} resetchannels +@all -@dangerous{extra}")
    return "\n".join(lines) + "\n"


def render_redis_replication(user: str, password: str) -> str:
    """The lines a replica's redis.conf (and the primary's, a replica after a failover) or a Sentinel's
    config adds, with the account's password: deploy/site/redis-replica.conf, redis-sentinel.conf."""
    if user == REDIS_REPLICA:
        return ("# Rendered by gymctl: add to redis.conf on the replica and on the primary (0640 root:redis).\n"
                f"masteruser {user}\nmasterauth {password}\n")
    return ("# Rendered by gymctl: add to each Sentinel's config (0640 root:redis).\n"
            f"sentinel auth-user gym-site {user}\nsentinel auth-pass gym-site {password}\n")


def read_env(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out
