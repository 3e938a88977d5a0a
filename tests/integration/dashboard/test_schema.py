"""schemathesis against the dashboard's OpenAPI document, signed in as an operator: no server error anywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok

from services.dashboard.app import bootstrap
from services.dashboard.config import DashboardSettings

pytestmark = pytest.mark.integration

# The document only: building the app opens no connection until its lifespan runs.
SCHEMA = schemathesis.openapi.from_dict(
    bootstrap(DashboardSettings(_env_file=None, environment="test")).openapi())
T = TypeVar("T")
E = TypeVar("E", bound=Exception)


def ok(r: Ok[T] | Err[E]) -> T:
    assert isinstance(r, Ok), r.err()  # the document describes every operation validly
    return r.ok()


OPERATIONS = {op.label: op for op in (ok(r) for r in SCHEMA.get_all_operations())}


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_api_never_answers_with_a_server_error(label: str, client: TestClient,
                                               sign_in: Callable[[str], str]) -> None:
    headers = {"x-csrf-token": sign_in("olga")}
    seen: list[int] = []

    # 30 examples per operation find the usual 500s (odd ids, empty or huge bodies, unicode) in seconds.
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=OPERATIONS[label].as_strategy())
    def run(case: Any) -> None:
        kw = case.as_transport_kwargs(base_url="http://testserver")
        kw["headers"] = {**kw["headers"], **headers}
        kw.pop("cookies", None)  # the signed-in client's cookie jar carries the session
        response = client.request(**kw)
        seen.append(response.status_code)
        case.validate_response(response, checks=[not_a_server_error])

    run()
    assert seen and 401 not in seen, f"{label}: the session must stay signed in ({set(seen)})"
