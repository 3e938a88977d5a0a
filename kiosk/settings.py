"""The kiosk's settings (GYM_ prefix), on top of the shared ones."""

from __future__ import annotations

from pydantic import Field, model_validator

from shared.settings import Settings

DEMO_PIN = "2468"


class KioskSettings(Settings):
    operator_pin: str = Field(default=DEMO_PIN, pattern=r"^[0-9]{4,8}$", description="PIN of the staff screen")
    exercise: str = Field(default="hamstring-curl-kickback", description="Exercise of this station")
    fullscreen: bool = Field(default=True, description="Full screen on the station's panel")

    @model_validator(mode="after")
    def _no_demo_pin_in_production(self) -> KioskSettings:
        if self.environment == "production" and self.operator_pin == DEMO_PIN:
            raise ValueError("set GYM_OPERATOR_PIN: the demo PIN is refused in production")
        return self
