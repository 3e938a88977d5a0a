"""The real dashboard process in production mode, served over TLS, on the private broker and Redis.

`uvicorn --factory services.dashboard.app:bootstrap` with GYM_ENVIRONMENT=production: the app reads its
settings from the environment as `python -m services.dashboard run` does, and TLS terminates in uvicorn as
it would in the site's proxy. Clients connect from chosen loopback addresses (127.0.0.2, 127.0.0.3 …), which
the dashboard sees as different browsers' addresses.
"""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from services.procs import Child
from tests.dashboard import PASSWORD, sign_in, try_sign_in

REPO = Path(__file__).resolve().parents[2]


@dataclass
class ProdDashboard:
    base: str
    ca: Path
    env: dict[str, str]
    redis_url: str
    child: Child

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def client(self, source: str = "127.0.0.1") -> httpx.Client:
        """A browser at loopback address `source`."""
        transport = httpx.HTTPTransport(verify=self.tls(), local_address=source)
        return httpx.Client(base_url=self.base, transport=transport, timeout=20, headers={"accept": "text/html"})

    def sign_in(self, c: httpx.Client, name: str, password: str = PASSWORD) -> str:
        """Signs `c` in; returns the session's CSRF token."""
        return sign_in(c, name, password)

    def try_sign_in(self, c: httpx.Client, name: str, password: str) -> httpx.Response:
        return try_sign_in(c, name, password)

    def cli(self, module: str, *args: str) -> subprocess.CompletedProcess[str]:
        """An operator's command (`services.gymctl`, `services.dashboard`) against the same site."""
        return subprocess.run([sys.executable, "-m", module, *args], env=self.env, capture_output=True, text=True,
                              timeout=60, cwd=REPO)


def cookie_payload(value: str) -> dict[str, Any]:
    """What a Starlette session cookie says (its signed, unencrypted JSON)."""
    raw = value.split(".", 1)[0]
    return json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)))  # type: ignore[no-any-return]
