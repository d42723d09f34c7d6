"""Fixtures giving each test module a fresh, empty database on each backend.

Backends: SQLite (a file in tmp_path), PostgreSQL and MariaDB/MySQL servers. The servers' admin URLs come from
``SLUICE_TEST_POSTGRES_URL`` / ``SLUICE_TEST_MYSQL_URL`` (defaults: the local CI servers); set one to ``skip`` to
leave that backend out. Each test session makes its own uniquely named databases on the servers (so parallel
sessions and xdist workers never meet) and drops them when done. An unreachable server skips its backend
locally and fails under CI (``CI`` set), where the servers are part of the contract.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import make_url

from sluice.store import Store
from sluice.store.models import Base
from tests.support.databases import ADMIN_URLS, BACKENDS, DatabaseServer, available, probe


@pytest.fixture(scope="session")
def database_servers() -> Iterator[dict[str, DatabaseServer | str]]:
    """Per server backend: the server, or the reason it is unavailable."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    token = f"sluice_test_{uuid.uuid4().hex[:8]}_{worker}"
    servers: dict[str, DatabaseServer | str] = {}
    for backend, raw_url in ADMIN_URLS.items():
        if raw_url == "skip":
            servers[backend] = f"{backend} disabled by its SLUICE_TEST_*_URL"
            continue
        url = make_url(raw_url)
        problem = probe(url)
        servers[backend] = DatabaseServer(backend, url, token) if problem is None else f"{url}: {problem}"
    yield servers
    for server in servers.values():
        if isinstance(server, DatabaseServer):
            for name in server.created:
                server.drop_database(name)


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    database_servers: dict[str, DatabaseServer | str],
) -> Iterator[str]:
    """A fresh, empty database for this module, on each backend in turn."""
    backend: str = request.param
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'sluice.db'}"
        return
    server = available(backend, database_servers)
    url = server.create_database()
    yield url.render_as_string(hide_password=False)
    server.drop_database(url.database or "")


@pytest.fixture(scope="module")
def module_store(database_url: str) -> Iterator[Store]:
    """The module's store, migrated once."""
    store = Store.open(database_url)
    yield store
    store.close()


@pytest.fixture
def store(module_store: Store) -> Iterator[Store]:
    """The module's store, emptied after each test so tests never see each other's rows."""
    yield module_store
    with module_store.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))
    module_store.default_experiment()


@pytest.fixture
def backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


@pytest.fixture(params=BACKENDS)
def blank_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, database_servers: dict[str, DatabaseServer | str]
) -> Iterator[str]:
    """A database nobody has opened yet, for tests about opening and migrating (one per test)."""
    backend: str = request.param
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    server = available(backend, database_servers)
    url = server.create_database()
    yield url.render_as_string(hide_password=False)
    server.drop_database(url.database or "")
