"""The reliability tests' whole station and site (tests/e2e/reliability/station.py), closed after each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.servers import PrivateMosquitto, PrivateRedis
from tests.e2e.reliability.station import WholeStation


@pytest.fixture
def station(service_env: dict[str, str], tmp_path: Path, mosquitto: PrivateMosquitto,
            redis_server: PrivateRedis) -> Iterator[WholeStation]:
    st = WholeStation(service_env, tmp_path, mosquitto, redis_server)
    try:
        yield st
    finally:
        st.close()
