"""A site's provisioning state on disk, and the files rendered from it (pure: no broker, no Redis).

Layout of the state folder (`--state-dir`, default /var/lib/gym):

| path | holds |
|---|---|
| `site.json` | site id, the broker's address as stations reach it, its TLS CA path on the stations |
| `broker/passwd` | Mosquitto password file (PBKDF2 hashes written by `mosquitto_passwd`) |
| `broker/acl` | Mosquitto ACL, rendered from the accounts below |
| `broker/mosquitto.conf` | the site broker's config, rendered |
| `accounts/<name>.env` | one env file per account (a station or a site service), mode 0600 |
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

# Site services and what they need: progression and the dashboard read every station's events and
# answer on every station's topics; the names are reserved so no station can take one.
SERVICE_ACCOUNTS = ("progression", "dashboard")
STATION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # one topic level, no wildcards or slashes


@dataclass(frozen=True)
class SiteConfig:
    site_id: str
    broker_host: str = "broker"
    broker_port: int = 1883
    tls_port: int = 8883
    tls_ca: str = ""  # path of the CA on the units; empty: plain MQTT on broker_port


class SiteState:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.broker = root / "broker"
        self.accounts = root / "accounts"

    @property
    def passwd(self) -> Path:
        return self.broker / "passwd"

    @property
    def acl(self) -> Path:
        return self.broker / "acl"

    @property
    def conf(self) -> Path:
        return self.broker / "mosquitto.conf"

    def exists(self) -> bool:
        return (self.root / "site.json").is_file()

    def load(self) -> SiteConfig:
        if not self.exists():
            raise FileNotFoundError(f"no site in {self.root}: run `gymctl init` first")
        return SiteConfig(**json.loads((self.root / "site.json").read_text()))

    def save(self, cfg: SiteConfig) -> None:
        for d in (self.root, self.broker, self.accounts):
            d.mkdir(parents=True, exist_ok=True)
        (self.root / "site.json").write_text(json.dumps(asdict(cfg), indent=1) + "\n")

    def env_file(self, name: str) -> Path:
        return self.accounts / f"{name}.env"

    def stations(self) -> list[str]:
        return sorted(p.stem for p in self.accounts.glob("*.env") if p.stem not in SERVICE_ACCOUNTS)


def check_station_id(station_id: str) -> str:
    if not STATION_ID.match(station_id):
        raise ValueError(f"station id {station_id!r}: lower-case letters, digits, '-' and '_', at most 64")
    if station_id in (*SERVICE_ACCOUNTS, "site"):
        raise ValueError(f"station id {station_id!r} is reserved for a site service")
    return station_id


def render_acl(cfg: SiteConfig, stations: list[str]) -> str:
    """A station's account reaches only gym/v1/<site>/<station>/…; the site services reach the site."""
    site = f"gym/v1/{cfg.site_id}"
    lines = ["# Rendered by gymctl: edit with `gymctl station add|remove`, not by hand.", ""]
    for svc in SERVICE_ACCOUNTS:
        lines += [f"user {svc}", f"topic readwrite {site}/#", ""]
    for st in stations:
        lines += [f"user {st}", f"topic readwrite {site}/{st}/#", ""]
    return "\n".join(lines)


def render_broker_conf(state: SiteState, cfg: SiteConfig, *, bind: str = "", data_dir: str = "/mosquitto/data",
                       certs_dir: str = "", pid_file: str = "", run_as: str = "") -> str:
    """The site broker: persistence on, no anonymous client, the password file and ACL above,
    plain MQTT on `broker_port` and, when `certs_dir` holds the site's certificates, TLS on `tls_port`."""
    host = f" {bind}" if bind else ""
    lines = [
        "# Rendered by gymctl broker-config.",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {state.passwd}",
        f"acl_file {state.acl}",
        "persistence true",
        f"persistence_location {data_dir.rstrip('/')}/",
        "autosave_interval 60",
        # A station away for a long weekend keeps its queue; a day of reps is far below this.
        "max_queued_messages 100000",
        "persistent_client_expiration 3d",
        "log_type error",
        "log_type warning",
        "log_type notice",
        f"listener {cfg.broker_port}{host}",
    ]
    if certs_dir:
        lines += [f"listener {cfg.tls_port}{host}", f"cafile {certs_dir}/ca.crt", f"certfile {certs_dir}/server.crt",
                  f"keyfile {certs_dir}/server.key", "tls_version tlsv1.2"]
    if pid_file:
        lines.append(f"pid_file {pid_file}")
    if run_as:
        lines.append(f"user {run_as}")
    return "\n".join(lines) + "\n"


def render_env(cfg: SiteConfig, name: str, password: str, secret_key: str = "", *, token_key: str = "") -> str:
    """An account's env file; the dashboard's also carries the key that signs its session cookies, the site
    services' the site secret keying members' token hashes."""
    tls = bool(cfg.tls_ca)
    station = "site" if name in SERVICE_ACCOUNTS else name
    return "\n".join([
        "# Rendered by gymctl; secret: keep it mode 0600.",
        "GYM_ENVIRONMENT=production",
        f"GYM_SITE_ID={cfg.site_id}",
        f"GYM_STATION_ID={station}",
        f"GYM_MQTT_HOST={cfg.broker_host}",
        f"GYM_MQTT_PORT={cfg.tls_port if tls else cfg.broker_port}",
        f"GYM_MQTT_USERNAME={name}",
        f"GYM_MQTT_PASSWORD={password}",
        *([f"GYM_MQTT_TLS_CA={cfg.tls_ca}"] if tls else []),
        *([f"GYM_DASHBOARD_SECRET_KEY={secret_key}"] if secret_key else []),
        *([f"GYM_TOKEN_KEY={token_key}"] if token_key else []),
        "",
    ])


def read_env(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out
