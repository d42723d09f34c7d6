"""The operations of a served OpenAPI document, as schemathesis loads them."""

from __future__ import annotations

from typing import Any

from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation, BaseSchema

__all__ = ["operations"]


def operations(schema: BaseSchema) -> list[APIOperation[Any, Any, Any, Any]]:
    """Every operation; an operation schemathesis cannot read fails the test with its own error."""
    found: list[APIOperation[Any, Any, Any, Any]] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        found.append(result.ok())
    return found
