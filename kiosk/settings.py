"""The kiosk's settings (GYM_ prefix), on top of the shared ones."""

from __future__ import annotations

from pydantic import Field, model_validator

from shared.settings import Settings

DEMO_PIN = "2468"
# A production PIN has at least 6 digits (a million codes; `gymctl station add` generates one per station).
PRODUCTION_PIN_DIGITS = 6


class KioskSettings(Settings):
    operator_pin: str | None = Field(
        default=None, pattern=r"^[0-9]{4,8}$",
        description="PIN of the staff screen; the demo PIN outside production, required in production",
    )
    exercise: str = Field(default="hamstring-curl-kickback", description="Exercise of this station")
    fullscreen: bool = Field(default=True, description="Full screen on the station's panel")
    sound_volume: float = Field(default=0.7, ge=0.0, le=1.0,
                                description="Volume of the spoken cues and tempo ticks at start (staff change it)")
    sound_muted: bool = Field(default=False, description="Start with the sound muted")

    @model_validator(mode="after")
    def _a_real_pin_in_production(self) -> KioskSettings:
        if self.environment != "production":
            return self
        if self.operator_pin is None:
            raise ValueError("set GYM_OPERATOR_PIN (gymctl writes one into the station's env file): "
                             "production has no default staff PIN")
        if self.operator_pin == DEMO_PIN or len(self.operator_pin) < PRODUCTION_PIN_DIGITS:
            raise ValueError(f"GYM_OPERATOR_PIN: production needs a PIN of {PRODUCTION_PIN_DIGITS}–8 digits, "
                             "not the demo PIN")
        return self

    @property
    def staff_pin(self) -> str:
        """The PIN the staff screen opens with: the configured one, or the demo PIN outside production."""
        return self.operator_pin or DEMO_PIN
