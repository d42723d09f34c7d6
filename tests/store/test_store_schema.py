"""The migrations build the schema the models describe, on every backend."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect, select, text

from sluice.store import DEFAULT_EXPERIMENT_NAME, Store, alembic_config, head_revision
from sluice.store._migrate import SCHEMA_HEAD
from sluice.store.models import Base, Experiment

TABLES = {
    "pipelines",
    "pipeline_versions",
    "pipeline_tags",
    "pipeline_version_tags",
    "experiments",
    "runs",
    "run_state_history",
    "tasks",
    "task_state_history",
    "artifacts",
    "executions",
    "events",
    "contexts",
    "associations",
    "attributions",
    "run_metrics",
    "recurring_runs",
    "recurring_run_fires",
    "secrets",
    "config_maps",
    "deployments",
    "deployment_revisions",
    "deployment_actions",
    "users",
    "api_tokens",
    "namespaces",
    "namespace_members",
    "audit_log",
    "namespace_profiles",
}


def test_migration_creates_every_table(store: Store) -> None:
    assert set(inspect(store.engine).get_table_names()) == TABLES | {"alembic_version"}
    assert set(Base.metadata.tables) == TABLES


def test_database_is_at_head(store: Store) -> None:
    assert store.schema_revision() == head_revision() == SCHEMA_HEAD


def test_alembic_check_finds_no_difference_between_models_and_migrations(
    database_url: str, store: Store
) -> None:
    # `alembic check` runs autogenerate through the packaged env.py and raises on any pending change.
    command.check(alembic_config(database_url))


def test_autogenerate_diff_is_empty_and_would_notice_a_change(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []

        # The comparison is not vacuous: a model column the migrations lack shows up.
        changed = MetaData(naming_convention=Base.metadata.naming_convention)
        for table in Base.metadata.tables.values():
            table.to_metadata(changed)
        changed.tables["runs"].append_column(Column("priority", Integer))
        diff = compare_metadata(context, changed)
        assert [(op[0], op[2]) for op in diff] == [("add_column", "runs")]


def test_migration_creates_the_default_experiment(store: Store) -> None:
    with store.read_session() as session:
        experiments = session.scalars(select(Experiment)).all()
    assert [(e.name, e.namespace) for e in experiments] == [(DEFAULT_EXPERIMENT_NAME, "")]
    assert store.default_experiment().id == experiments[0].id


def test_reopening_a_migrated_database_changes_nothing(database_url: str, store: Store) -> None:
    default_id = store.default_experiment().id
    with Store.open(database_url) as again, Store.open(database_url, migrate=False) as unmigrated:
        assert again.schema_revision() == unmigrated.schema_revision() == head_revision()
        assert again.default_experiment().id == default_id


def test_columns_use_portable_types(store: Store, backend: str) -> None:
    columns = {c["name"]: c for c in inspect(store.engine).get_columns("runs")}
    if backend == "mysql":
        assert store.engine.dialect.name == "mysql"
        with store.engine.connect() as connection:
            types: dict[str, str] = dict(
                connection.execute(
                    text(
                        "SELECT column_name, column_type FROM information_schema.columns "
                        "WHERE table_schema = DATABASE() AND table_name = 'runs'"
                    )
                ).all()
            )
        assert types["created_at"] == "datetime(6)"
        assert types["description"] == "longtext"
        assert types["id"] == "varchar(36)"
    elif backend == "postgresql":
        assert str(columns["created_at"]["type"]) == "TIMESTAMP"
        assert getattr(columns["created_at"]["type"], "timezone", None) is True
        assert str(columns["pipeline_spec"]["type"]) == "JSONB"
    else:
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_the_service_filters_and_sorts_on_indexed_columns(store: Store) -> None:
    inspector = inspect(store.engine)

    def indexed(table: str) -> set[tuple[str, ...]]:
        columns: list[list[str | None]] = [list(i["column_names"]) for i in inspector.get_indexes(table)]
        columns += [list(u["column_names"]) for u in inspector.get_unique_constraints(table)]
        return {tuple(str(c) for c in key) for key in columns}

    assert {("experiment_id", "created_at"), ("state", "lease_heartbeat_at"), ("display_name",)} <= indexed(
        "runs"
    )
    assert {("cache_fingerprint", "state"), ("run_id", "path")} <= indexed("tasks")
    assert ("name", "value") in indexed("run_metrics")
    assert {("next_fire_at",), ("mode", "next_fire_at")} <= indexed("recurring_runs")
    assert ("recurring_run_id", "scheduled_for") in indexed("recurring_run_fires")
    assert ("namespace", "name") in indexed("pipelines")


def test_downgrade_to_nothing_then_upgrade_again(database_url: str, store: Store) -> None:
    config = alembic_config(database_url)
    try:
        command.downgrade(config, "base")
        assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
    finally:
        command.upgrade(config, "head")
        # Pooled connections may hold statements prepared against the dropped tables.
        store.engine.dispose()
    assert set(inspect(store.engine).get_table_names()) == TABLES | {"alembic_version"}
    assert store.schema_revision() == head_revision()


def test_the_store_knows_its_head_without_asking_alembic() -> None:
    # Store.open compares against SCHEMA_HEAD so that opening an up-to-date database never imports Alembic.
    from sluice.store._migrate import SCHEMA_HEAD

    assert head_revision() == SCHEMA_HEAD


def test_opening_an_up_to_date_database_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    Store.open(url).close()
    probe = f"import sys; from sluice.store import Store; Store.open({url!r}).close(); print('alembic' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"
