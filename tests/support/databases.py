"""The database servers tests run against: PostgreSQL and MariaDB/MySQL, on which each test session makes (and
drops) its own uniquely named databases. The servers' admin URLs come from ``SLUICE_TEST_POSTGRES_URL`` /
``SLUICE_TEST_MYSQL_URL`` (defaults: the local CI servers); ``skip`` leaves a backend out. The fixtures that
use these live in ``tests/store/conftest.py``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["ADMIN_URLS", "BACKENDS", "DatabaseServer", "available", "probe"]

BACKENDS = ("sqlite", "postgresql", "mysql")

ADMIN_URLS = {
    "postgresql": os.environ.get(
        "SLUICE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get("SLUICE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}


@dataclass
class DatabaseServer:
    """A PostgreSQL or MySQL server on which the session creates and drops its own databases."""

    backend: str
    admin_url: URL
    prefix: str
    created: list[str] = field(default_factory=list)

    def _admin(self) -> Engine:
        return create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def create_database(self) -> URL:
        name = f"{self.prefix}_{len(self.created)}"
        engine = self._admin()
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
        finally:
            engine.dispose()
        self.created.append(name)
        return self.admin_url.set(database=name)

    def drop_database(self, name: str) -> None:
        engine = self._admin()
        try:
            with engine.connect() as connection:
                if self.backend == "postgresql":
                    # FORCE: a test that leaked a connection must not leave the database behind.
                    connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                else:
                    connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        finally:
            engine.dispose()


def probe(url: URL) -> str | None:
    """None when the server answers, else why not."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
    except SQLAlchemyError as exc:
        return str(getattr(exc, "orig", None) or exc).strip()
    finally:
        engine.dispose()


def available(backend: str, database_servers: dict[str, DatabaseServer | str]) -> DatabaseServer:
    server = database_servers[backend]
    if isinstance(server, str):
        if os.environ.get("CI"):
            pytest.fail(f"{backend} server unavailable under CI: {server}")
        pytest.skip(f"{backend} server unavailable: {server}")
    return server
