"""The client's tests run against a real ``sluice up``: the service's fixtures."""

from __future__ import annotations

from tests.server.conftest import (  # noqa: F401  (fixtures)
    ServerProcess,
    packages,
    server,
    specs,
)
from tests.store.conftest import database_servers  # noqa: F401  (a fixture)
