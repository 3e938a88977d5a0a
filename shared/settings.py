"""Settings shared by every service, read from the environment (prefix ``GYM_``) or a .env file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.contract import Ident

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

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            pw = self.mqtt_password.get_secret_value() if self.mqtt_password else None
            if not self.mqtt_username or not pw or pw == DEFAULT_PASSWORD:
                raise ValueError("production needs GYM_MQTT_USERNAME and a real GYM_MQTT_PASSWORD")
        return self
