"""What every request handler reaches: the store, the run executor and the artifact root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Request

from sluice.store import Store

if TYPE_CHECKING:
    from sluice.server._executor import RunExecutor

__all__ = ["ServiceContext", "service"]


@dataclass
class ServiceContext:
    store: Store
    executor: RunExecutor
    artifact_root: Path
    home: Path


def service(request: Request) -> ServiceContext:
    """The running service (a FastAPI dependency)."""
    context: ServiceContext = request.app.state.service
    return context
