"""A service's Redis URL carries its account's password (gymctl writes it into the 0600 env files): no message
a service prints when Redis is away may show it."""

from __future__ import annotations

import os
import subprocess
import sys

from shared.servers import free_port
from shared.store import redacted_url

SECRET = "s3cret-redis-password"


def test_a_url_is_shown_without_its_password() -> None:
    assert redacted_url(f"redis://progression:{SECRET}@10.0.0.2:6379/0") == "redis://progression:***@10.0.0.2:6379/0"
    assert redacted_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_the_commands_that_report_an_unreachable_redis_do_not_print_its_password() -> None:
    url = f"redis://progression:{SECRET}@127.0.0.1:{free_port()}/0"  # nobody listens there
    env = {**os.environ, "GYM_REDIS_URL": url, "GYM_ENVIRONMENT": "test",
           "GYM_DASHBOARD_NEW_PASSWORD": "a-long-enough-password-1"}
    for args in (["services.progression.identity", "migrate-tokens"],
                 ["services.dashboard", "user", "add", "ann", "--role", "trainer"]):
        res = subprocess.run([sys.executable, "-m", *args], env=env, capture_output=True, text=True, timeout=60)
        out = res.stdout + res.stderr
        assert res.returncode != 0 and "127.0.0.1" in out, out
        assert SECRET not in out, out
