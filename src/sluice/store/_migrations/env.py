"""Alembic environment: migrates the connection ``sluice.store`` hands over in ``config.attributes``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from sluice.store._engine import create_store_engine
from sluice.store._migrate import migration_context_options
from sluice.store._url import parse_database_url

config = context.config


def _run_offline() -> None:
    # `alembic upgrade --sql`: print the DDL for a URL instead of running it.
    url = parse_database_url(config.get_main_option("sqlalchemy.url") or "")
    context.configure(**migration_context_options(url=url))
    with context.begin_transaction():
        context.run_migrations()


def _run_online(connection: Connection) -> None:
    context.configure(**migration_context_options(connection=connection))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _run_online(given)
    else:
        # Plain `alembic -x ...` use with sqlalchemy.url set in a config file.
        engine = create_store_engine(parse_database_url(config.get_main_option("sqlalchemy.url") or ""))
        try:
            with engine.begin() as connection:
                _run_online(connection)
        finally:
            engine.dispose()
