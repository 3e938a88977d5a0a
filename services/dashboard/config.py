"""The dashboard's settings: the shared ones (broker, Redis, site) plus its own, all from ``GYM_*``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import DEFAULT_PASSWORD, Settings
from shared.store import AUDIT_RETENTION_DAYS, SESSION_ABSOLUTE_S, SESSION_IDLE_S

# itsdangerous signs with HMAC-SHA1..512; 32 random bytes (as text) is the usual floor for such a key.
MIN_SECRET_LEN = 32


class DashboardSettings(Settings):
    """Everything `python -m services.dashboard` reads; refuses a default secret outside demo and test."""

    model_config = SettingsConfigDict(
        env_prefix="GYM_", env_file=".env", extra="forbid", frozen=True, env_file_encoding="utf-8"
    )

    station_id: str = Field(default="site", description="The dashboard is a site service")
    dashboard_host: str = Field(default="127.0.0.1", description="Address uvicorn listens on")
    dashboard_port: int = Field(default=8000, ge=1, le=65535, description="Port uvicorn listens on")
    dashboard_secret_key: SecretStr = Field(
        default=SecretStr(DEFAULT_PASSWORD), description="Key that signs the session cookie (the session id and "
        "the sign-in form's CSRF token; the session itself is in Redis)"
    )
    # A trainer's shift: signed in in the morning, signed out by closing time whatever they do.
    dashboard_session_max_age_s: int = Field(default=SESSION_ABSOLUTE_S, ge=1, le=7 * 24 * 3600,
                                             description="Absolute lifetime of a sign-in (server-side session)")
    # A tablet left on a bench signs itself out; a trainer opens some page far more often than this.
    dashboard_session_idle_s: int = Field(default=SESSION_IDLE_S, ge=1, le=7 * 24 * 3600,
                                          description="A sign-in ends after this long without a page or API request")
    # An open live page learns within this time that its session was revoked (logout elsewhere, disabled
    # account, password reset): one Redis read per open socket each period.
    dashboard_session_recheck_s: float = Field(default=10.0, gt=0, le=300,
                                               description="How often an open WebSocket re-checks its session")
    # Through a Redis restart or a Sentinel failover (about 30 s) a session this process verified keeps
    # reading the live floor; nothing that changes state is allowed without Redis.
    dashboard_session_offline_grace_s: int = Field(
        default=600, ge=0, le=3600,
        description="While Redis is away, a session verified this recently may still read (GET, WebSocket)")
    dashboard_https_only: bool | None = Field(
        default=None, description="Mark cookies Secure and send HSTS; default: on in production (served behind "
                                  "TLS there), off in demo/test/development; false is refused in production")
    dashboard_tls_certfile: Path | None = Field(default=None, description="Serve HTTPS with this certificate "
                                                "(PEM) when no TLS proxy stands in front")
    dashboard_tls_keyfile: Path | None = Field(default=None, description="Private key of dashboard_tls_certfile")
    dashboard_allowed_origins: list[str] = Field(
        default_factory=list, description="Extra browser origins (scheme://host[:port]) allowed to open the "
        "WebSockets, besides the dashboard's own (e.g. behind a proxy that rewrites Host)")
    # One browser frame every 50 ms at most: well inside the 250 ms target, and it batches
    # a busy floor (200 stations x 10 Hz) into 20 frames a second per browser.
    dashboard_tick_s: float = Field(default=0.05, ge=0.01, le=1.0, description="WebSocket batching period")
    # A trainer who mistypes does so two or three times: after five wrong passwords for one account each
    # next try waits, 1 s, 2 s, 4 s … up to a minute. The owner, from any device, is back in after a minute
    # at most; a guesser gets at most one try a minute (1,440 a day), nothing against a 10-character password.
    dashboard_signin_max_failures: int = Field(default=5, ge=1, le=1000,
                                               description="Wrong passwords for one account before each try waits")
    # One client (a front-desk PC shared by trainers) may mistype more; spraying many accounts is not that.
    dashboard_signin_max_failures_client: int = Field(
        default=20, ge=1, le=10000, description="Wrong passwords from one client before each try waits")
    dashboard_signin_delay_s: float = Field(default=1.0, gt=0, le=60,
                                            description="The first wait; each further wrong password doubles it")
    dashboard_signin_max_delay_account_s: int = Field(
        default=60, ge=1, le=3600, description="Longest wait for one account (what its owner may have to wait)")
    # A client that keeps guessing ends up with one try per 15 minutes: the old hard lock, for it alone.
    dashboard_signin_max_delay_client_s: int = Field(
        default=15 * 60, ge=1, le=24 * 3600, description="Longest wait for one client address")
    dashboard_signin_window_s: int = Field(default=15 * 60, ge=1, le=24 * 3600,
                                           description="How long wrong passwords are remembered after the last wait")
    # Long enough to answer a member's or a trainer's question about last season.
    dashboard_audit_retention_days: int = Field(default=AUDIT_RETENTION_DAYS, ge=1, le=3650,
                                                description="Audit entries older than this are dropped")
    # Two years of sessions is what the member page's charts show; older sessions no longer change anyone's
    # plan (progression reads only the last session), so they are dropped. None keeps them.
    dashboard_history_retention_months: int | None = Field(
        default=24, ge=1, le=240, description="Finished sessions older than this are deleted daily; None keeps them")
    # A chain runs one dashboard at its centre, on the central broker its sites bridge to (broker/central-bridge.conf):
    # it shows what those bridges forward and changes nothing at any site — cues, reviews and member data belong to
    # the site's trainers and its Redis, which the centre does not hold (docs/DASHBOARD.md, "The central view").
    dashboard_central: bool = Field(
        default=False, description="The chain's central, read-only view of every site's floor and fleet: tiles keyed "
                                   "by site and station; no cues, station pages, member pages or labels")
    dashboard_demo_password: SecretStr | None = Field(
        default=None, description="Password of the demo users (demo only); random and printed when unset"
    )

    @property
    def https(self) -> bool:
        """Cookies Secure and HSTS: production is served behind TLS; demo and test keep plain HTTP."""
        return self.dashboard_https_only if self.dashboard_https_only is not None else self.environment == "production"

    @model_validator(mode="after")
    def _no_default_secret(self) -> DashboardSettings:
        if (self.dashboard_tls_certfile is None) != (self.dashboard_tls_keyfile is None):
            raise ValueError("GYM_DASHBOARD_TLS_CERTFILE and GYM_DASHBOARD_TLS_KEYFILE go together")
        if self.environment in ("demo", "test"):
            return self
        if self.environment == "production" and self.dashboard_https_only is False:
            raise ValueError("GYM_DASHBOARD_HTTPS_ONLY=false is refused in production: the session cookie would "
                             "travel in clear; serve the dashboard behind TLS (a proxy or GYM_DASHBOARD_TLS_CERTFILE)")
        key = self.dashboard_secret_key.get_secret_value()
        if key == DEFAULT_PASSWORD or len(key) < MIN_SECRET_LEN:
            raise ValueError(
                f"GYM_DASHBOARD_SECRET_KEY must be set to a random string of at least {MIN_SECRET_LEN} "
                f"characters outside the demo (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        if self.dashboard_demo_password is not None:
            raise ValueError("GYM_DASHBOARD_DEMO_PASSWORD is only allowed in the demo environment")
        return self
