"""The load-cell service's own settings (environment, prefix ``GYM_LOADCELL_``); site and broker come from
shared.settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LoadcellSettings(BaseSettings):
    # extra="ignore": the .env file is shared with shared.settings.Settings and holds its GYM_ keys too.
    model_config = SettingsConfigDict(env_prefix="GYM_LOADCELL_", env_file=".env", extra="ignore", frozen=True)

    calibration_dir: Path = Field(default=Path("var/loadcell"), description="Folder of <station>.json calibrations")
    serial_baud: int = Field(default=115200, ge=1200, description="USB-serial amplifier's baud rate")
    serial_hz: float = Field(default=1000.0, gt=0, le=5000, description="Amplifier's sample rate")
    hx711_chip: str = Field(default="/dev/gpiochip0", description="GPIO chip of the HX711")
    hx711_dout: int = Field(default=5, ge=0, description="GPIO line of the HX711's DOUT")
    hx711_sck: int = Field(default=6, ge=0, description="GPIO line of the HX711's PD_SCK")
    hx711_hz: float = Field(default=80.0, gt=0, le=80, description="HX711 rate (RATE pin high: 80)")
    max_counts: float = Field(default=8_388_607.0, description="ADC full scale; at it the reading is saturated")
    min_counts: float = Field(default=-8_388_608.0, description="ADC negative full scale")
    pulley_ratio: int = Field(default=1, ge=1, le=4, description="Cable to stack ratio: 2 when the stack hangs "
                              "from a running pulley (the cable then pulls half its weight)")
    trace_hz: float = Field(default=10.0, gt=0, le=50, description="load.trace batches per second")
