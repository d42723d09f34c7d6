"""Running the packaged Alembic migrations programmatically.

Alembic is imported only when a migration must actually run: opening an up-to-date database (every CLI call,
every engine start) reads the revision with one query and never pays Alembic's import.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import URL

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from alembic.config import Config

from ._tables import add_mysql_options, metadata
from ._types import StrEnumColumn

MIGRATIONS_DIR = Path(__file__).with_name("_migrations")

# The newest revision under _migrations/versions; a test checks it against Alembic's own view.
SCHEMA_HEAD = "0008_completeness"

# Arbitrary constants naming Sluice's migration lock on PostgreSQL (advisory lock key) and MySQL (GET_LOCK).
_PG_ADVISORY_LOCK_KEY = 0x51_1CE_5C4
_MYSQL_LOCK_NAME = "sluice_schema_migration"
_MYSQL_LOCK_TIMEOUT_S = 120


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic ``Config`` for Sluice's migrations, for running Alembic commands (e.g. ``revision``) by hand."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        # ConfigParser treats % as interpolation.
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision shipped in this package, as Alembic reads it from the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the package ships no migrations"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None for a database Sluice never migrated."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    revisions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return revisions[0] if len(revisions) == 1 else None


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Enums are plain VARCHARs in the database; migrations need not know the Python enum.
    if type_ == "type" and isinstance(obj, StrEnumColumn):
        return f"sa.String(length={obj.length})"
    return False


def migration_context_options(
    *, connection: Connection | None = None, url: URL | None = None
) -> dict[str, Any]:
    """env.py's ``context.configure`` arguments: target metadata, and how autogenerate renders Sluice's types."""
    add_mysql_options()
    return {
        "connection": connection,
        "url": url,
        "target_metadata": metadata,
        "compare_type": True,
        "render_item": _render_item,
        "user_module_prefix": "sluice_types.",
        "literal_binds": connection is None,
    }


def upgrade_to_head(engine: Engine) -> None:
    """Migrate the database to the newest revision, serialized against other processes doing the same."""
    from alembic import command

    config = alembic_config()
    backend = engine.url.get_backend_name()
    with engine.connect() as connection:
        if backend in ("mysql", "mariadb"):
            # MySQL DDL is not transactional: hold a named lock instead.
            got = connection.execute(
                text("SELECT GET_LOCK(:name, :timeout)"),
                {"name": _MYSQL_LOCK_NAME, "timeout": _MYSQL_LOCK_TIMEOUT_S},
            ).scalar()
            connection.commit()
            if got != 1:
                raise TimeoutError(
                    f"another process held the migration lock for over {_MYSQL_LOCK_TIMEOUT_S}s"
                )
        try:
            # On SQLite the transaction starts with BEGIN IMMEDIATE, which serializes migrating processes.
            with connection.begin():
                if backend == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_ADVISORY_LOCK_KEY}
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            if backend in ("mysql", "mariadb"):
                connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": _MYSQL_LOCK_NAME})
                connection.commit()
