"""Every table stores and returns what it was given; the database enforces cascades and uniqueness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import StatementError

from sluice.store import (
    ArtifactState,
    ConflictError,
    EventType,
    ExecutionState,
    InvalidReferenceError,
    RecurringRunMode,
    RuntimeState,
    RunWriter,
    StorageState,
    Store,
    TaskKind,
)
from sluice.store.models import (
    Artifact,
    Association,
    Attribution,
    Context,
    Event,
    Execution,
    Experiment,
    Pipeline,
    PipelineVersion,
    RecurringRun,
    RecurringRunFire,
    Run,
    RunMetric,
    RunStateHistory,
    Task,
    TaskStateHistory,
)
from tests.support.tasks import transition_task

from ._builders import SPEC, make_pipeline_version, make_run, make_task

# Microseconds that are neither 0 nor a round number of milliseconds; a zone that is not UTC.
STAMP = datetime(2024, 5, 6, 7, 8, 9, 123457, tzinfo=UTC)
STAMP_IN_INDIA = STAMP.astimezone(timezone(timedelta(hours=5, minutes=30)))

# Nested JSON with the values that break naive encodings: unicode, floats, booleans, nulls, empty containers.
DOCUMENT = {
    "parameters": {"lr": 0.001, "epochs": 10, "name": "modèle 🚀", "flag": True, "none": None},
    "list": [1, 2.5, "three", [], {}],
    "big": 2**53,
}


def assert_utc(value: datetime | None, expected: datetime) -> None:
    assert value is not None
    assert value == expected
    assert value.utcoffset() == timedelta(0)
    assert value.microsecond == expected.microsecond


def test_pipeline_and_version_round_trip_with_a_large_spec(store: Store) -> None:
    # Larger than MySQL's 64 KiB TEXT/JSON-as-TEXT limit.
    large_spec = {
        **SPEC,
        "deploymentSpec": {"executors": {f"exec-{i}": {"image": "x" * 100} for i in range(1000)}},
    }
    long_description = "d" * 70_000
    with store.session() as session:
        pipeline = Pipeline(
            name="train",
            display_name="Train ✓",
            description=long_description,
            namespace="team-a",
            created_at=STAMP,
        )
        session.add(pipeline)
        session.flush()
        version = PipelineVersion(
            pipeline_id=pipeline.id,
            name="v1",
            display_name="first",
            description="the first",
            pipeline_spec=large_spec,
            platform_spec={"platforms": {"kubernetes": {}}},
            code_source_url="https://example.com/src",
            package_url="https://example.com/pkg.yaml",
            created_at=STAMP_IN_INDIA,
        )
        session.add(version)

    with store.read_session() as session:
        got_pipeline = session.get_one(Pipeline, pipeline.id)
        got_version = session.get_one(PipelineVersion, version.id)
        assert (got_pipeline.name, got_pipeline.display_name, got_pipeline.namespace) == (
            "train",
            "Train ✓",
            "team-a",
        )
        assert got_pipeline.description == long_description
        assert_utc(got_pipeline.created_at, STAMP)
        assert got_version.pipeline_spec == large_spec
        assert got_version.platform_spec == {"platforms": {"kubernetes": {}}}
        assert (got_version.code_source_url, got_version.package_url) == (
            "https://example.com/src",
            "https://example.com/pkg.yaml",
        )
        assert_utc(got_version.created_at, STAMP)
        assert [v.id for v in got_pipeline.versions] == [version.id]
    assert len(pipeline.id) == 36


def test_experiment_round_trip_and_last_run_created_at(store: Store) -> None:
    with store.session() as session:
        experiment = Experiment(name="tuning", description="sweeps", storage_state=StorageState.ARCHIVED)
        session.add(experiment)
    assert experiment.last_run_created_at is None
    run = make_run(store, experiment_id=experiment.id)
    with store.read_session() as session:
        got = session.get_one(Experiment, experiment.id)
        assert (got.name, got.description, got.namespace, got.storage_state) == (
            "tuning",
            "sweeps",
            "",
            StorageState.ARCHIVED,
        )
        assert got.last_run_created_at == run.created_at


def test_run_round_trip_with_json_and_microsecond_timestamps(store: Store) -> None:
    version = make_pipeline_version(store)
    run = store.create_run(
        pipeline_spec=SPEC,
        display_name="nightly",
        description="a description",
        pipeline_version_id=version.id,
        platform_spec={"platform": "local"},
        runtime_config={"parameters": DOCUMENT, "pipeline_root": "file:///tmp/root"},
        service_account="robot",
        cache_enabled=False,
        scheduled_at=STAMP_IN_INDIA,
    )
    with store.read_session() as session:
        got = session.get_one(Run, run.id)
        assert got.experiment_id == store.default_experiment().id
        assert got.pipeline_version_id == version.id
        assert got.pipeline_spec == SPEC
        assert got.platform_spec == {"platform": "local"}
        assert got.runtime_config == {"parameters": DOCUMENT, "pipeline_root": "file:///tmp/root"}
        assert (got.display_name, got.description, got.service_account) == (
            "nightly",
            "a description",
            "robot",
        )
        assert got.cache_enabled is False
        assert (got.state, got.storage_state) == (RuntimeState.PENDING, StorageState.AVAILABLE)
        assert_utc(got.scheduled_at, STAMP)
        assert_utc(got.created_at, run.created_at)
        assert got.finished_at is None
        assert got.error is None
        assert [h.state for h in got.state_history] == [RuntimeState.PENDING]
        # None is stored as SQL NULL, not as the JSON text 'null'.
        assert session.scalar(select(func.count()).select_from(Run).where(Run.error.is_(None))) == 1


def test_task_round_trip_with_every_field(store: Store) -> None:
    run = make_run(store)
    root = make_task(store, run.id, "root", kind=TaskKind.DAG)
    with store.session() as session:
        task = Task(
            run_id=run.id,
            parent_task_id=root.id,
            name="train",
            display_name="Train",
            path="root/for-loop-2/3/train",
            iteration_index=3,
            kind=TaskKind.CONTAINER,
            state=RuntimeState.FAILED,
            created_at=STAMP,
            started_at=STAMP + timedelta(microseconds=1),
            finished_at=STAMP + timedelta(seconds=1, microseconds=999_999),
            attempts=2,
            cache_fingerprint="f" * 64,
            cached_from_task_id=root.id,
            inputs={"parameters": DOCUMENT},
            outputs={"artifacts": {"model": [{"uri": "file:///m"}]}},
            error={"code": 13, "message": "boom"},
            executor_input={"inputs": {}, "outputs": {"outputFile": "/tmp/out.json"}},
            pid=4242,
            log_uri="file:///logs/train.log",
        )
        session.add(task)
        session.add(TaskStateHistory(task_id=task.id, state=RuntimeState.FAILED, at=STAMP, message="exit 1"))
    with store.read_session() as session:
        got = session.get_one(Task, task.id)
        assert (got.run_id, got.parent_task_id, got.cached_from_task_id) == (run.id, root.id, root.id)
        assert (got.name, got.display_name, got.path, got.iteration_index) == (
            "train",
            "Train",
            "root/for-loop-2/3/train",
            3,
        )
        assert (got.kind, got.state, got.attempts, got.pid) == (
            TaskKind.CONTAINER,
            RuntimeState.FAILED,
            2,
            4242,
        )
        assert got.cache_fingerprint == "f" * 64
        assert got.inputs == {"parameters": DOCUMENT}
        assert got.outputs == {"artifacts": {"model": [{"uri": "file:///m"}]}}
        assert got.error == {"code": 13, "message": "boom"}
        assert got.executor_input == {"inputs": {}, "outputs": {"outputFile": "/tmp/out.json"}}
        assert got.log_uri == "file:///logs/train.log"
        assert_utc(got.created_at, STAMP)
        assert_utc(got.started_at, STAMP + timedelta(microseconds=1))
        assert_utc(got.finished_at, STAMP + timedelta(seconds=1, microseconds=999_999))
        history = session.scalars(select(TaskStateHistory).where(TaskStateHistory.task_id == task.id)).all()
        assert [(h.state, h.message) for h in history] == [(RuntimeState.FAILED, "exit 1")]
        assert_utc(history[0].at, STAMP)
        assert got.run.id == run.id


def test_run_state_history_round_trip(store: Store) -> None:
    run = make_run(store)
    with store.session() as session:
        session.add(
            RunStateHistory(run_id=run.id, state=RuntimeState.FAILED, at=STAMP, error={"message": "x"})
        )
    with store.read_session() as session:
        rows = session.scalars(
            select(RunStateHistory).where(RunStateHistory.run_id == run.id).order_by(RunStateHistory.id)
        ).all()
    assert [(r.state, r.error) for r in rows] == [
        (RuntimeState.PENDING, None),
        (RuntimeState.FAILED, {"message": "x"}),
    ]
    assert_utc(rows[1].at, STAMP)


def test_metadata_tables_round_trip(store: Store) -> None:
    run = make_run(store)
    task = make_task(store, run.id)
    with store.session() as session:
        writer = RunWriter(store, run.id)
        writer.context_id = store.ensure_context(
            "system.PipelineRun", run.id, properties={"run": run.id}, session=session
        )
        artifact_id = writer.record_artifact(
            uri="s3://bucket/model",
            schema_title="system.Model",
            schema_version="0.0.2",
            name="model",
            metadata={"framework": "torch", "accuracy": 0.93},
        )
        execution_id = writer.record_execution(
            type="system.ContainerExecution",
            task_id=task.id,
            name="train",
            state=ExecutionState.COMPLETE,
            properties={"exit_code": 0},
        )
        writer.record_event(
            execution_id=execution_id,
            artifact_id=artifact_id,
            type=EventType.OUTPUT,
            key="model",
            list_index=0,
        )
        writer.flush(session.connection())
    context_id = writer.context_id

    with store.read_session() as session:
        got_artifact = session.get_one(Artifact, artifact_id)
        assert (got_artifact.uri, got_artifact.schema_title, got_artifact.schema_version) == (
            "s3://bucket/model",
            "system.Model",
            "0.0.2",
        )
        assert (got_artifact.name, got_artifact.display_name, got_artifact.state) == (
            "model",
            "model",
            ArtifactState.LIVE,
        )
        assert got_artifact.metadata_ == {"framework": "torch", "accuracy": 0.93}
        got_execution = session.get_one(Execution, execution_id)
        assert (got_execution.run_id, got_execution.task_id, got_execution.type, got_execution.state) == (
            run.id,
            task.id,
            "system.ContainerExecution",
            ExecutionState.COMPLETE,
        )
        assert got_execution.properties == {"exit_code": 0}
        assert got_execution.updated_at >= got_execution.created_at
        event = session.scalars(select(Event)).one()
        assert (event.execution_id, event.artifact_id, event.type, event.key, event.list_index) == (
            execution_id,
            artifact_id,
            EventType.OUTPUT,
            "model",
            0,
        )
        got_context = session.get_one(Context, context_id)
        assert (got_context.type, got_context.name, got_context.properties) == (
            "system.PipelineRun",
            run.id,
            {"run": run.id},
        )
        assert session.get(Association, (context_id, execution_id)) is not None
        assert session.get(Attribution, (context_id, artifact_id)) is not None


def test_run_metric_and_recurring_run_round_trip(store: Store) -> None:
    run = make_run(store)
    writer = RunWriter(store, run.id)
    writer.record_metric(name="accuracy", value=0.123456789012345)
    writer.flush()
    with store.session() as session:
        recurring = RecurringRun(
            display_name="hourly",
            experiment_id=store.default_experiment(session=session).id,
            pipeline_spec=SPEC,
            runtime_config={"parameters": {"a": 1}},
            trigger={"cron": {"expression": "0 * * * *", "time_zone": "Europe/Paris"}},
            start_at=STAMP,
            end_at=STAMP + timedelta(days=30),
            max_concurrency=3,
            no_catchup=True,
            mode=RecurringRunMode.DISABLED,
            next_fire_at=STAMP + timedelta(hours=1),
        )
        session.add(recurring)
        session.flush()
        session.add(RecurringRunFire(recurring_run_id=recurring.id, scheduled_for=STAMP, run_id=run.id))
    with store.read_session() as session:
        metric = session.scalars(select(RunMetric)).one()
        # Double precision everywhere (MySQL's FLOAT would keep ~7 digits).
        assert (metric.run_id, metric.name, metric.value) == (run.id, "accuracy", 0.123456789012345)
        got = session.get_one(RecurringRun, recurring.id)
        assert got.trigger == {"cron": {"expression": "0 * * * *", "time_zone": "Europe/Paris"}}
        assert (got.max_concurrency, got.no_catchup, got.mode) == (3, True, RecurringRunMode.DISABLED)
        assert got.runtime_config == {"parameters": {"a": 1}}
        assert_utc(got.start_at, STAMP)
        assert_utc(got.end_at, STAMP + timedelta(days=30))
        assert_utc(got.next_fire_at, STAMP + timedelta(hours=1))
        fire = session.scalars(select(RecurringRunFire)).one()
        assert (fire.recurring_run_id, fire.run_id) == (recurring.id, run.id)
        assert_utc(fire.scheduled_for, STAMP)


def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="has no time zone"), store.session() as session:
        session.add(Pipeline(name="naive", created_at=datetime(2024, 1, 1)))


def test_unknown_enum_values_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="RUNNIN"), store.session() as session:
        session.add(Experiment(name="x", storage_state="RUNNIN"))


# --- cascades ---------------------------------------------------------------------------------------------------


def test_deleting_a_pipeline_deletes_its_versions_and_unlinks_runs(store: Store) -> None:
    version = make_pipeline_version(store)
    run = make_run(store, pipeline_version_id=version.id)
    with store.session() as session:
        session.delete(session.get_one(Pipeline, version.pipeline_id))
    with store.read_session() as session:
        assert session.get(PipelineVersion, version.id) is None
        kept = session.get_one(Run, run.id)
        assert kept.pipeline_version_id is None
        assert kept.pipeline_spec == SPEC


def test_deleting_a_run_deletes_everything_it_owns_but_keeps_artifacts(store: Store) -> None:
    run = make_run(store)
    other = make_run(store)
    root = make_task(store, run.id, "root", kind=TaskKind.DAG)
    child = make_task(store, run.id, "root/train", parent_task_id=root.id)
    # A task of another run that was served from this run's cache.
    cached = make_task(store, other.id, "root/train")
    transition_task(store, cached.id, RuntimeState.SUCCEEDED, cached_from_task_id=child.id)
    writer = RunWriter(store, run.id)
    writer.context_id = context_id = store.ensure_context("system.PipelineRun", run.id)
    artifact_id = writer.record_artifact(uri="file:///m", schema_title="system.Model")
    execution_id = writer.record_execution(type="system.ContainerExecution", task_id=child.id)
    writer.record_event(execution_id=execution_id, artifact_id=artifact_id, type=EventType.OUTPUT)
    writer.record_metric(name="accuracy", value=0.9, task_id=child.id, artifact_id=artifact_id)
    writer.flush()
    with store.session() as session:
        recurring = RecurringRun(
            experiment_id=run.experiment_id, pipeline_spec=SPEC, trigger={"interval_seconds": 60}
        )
        session.add(recurring)
        session.flush()
        session.add(RecurringRunFire(recurring_run_id=recurring.id, scheduled_for=STAMP, run_id=run.id))

    with store.session() as session:
        session.execute(delete(Run).where(Run.id == run.id))

    with store.read_session() as session:

        def count(model: type, *where: object) -> int:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]

        assert count(Task, Task.run_id == run.id) == 0
        assert count(TaskStateHistory, TaskStateHistory.task_id.in_([root.id, child.id])) == 0
        assert count(RunStateHistory, RunStateHistory.run_id == run.id) == 0
        assert count(Execution) == 0
        assert count(Event) == 0
        assert count(Association) == 0
        assert count(RunMetric) == 0
        assert session.get(Artifact, artifact_id) is not None
        assert session.get(Context, context_id) is not None
        assert session.scalars(select(RecurringRunFire.run_id)).one() is None
        assert session.get_one(Task, cached.id).cached_from_task_id is None
        assert session.get(Run, other.id) is not None


def test_deleting_a_parent_task_deletes_its_nested_tasks(store: Store) -> None:
    run = make_run(store)
    root = make_task(store, run.id, "root", kind=TaskKind.DAG)
    loop = make_task(store, run.id, "root/for-loop-2", kind=TaskKind.LOOP, parent_task_id=root.id)
    iteration = make_task(
        store,
        run.id,
        "root/for-loop-2/0",
        kind=TaskKind.LOOP_ITERATION,
        parent_task_id=loop.id,
        iteration_index=0,
    )
    make_task(store, run.id, "root/for-loop-2/0/train", parent_task_id=iteration.id)
    sibling = make_task(store, run.id, "root/report", parent_task_id=root.id)
    with store.session() as session:
        session.execute(delete(Task).where(Task.id == loop.id))
    with store.read_session() as session:
        assert set(session.scalars(select(Task.path).where(Task.run_id == run.id))) == {"root", sibling.path}


def test_deleting_an_artifact_or_context_deletes_their_links(store: Store) -> None:
    run = make_run(store)
    writer = RunWriter(store, run.id)
    artifact_id = writer.record_artifact(uri="file:///d", schema_title="system.Dataset")
    execution_id = writer.record_execution(type="system.ContainerExecution")
    writer.record_event(execution_id=execution_id, artifact_id=artifact_id, type=EventType.INPUT, key="data")
    context_id = store.ensure_context("system.Pipeline", "train")
    writer.attribute(context_id, artifact_id)
    writer.associate(context_id, execution_id)
    writer.record_metric(name="rows", value=10, artifact_id=artifact_id)
    writer.flush()
    with store.session() as session:
        session.execute(delete(Artifact).where(Artifact.id == artifact_id))
        session.execute(delete(Context).where(Context.id == context_id))
    with store.read_session() as session:
        assert session.scalars(select(Event)).all() == []
        assert session.scalars(select(Attribution)).all() == []
        assert session.scalars(select(Association)).all() == []
        assert session.scalars(select(RunMetric.artifact_id)).one() is None
        assert session.get(Execution, execution_id) is not None


def test_deleting_a_recurring_run_deletes_its_fires_and_unlinks_its_runs(store: Store) -> None:
    with store.session() as session:
        recurring = RecurringRun(
            experiment_id=store.default_experiment(session=session).id,
            pipeline_spec=SPEC,
            trigger={"interval_seconds": 60},
        )
        session.add(recurring)
    run = make_run(store, recurring_run_id=recurring.id)
    assert store.claim_recurring_run_fire(recurring.id, STAMP, next_fire_at=None) is not None
    with store.session() as session:
        session.execute(delete(RecurringRun).where(RecurringRun.id == recurring.id))
    with store.read_session() as session:
        assert session.scalars(select(RecurringRunFire)).all() == []
        assert session.get_one(Run, run.id).recurring_run_id is None


def test_an_experiment_with_runs_cannot_be_deleted(store: Store) -> None:
    with store.session() as session:
        experiment = Experiment(name="busy")
        empty = Experiment(name="empty")
        session.add_all([experiment, empty])
    make_run(store, experiment_id=experiment.id)
    with pytest.raises(InvalidReferenceError, match="still referred to"), store.session() as session:
        session.execute(delete(Experiment).where(Experiment.id == experiment.id))
    with store.session() as session:
        session.execute(delete(Experiment).where(Experiment.id == empty.id))
    with store.read_session() as session:
        assert session.get(Experiment, experiment.id) is not None
        assert session.get(Experiment, empty.id) is None


def test_a_run_in_a_missing_experiment_is_refused(store: Store) -> None:
    with pytest.raises(InvalidReferenceError):
        make_run(store, experiment_id="00000000-0000-0000-0000-000000000000")


# --- uniqueness -------------------------------------------------------------------------------------------------


def test_pipeline_names_are_unique_per_namespace(store: Store) -> None:
    with store.session() as session:
        session.add_all([Pipeline(name="train"), Pipeline(name="train", namespace="team-a")])
    with pytest.raises(ConflictError, match="already exists"), store.session() as session:
        session.add(Pipeline(name="train", namespace="team-a"))
    # Case matters on every backend (MySQL's default collation would call these equal).
    with store.session() as session:
        session.add(Pipeline(name="Train", namespace="team-a"))


def test_version_names_are_unique_per_pipeline(store: Store) -> None:
    version = make_pipeline_version(store, pipeline_name="p1", version_name="v1")
    other = make_pipeline_version(store, pipeline_name="p2", version_name="v1")
    assert other.name == version.name
    with pytest.raises(ConflictError), store.session() as session:
        session.add(PipelineVersion(pipeline_id=version.pipeline_id, name="v1", pipeline_spec=SPEC))


def test_experiment_names_are_unique_per_namespace(store: Store) -> None:
    with store.session() as session:
        session.add(Experiment(name="Default", namespace="team-a"))
    with pytest.raises(ConflictError), store.session() as session:
        session.add(Experiment(name="Default"))


def test_task_paths_are_unique_within_a_run(store: Store) -> None:
    run = make_run(store)
    other = make_run(store)
    make_task(store, run.id, "root/train")
    make_task(store, other.id, "root/train")
    with pytest.raises(ConflictError):
        make_task(store, run.id, "root/train")
    with store.read_session() as session:
        assert list(session.scalars(select(Task.path).where(Task.run_id == run.id))) == ["root/train"]


def test_contexts_are_unique_by_type_and_name(store: Store) -> None:
    first = store.ensure_context("system.Pipeline", "train")
    assert store.ensure_context("system.Pipeline", "train") == first
    assert store.ensure_context("system.PipelineRun", "train") != first
    with pytest.raises(ConflictError), store.session() as session:
        session.add(Context(type="system.Pipeline", name="train"))
