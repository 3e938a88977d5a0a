"""Settings shared by every service, read from the environment (prefix ``GYM_``) or a .env file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.contract import Ident
from shared.identity import MIN_KEY_LEN, TapLimits

_TAP = TapLimits()

DEFAULT_PASSWORD = "change-me"
"""A placeholder no deployment may run with outside development and the demo."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        # "ignore": one .env serves every service of a unit, each reading only its own keys (the load cell's
        # GYM_LOADCELL_*, the dashboard's…); a misspelt key is still caught by the field's own validation.
        env_prefix="GYM_", env_file=".env", extra="ignore", frozen=True, env_file_encoding="utf-8"
    )

    environment: Literal["development", "demo", "test", "production"] = Field(
        default="development", description="production refuses default secrets"
    )
    site_id: Ident = Field(default="main", description="Gym site id, the third topic level")
    station_id: Ident = Field(default="st-01", description="Station id; 'site' for site services")
    mqtt_host: str = Field(default="127.0.0.1", description="Broker host")
    mqtt_port: int = Field(default=1883, ge=1, le=65535, description="Broker port")
    mqtt_username: str | None = Field(default=None, description="Broker user (per station)")
    mqtt_password: SecretStr | None = Field(default=None, description="Broker password")
    mqtt_tls_ca: Path | None = Field(default=None, description="CA file; enables TLS when set")
    mqtt_keepalive_s: int = Field(
        default=15, ge=5, le=600, description="Keepalive; the last will fires after 1.5x this"
    )
    mqtt_session_expiry_s: int = Field(
        default=24 * 3600,
        ge=0,
        description="How long the broker keeps a disconnected client's queue (a gym day)",
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Redis URL")
    catalogue_dir: Path | None = Field(default=None, description="Extra folder of exercise YAML files")
    log_level: str = Field(default="INFO", description="Python logging level")
    corpus_dir: Path = Field(default=Path("var/corpus"),
                             description="Where a station's sensors save sets a trainer labelled (shared/corpus.py)")
    log_format: Literal["text", "json"] = Field(
        default="text", description="'json': one JSON object a line, for a log collector (shared/telemetry.py)")
    # Prometheus: a service serves its /metrics on this port when one is set (the dashboard on its own app).
    metrics_port: int = Field(default=0, ge=0, le=65535, description="Port of this service's /metrics; 0 = none")
    metrics_host: str = Field(default="127.0.0.1",
                              description="Address /metrics listens on (a scraper on another host: the LAN's)")
    # Members' identity (site services only: progression and the dashboard; a station never holds it).
    token_key: SecretStr | None = Field(
        default=None, min_length=MIN_KEY_LEN,
        description="Site secret keying the hashes of members' badges, QR texts and PINs (`gymctl init` writes "
                    "it); production refuses to run a site service without it",
    )
    tap_free_failures: int = Field(default=_TAP.free_failures, ge=0, le=100,
                                   description="Unknown tap-ins a station or token may have before it waits")
    tap_lock_failures: int = Field(default=_TAP.lock_failures, ge=1, le=1000,
                                   description="Unknown tap-ins that lock a station or token until an operator unlocks")
    tap_first_delay_s: float = Field(default=_TAP.first_delay_s, gt=0, le=60,
                                     description="Wait after the first failure past the free ones; doubles each time")
    tap_max_delay_s: float = Field(default=_TAP.max_delay_s, gt=0, le=3600, description="Longest wait")
    tap_window_s: float = Field(default=_TAP.window_s, gt=0, le=7 * 24 * 3600,
                                description="How long failures count, from the first")

    @field_validator("mqtt_tls_ca", mode="before")
    @classmethod
    def _empty_ca_is_none(cls, v: object) -> object:
        """`GYM_MQTT_TLS_CA=` (a station unit's own broker, in clear) means no CA, not the folder `.`."""
        return None if v == "" else v

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            pw = self.mqtt_password.get_secret_value() if self.mqtt_password else None
            if not self.mqtt_username or not pw or pw == DEFAULT_PASSWORD:
                raise ValueError("production needs GYM_MQTT_USERNAME and a real GYM_MQTT_PASSWORD")
        self.tap_limits()  # the throttle's numbers agree with each other
        return self

    def site_token_key(self) -> bytes | None:
        """The site secret for a site service that keeps members' tokens (progression, the dashboard).

        Production refuses to run without it. Elsewhere None is allowed: the store then keeps a random
        development key in Redis, shared by every process of the site (a per-process key would make the
        dashboard's badges unknown to the progression service and forget every PIN at a restart); a key next
        to the hashes it keys protects nothing against a copy of Redis, which is why production needs its own.
        """
        if self.token_key is None:
            if self.environment == "production":
                raise ValueError("production needs GYM_TOKEN_KEY, the site secret that keys members' badge, QR "
                                 "and PIN hashes: `gymctl init` writes it into the site services' env files")
            return None
        return self.token_key.get_secret_value().encode()

    def tap_limits(self) -> TapLimits:
        return TapLimits(free_failures=self.tap_free_failures, lock_failures=self.tap_lock_failures,
                         first_delay_s=self.tap_first_delay_s, max_delay_s=self.tap_max_delay_s,
                         window_s=self.tap_window_s)
