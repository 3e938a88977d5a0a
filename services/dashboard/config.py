"""The dashboard's settings: the shared ones (broker, Redis, site) plus its own, all from ``GYM_*``."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import DEFAULT_PASSWORD, Settings

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
        default=SecretStr(DEFAULT_PASSWORD), description="Key that signs session cookies"
    )
    # A trainer's shift: signed in in the morning, still signed in at closing time.
    dashboard_session_max_age_s: int = Field(default=12 * 3600, ge=60, le=7 * 24 * 3600,
                                             description="Lifetime of a sign-in")
    dashboard_https_only: bool = Field(default=False, description="Mark the session cookie Secure (behind TLS)")
    # One browser frame every 50 ms at most: well inside the 250 ms target, and it batches
    # a busy floor (200 stations x 10 Hz) into 20 frames a second per browser.
    dashboard_tick_s: float = Field(default=0.05, ge=0.01, le=1.0, description="WebSocket batching period")
    # A trainer who mistypes does so two or three times; five wrong passwords for one account in
    # 15 minutes is a guesser, who then gets 480 tries a day: nothing against a 10-character password.
    dashboard_signin_max_failures: int = Field(default=5, ge=1, le=1000,
                                               description="Wrong passwords for one account per window")
    # One client (a front-desk PC shared by trainers) may mistype more; spraying many accounts is not that.
    dashboard_signin_max_failures_client: int = Field(default=20, ge=1, le=10000,
                                                      description="Wrong passwords from one client per window")
    dashboard_signin_window_s: int = Field(default=15 * 60, ge=1, le=24 * 3600,
                                           description="How long failed sign-ins count (from the first)")
    dashboard_demo_password: SecretStr | None = Field(
        default=None, description="Password of the demo users (demo only); random and printed when unset"
    )

    @model_validator(mode="after")
    def _no_default_secret(self) -> DashboardSettings:
        if self.environment in ("demo", "test"):
            return self
        key = self.dashboard_secret_key.get_secret_value()
        if key == DEFAULT_PASSWORD or len(key) < MIN_SECRET_LEN:
            raise ValueError(
                f"GYM_DASHBOARD_SECRET_KEY must be set to a random string of at least {MIN_SECRET_LEN} "
                f"characters outside the demo (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        if self.dashboard_demo_password is not None:
            raise ValueError("GYM_DASHBOARD_DEMO_PASSWORD is only allowed in the demo environment")
        return self
