"""The store's fixtures: a fresh database on SQLite, PostgreSQL and MariaDB."""

from tests.store.conftest import (  # noqa: F401  (fixtures)
    backend,
    database_servers,
    database_url,
    module_store,
    store,
)
