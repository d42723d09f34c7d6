"""Schemathesis fuzzes every operation of the served OpenAPI document: whatever it sends, the service
answers with a 2xx or a 4xx, never a 5xx. Bounded to a few examples per operation so it stays quick."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from tests.server.conftest import ServerProcess

EXAMPLES_PER_OPERATION = 15


def test_no_operation_answers_with_a_server_error(server: ServerProcess) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/apis/v2beta1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            case.call_and_validate(base_url=server.url, checks=[not_a_server_error])

        try:
            fuzz()
        except Exception as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:2000])
    assert not failures, "\n\n".join(failures)
