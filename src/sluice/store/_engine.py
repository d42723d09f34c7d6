"""Creating SQLAlchemy engines tuned for each backend."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

SQLITE_BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_S = 10

# Execution option read by the SQLite "begin" hook: how a transaction starts.
SQLITE_BEGIN_OPTION = "sluice_sqlite_begin"


def is_sqlite_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def create_store_engine(url: URL) -> Engine:
    """An engine for ``url`` (already validated by ``parse_database_url``)."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _create_sqlite_engine(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if backend == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    else:
        from ._tables import add_mysql_options

        add_mysql_options()
        # READ COMMITTED: InnoDB's default REPEATABLE READ takes gap locks that deadlock concurrent inserts.
        kwargs["isolation_level"] = "READ COMMITTED"
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S, "charset": "utf8mb4"}
    return create_engine(url, **kwargs)


def _create_sqlite_engine(url: URL) -> Engine:
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if is_sqlite_memory(url):
        # Every new connection to ":memory:" is a new, empty database: share one.
        kwargs["poolclass"] = StaticPool
    elif url.database is not None and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
    # The driver's own transaction handling starts transactions late and as DEFERRED; turn it off and let
    # _begin_sqlite_transaction start them instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _switch_to_wal(cursor)
        # NORMAL sync is durable across process crashes (kill -9) in WAL mode; only an OS crash can lose the
        # last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """Put the database file in WAL mode (readers never block the writer); the mode persists in the file.

    Switching needs the file to itself and fails at once, without waiting out the busy timeout, while another
    process uses it, e.g. when two processes open a brand-new database together. So retry until it sticks.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() in ("wal", "memory"):
                return
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _begin_sqlite_transaction(connection: Connection) -> None:
    # A write transaction takes the write lock up front (IMMEDIATE). Starting DEFERRED and upgrading later fails
    # with "database is locked" at once, busy timeout or not, when another process wrote in between.
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")
