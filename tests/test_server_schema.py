"""A property-based run over the console API's OpenAPI schema (schemathesis): no route
answers 5xx, with an admin's token (every route reachable) and without one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests._server_env import Console, console


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, sample_data_dir: Path) -> Iterator[Console]:
    import shutil

    home = tmp_path_factory.mktemp("schema") / "home"
    shutil.copytree(sample_data_dir, home / "data")
    yield console(home)


@pytest.fixture(scope="module")
def api_schema(api: Console) -> Any:
    # The event stream follows until its timeout; it has its own test (tests/test_server_api.py).
    return schemathesis.openapi.from_asgi("/openapi.json", api.client.app).exclude(path="/api/events")


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


# schemathesis's own pytest plugin (``from_fixture``) does not run under pytest 9 yet, so each
# operation's case strategy is driven by Hypothesis here.
def test_no_route_answers_a_server_error(api: Console, api_schema: Any) -> None:
    operations = _operations(api_schema)
    assert len(operations) >= 14
    seen: set[int] = set()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_5xx(case: Any) -> None:
            for headers in (api.auth("root"), {}):
                # an /api/ask of a generated instruction ("Trading") runs real work (a model, a cycle):
                # slow is allowed here, a server error is not, so the client waits past schemathesis's 10 s
                response = case.call(headers=headers, timeout=120)
                seen.add(response.status_code)
                assert response.status_code < 500, (case.method, case.formatted_path, response.status_code,
                                                     response.text[:500])

        no_5xx()
    assert {200, 401, 404} <= seen  # the run reached past auth, and into missing things


def test_the_schema_lists_every_api_route(api: Console) -> None:
    paths = set(api.client.app.openapi()["paths"])  # type: ignore[attr-defined]
    assert {"/api/ask", "/api/approvals", "/api/approvals/{item_id}/approve", "/api/approvals/{item_id}/reject",
            "/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/files/{name}", "/api/risk",
            "/api/risk/kill-switch", "/api/audit", "/api/audit/verify", "/api/health", "/api/events",
            "/api/threads/{thread_id}", "/api/trading", "/api/trading/{portfolio}", "/api/runs/{run_id}/replay",
            "/api/trading/{portfolio}/run"} <= paths
