"""Opening a database: URL handling, first-time migration, and errors that name the database and the cause."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from sluice.store import Store, StoreError, head_revision, redact


def test_opening_a_blank_database_migrates_it(blank_database_url: str) -> None:
    with Store.open(blank_database_url) as store:
        assert store.schema_revision() == head_revision()
        assert store.default_experiment().name == "Default"
        assert "runs" in inspect(store.engine).get_table_names()


def test_the_password_never_appears_in_the_url_shown(blank_database_url: str) -> None:
    url = make_url(blank_database_url)
    if url.get_backend_name() == "postgresql":
        # The PostgreSQL server trusts local connections, so any password works; it must still be hidden.
        url = url.set(password="s3cret")
    with Store.open(url) as store:
        assert "s3cret" not in store.url
        assert store.url == redact(url.set(drivername=store.engine.url.drivername))
        assert store.backend in ("sqlite", "postgresql", "mysql")


def test_plain_scheme_names_pick_the_bundled_drivers(blank_database_url: str) -> None:
    url = make_url(blank_database_url)
    plain = url.set(drivername=url.get_backend_name())  # postgresql://, mysql://, sqlite://
    with Store.open(plain) as store:
        assert store.engine.dialect.driver in ("pysqlite", "psycopg", "pymysql")


def test_migrate_false_refuses_an_unmigrated_database(blank_database_url: str) -> None:
    with pytest.raises(
        StoreError,
        match=rf"schema revision none, this Sluice needs {head_revision()}; open it with migrate=True",
    ):
        Store.open(blank_database_url, migrate=False)


def test_a_failing_migration_names_the_database_and_the_cause(blank_database_url: str) -> None:
    # Someone else's table already sits where Sluice's must go.
    engine = create_engine(blank_database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE runs (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StoreError) as raised:
        Store.open(blank_database_url)
    message = str(raised.value)
    assert message.startswith(
        f"migrating the database at {redact(blank_database_url)} from revision none to {head_revision()}"
    )
    assert "runs" in message


def test_an_unknown_schema_revision_is_a_clear_error(blank_database_url: str) -> None:
    engine = create_engine(blank_database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('9999')"))
    engine.dispose()
    with pytest.raises(StoreError, match=rf"from revision 9999 to {head_revision()} failed: .*9999"):
        Store.open(blank_database_url)


def test_an_unknown_scheme_is_named() -> None:
    with pytest.raises(StoreError) as raised:
        Store.open("oracle://scott:tiger@db.example.com/orcl")
    message = str(raised.value)
    assert "unknown database URL scheme 'oracle'" in message
    assert "scott:***@db.example.com" in message
    assert "tiger" not in message
    assert "sqlite, postgresql+psycopg, mysql+pymysql" in message


def test_text_that_is_not_a_url_is_named() -> None:
    with pytest.raises(StoreError, match="not a database URL: 'no scheme here'"):
        Store.open("no scheme here")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test",
        "mysql+pymysql://root:s3cret@127.0.0.1:1/test",
    ],
    ids=["postgresql", "mysql"],
)
def test_an_unreachable_server_is_named_without_its_password(url: str) -> None:
    with pytest.raises(StoreError) as raised:
        Store.open(url)
    message = str(raised.value)
    assert message.startswith(f"cannot connect to the database at {url.replace('s3cret', '***')}: ")
    assert "s3cret" not in message
    assert "OperationalError" in message


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_a_missing_server_database_is_named(backend: str, database_servers: dict[str, object]) -> None:
    server = database_servers[backend]
    if isinstance(server, str):
        pytest.skip(server)
    missing = server.admin_url.set(database="sluice_no_such_database")  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match=r"cannot connect to the database at .*sluice_no_such_database: "):
        Store.open(missing)


def test_an_sqlite_path_that_cannot_exist_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match=r"cannot create the database at sqlite:///.*a-file/sluice.db"):
        Store.open(f"sqlite:///{blocker / 'sluice.db'}")
    with pytest.raises(StoreError, match="cannot connect to the database at sqlite:///"):
        Store.open(f"sqlite:///{tmp_path}")  # a folder, not a file


def test_sqlite_creates_missing_folders_and_supports_memory(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'deep' / 'er' / 'sluice.db'}") as store:
        assert store.default_experiment().name == "Default"
    assert (tmp_path / "deep" / "er" / "sluice.db").is_file()
    with Store.open("sqlite://") as memory:
        run = memory.create_run(pipeline_spec={"a": 1})
        with memory.read_session() as session:
            assert session.execute(text("SELECT count(*) FROM runs")).scalar() == 1
        assert run.state == "PENDING"


def test_redact_hides_passwords_even_in_unparsable_text() -> None:
    assert redact("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert redact("sqlite:///x.db") == "sqlite:///x.db"
    assert "pw" not in redact("weird://u:pw@h:notaport/db")
