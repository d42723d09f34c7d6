"""``Store``: opening the database, sessions, and the atomic operations the engine, service and UI share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy import Engine, exists, or_, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ._engine import SQLITE_BEGIN_OPTION, create_store_engine
from ._errors import (
    ConflictError,
    ConstraintError,
    IllegalTransitionError,
    InvalidReferenceError,
    LeaseLostError,
    NotFoundError,
    StoreError,
)
from ._migrate import SCHEMA_HEAD, current_revision, upgrade_to_head
from ._states import (
    ACTIVE_STATES,
    LEGAL_TRANSITIONS,
    TERMINAL_STATES,
    ArtifactState,
    EventType,
    ExecutionState,
    RuntimeState,
    TaskKind,
)
from ._types import utcnow
from ._url import install_hint, parse_database_url, redact
from .models import (
    Artifact,
    Association,
    Attribution,
    Base,
    Context,
    Event,
    Execution,
    Experiment,
    RecurringRun,
    RecurringRunFire,
    Run,
    RunMetric,
    RunStateHistory,
    Task,
    TaskStateHistory,
)

DEFAULT_EXPERIMENT_NAME = "Default"

JsonObject = dict[str, Any]
_Model = TypeVar("_Model", bound=Base)


class Store:
    """The Sluice database: open one per process with ``Store.open(url)`` and share it between threads.

    Operations that take ``session=`` run inside that session's transaction (so several can be made atomic
    together); without it each opens, commits and closes its own.
    """

    def __init__(self, engine: Engine) -> None:
        """Wrap an engine made by ``Store.open``; use ``open`` instead."""
        self._engine = engine
        self._url = engine.url
        self._write_sessions = sessionmaker(bind=engine, expire_on_commit=False)
        # On SQLite, reads start a plain (deferred) transaction so they never wait for the write lock.
        self._read_sessions = sessionmaker(
            bind=engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"}), expire_on_commit=False
        )

    # -----------------------------------------------------------------------------------------------------------
    # Opening and closing
    # -----------------------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | URL, *, migrate: bool = True) -> Store:
        """Connect to the database at ``url`` and bring its schema to the newest revision.

        ``url``: ``sqlite:///path/to/sluice.db`` (the default backend), ``postgresql+psycopg://user@host/db`` or
        ``mysql+pymysql://user@host/db`` (``postgresql://``, ``mysql://`` and ``mariadb://`` pick those drivers).
        With ``migrate=False`` the schema must already be at the newest revision.
        Raises ``StoreError`` naming the URL (password hidden) when the URL is unknown, the server unreachable,
        the driver missing or a migration fails.
        """
        parsed = parse_database_url(url)
        # The URL as the caller wrote it (before the driver was pinned), so they recognize it.
        shown = redact(url)
        try:
            engine = create_store_engine(parsed)
        except (NoSuchModuleError, ImportError) as exc:
            raise StoreError(f"no database driver for {shown}: {exc}; {install_hint(parsed)}") from exc
        except OSError as exc:
            # Creating the SQLite file's folder failed.
            raise StoreError(f"cannot create the database at {shown}: {exc}") from exc
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                current = current_revision(connection)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"cannot connect to the database at {shown}: {_cause(exc)}") from exc
        head = SCHEMA_HEAD
        if current != head:
            if not migrate:
                engine.dispose()
                raise StoreError(
                    f"the database at {shown} has schema revision {current or 'none'}, this Sluice needs {head}; "
                    "open it with migrate=True to upgrade"
                )
            try:
                upgrade_to_head(engine)
            except Exception as exc:
                engine.dispose()
                raise StoreError(
                    f"migrating the database at {shown} from revision {current or 'none'} to {head} failed: "
                    f"{_cause(exc)}"
                ) from exc
        return cls(engine)

    def close(self) -> None:
        """Close every pooled connection (call when done; a later operation would open new ones)."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The database URL with its password hidden."""
        return redact(self._url)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for queries the operations below do not cover."""
        return self._engine

    @property
    def backend(self) -> str:
        """``sqlite``, ``postgresql`` or ``mysql``/``mariadb``."""
        return self._engine.dialect.name

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at (``head_revision()`` after ``open``)."""
        with self._engine.connect() as connection:
            return current_revision(connection)

    # -----------------------------------------------------------------------------------------------------------
    # Sessions
    # -----------------------------------------------------------------------------------------------------------

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises.

        Database errors leave as ``StoreError``: ``ConflictError`` for a duplicate, ``InvalidReferenceError``
        for a missing or still-referenced row. Objects stay readable after the block (they are not expired).
        """
        session = self._write_sessions()
        try:
            yield session
            session.commit()
        except BaseException as exc:
            _rollback_quietly(session)
            translated = self._translate(exc)
            if translated is None:
                raise
            raise translated from exc
        finally:
            session.close()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only: never commits, and on SQLite never waits for writers."""
        session = self._read_sessions()
        try:
            yield session
        except BaseException as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            raise translated from exc
        finally:
            # close() ends the transaction without expiring what was read (a rollback would), so rows stay
            # readable after the block.
            session.close()

    @contextmanager
    def _use(self, session: Session | None) -> Iterator[Session]:
        if session is not None:
            yield session
        else:
            with self.session() as own:
                yield own

    def _translate(self, exc: BaseException) -> StoreError | None:
        if isinstance(exc, IntegrityError):
            return _constraint_error(exc)
        if isinstance(exc, DBAPIError):
            return StoreError(f"database error at {self.url}: {_cause(exc)}")
        return None

    # -----------------------------------------------------------------------------------------------------------
    # Experiments
    # -----------------------------------------------------------------------------------------------------------

    def default_experiment(self, *, session: Session | None = None) -> Experiment:
        """The "Default" experiment of the single-user namespace, recreated if someone deleted it."""
        with self._use(session) as s:
            found = _find_default_experiment(s)
            if found is not None:
                return found
            try:
                with s.begin_nested():
                    created = Experiment(name=DEFAULT_EXPERIMENT_NAME, display_name=DEFAULT_EXPERIMENT_NAME)
                    s.add(created)
                return created
            except IntegrityError:
                # Another process created it between our look-up and insert.
                found = _find_default_experiment(s)
                assert found is not None
                return found

    # -----------------------------------------------------------------------------------------------------------
    # Runs
    # -----------------------------------------------------------------------------------------------------------

    def create_run(
        self,
        *,
        pipeline_spec: JsonObject,
        display_name: str = "",
        experiment_id: str | None = None,
        description: str = "",
        pipeline_version_id: str | None = None,
        platform_spec: JsonObject | None = None,
        runtime_config: JsonObject | None = None,
        recurring_run_id: str | None = None,
        service_account: str = "",
        cache_enabled: bool = True,
        scheduled_at: datetime | None = None,
        session: Session | None = None,
    ) -> Run:
        """Create a PENDING run (in the Default experiment unless ``experiment_id``), with its first history row.

        Also records the time on the experiment's ``last_run_created_at``.
        """
        with self._use(session) as s:
            if experiment_id is None:
                experiment_id = self.default_experiment(session=s).id
            now = utcnow()
            run = Run(
                experiment_id=experiment_id,
                display_name=display_name,
                description=description,
                pipeline_version_id=pipeline_version_id,
                pipeline_spec=pipeline_spec,
                platform_spec=platform_spec,
                runtime_config=runtime_config if runtime_config is not None else {},
                recurring_run_id=recurring_run_id,
                service_account=service_account,
                cache_enabled=cache_enabled,
                state=RuntimeState.PENDING,
                created_at=now,
                scheduled_at=scheduled_at or now,
            )
            s.add(run)
            s.flush()
            s.add(RunStateHistory(run_id=run.id, state=RuntimeState.PENDING, at=now))
            s.execute(
                update(Experiment)
                .where(Experiment.id == experiment_id)
                .values(last_run_created_at=now)
                .execution_options(synchronize_session=False)
            )
            s.flush()
            return run

    def transition_run(
        self,
        run_id: str,
        new_state: RuntimeState | str,
        *,
        error: JsonObject | None = None,
        owner: str | None = None,
        session: Session | None = None,
    ) -> Run:
        """Move a run to ``new_state`` and append it to the run's history, in one transaction.

        ``error`` (e.g. ``{"code": 2, "message": "..."}``) replaces the run's error; None clears it. Entering a
        final state sets ``finished_at``; leaving one (a retry) clears it. With ``owner``, refuses with
        ``LeaseLostError`` unless that engine holds the run's lease.
        Raises ``IllegalTransitionError`` for a move the life cycle forbids (e.g. SUCCEEDED -> RUNNING) and
        ``NotFoundError`` for an unknown run.
        """
        target = RuntimeState(new_state)
        with self._use(session) as s:
            run = _lock(s, Run, run_id, "run")
            if owner is not None and run.lease_owner != owner:
                raise LeaseLostError(
                    f"run {run_id!r} is leased to {run.lease_owner!r}, not {owner!r}; refusing to move it to {target}"
                )
            _check_transition("run", run_id, run.state, target)
            now = utcnow()
            run.state = target
            run.error = error
            run.finished_at = now if target in TERMINAL_STATES else None
            s.add(RunStateHistory(run_id=run_id, state=target, at=now, error=error))
            s.flush()
            return run

    # -----------------------------------------------------------------------------------------------------------
    # Engine leases
    # -----------------------------------------------------------------------------------------------------------

    def claim_run(self, run_id: str, owner: str, *, stale_after: timedelta) -> bool:
        """Make ``owner`` (an engine's id) the run's driver; True if it now holds the lease.

        Succeeds when the run has no owner, already belongs to ``owner``, or its owner has not heartbeated for
        ``stale_after``. Fails (False) for a live owner or a finished run. Atomic: of two engines claiming at
        once, exactly one wins.
        """
        now = utcnow()
        with self.session() as s:
            claimed = s.execute(
                update(Run)
                .where(
                    Run.id == run_id,
                    Run.state.not_in(TERMINAL_STATES),
                    or_(
                        Run.lease_owner.is_(None),
                        Run.lease_owner == owner,
                        Run.lease_heartbeat_at.is_(None),
                        Run.lease_heartbeat_at < now - stale_after,
                    ),
                )
                .values(lease_owner=owner, lease_heartbeat_at=now)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(claimed) == 1:
                return True
            if s.get(Run, run_id) is None:
                raise NotFoundError("run", run_id)
            return False

    def heartbeat(self, owner: str, run_ids: Iterable[str] | None = None) -> set[str]:
        """Renew ``owner``'s leases (all of them, or only ``run_ids``); returns the ids it still holds.

        An id missing from the result was claimed by another engine: stop driving that run.
        """
        ids = None if run_ids is None else list(run_ids)
        with self.session() as s:
            condition = [Run.lease_owner == owner]
            if ids is not None:
                condition.append(Run.id.in_(ids))
            s.execute(
                update(Run)
                .where(*condition)
                .values(lease_heartbeat_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return set(s.scalars(select(Run.id).where(*condition)))

    def release_run(self, run_id: str, owner: str) -> bool:
        """Give up ``owner``'s lease on a run (e.g. when it finishes or the engine shuts down cleanly)."""
        with self.session() as s:
            released = s.execute(
                update(Run)
                .where(Run.id == run_id, Run.lease_owner == owner)
                .values(lease_owner=None, lease_heartbeat_at=None)
                .execution_options(synchronize_session=False)
            )
            return _rowcount(released) == 1

    def find_orphaned_runs(self, stale_after: timedelta) -> list[str]:
        """Ids of runs that need an engine and have no live one, oldest first.

        That is runs PENDING, RUNNING or CANCELING that nobody claimed, whose owner released them, or whose
        owner has not heartbeated for ``stale_after``. Claim each with ``claim_run`` before resuming it.
        """
        cutoff = utcnow() - stale_after
        with self.read_session() as s:
            return list(
                s.scalars(
                    select(Run.id)
                    .where(
                        Run.state.in_(ACTIVE_STATES),
                        or_(
                            Run.lease_owner.is_(None),
                            Run.lease_heartbeat_at.is_(None),
                            Run.lease_heartbeat_at < cutoff,
                        ),
                    )
                    .order_by(Run.created_at, Run.id)
                )
            )

    def end_unfinished_tasks(self, run_id: str, reason: str, *, session: Session | None = None) -> int:
        """End every task of a run that is not in a final state, because the run ended (its engine stopped):
        tasks that had started FAILED, with ``reason`` as their error; tasks that never started CANCELED.
        Returns how many tasks it ended."""
        error = {"message": reason}
        with self._use(session) as s:
            tasks = s.scalars(
                select(Task)
                .where(Task.run_id == run_id, Task.state.not_in(TERMINAL_STATES))
                .order_by(Task.path)
                .with_for_update()
            ).all()
            now = utcnow()
            for task in tasks:
                started = task.state is not RuntimeState.PENDING
                task.state = RuntimeState.FAILED if started else RuntimeState.CANCELED
                task.error = error if started else None
                task.finished_at = now
                message = reason if started else f"never started: {reason}"
                s.add(TaskStateHistory(task_id=task.id, state=task.state, at=now, message=message))
            s.flush()
            return len(tasks)

    def end_tasks_of_ended_runs(self) -> list[str]:
        """Runs in a final state with tasks that are not (their engine stopped before it could end them,
        e.g. on a full disk): end those tasks (:meth:`end_unfinished_tasks`). Returns the runs' ids."""
        with self.read_session() as s:
            rows = s.execute(
                select(Run.id, Run.state, Run.error)
                .where(
                    Run.state.in_(TERMINAL_STATES),
                    exists().where(Task.run_id == Run.id, Task.state.not_in(TERMINAL_STATES)),
                )
                .order_by(Run.created_at, Run.id)
            ).all()
        for run_id, state, run_error in rows:
            detail = (run_error or {}).get("message") if isinstance(run_error, dict) else None
            reason = f"the run ended {state}" + (f": {detail}" if detail else "")
            self.end_unfinished_tasks(run_id, reason)
        return [row[0] for row in rows]

    # -----------------------------------------------------------------------------------------------------------
    # Tasks
    # -----------------------------------------------------------------------------------------------------------

    def create_task(
        self,
        run_id: str,
        *,
        name: str,
        path: str,
        kind: TaskKind | str,
        parent_task_id: str | None = None,
        display_name: str = "",
        iteration_index: int | None = None,
        inputs: JsonObject | None = None,
        cache_fingerprint: str | None = None,
        session: Session | None = None,
    ) -> Task:
        """Create a PENDING task of a run, with its first history row.

        ``path`` (e.g. ``"root/for-loop-2/3/train"``) must be unique within the run: ``ConflictError`` otherwise.
        """
        with self._use(session) as s:
            now = utcnow()
            task = Task(
                run_id=run_id,
                parent_task_id=parent_task_id,
                name=name,
                display_name=display_name or name,
                path=path,
                iteration_index=iteration_index,
                kind=TaskKind(kind),
                state=RuntimeState.PENDING,
                created_at=now,
                inputs=inputs,
                cache_fingerprint=cache_fingerprint,
            )
            try:
                with s.begin_nested():
                    s.add(task)
                    s.flush()
            except IntegrityError as exc:
                # Translate here too: callers passing their own session get the same clear error.
                raise _constraint_error(exc) from exc
            s.add(TaskStateHistory(task_id=task.id, state=RuntimeState.PENDING, at=now))
            s.flush()
            return task

    def transition_task(
        self,
        task_id: str,
        new_state: RuntimeState | str,
        *,
        message: str | None = None,
        outputs: JsonObject | None = None,
        error: JsonObject | None = None,
        executor_input: JsonObject | None = None,
        pid: int | None = None,
        log_uri: str | None = None,
        cached_from_task_id: str | None = None,
        owner: str | None = None,
        session: Session | None = None,
    ) -> Task:
        """Move a task to ``new_state`` and append it to the task's history, in one transaction.

        Entering RUNNING counts an attempt (and sets ``started_at`` the first time); entering a final state sets
        ``finished_at``, leaving one (a retry) clears it. ``error`` replaces the task's error (None clears it);
        ``outputs``, ``executor_input``, ``pid``, ``log_uri`` and ``cached_from_task_id`` are written only when
        given. With ``owner``, refuses with ``LeaseLostError`` unless that engine holds the run's lease.
        Raises ``IllegalTransitionError`` for a move the life cycle forbids and ``NotFoundError`` for an
        unknown task.
        """
        target = RuntimeState(new_state)
        with self._use(session) as s:
            task = _lock(s, Task, task_id, "task")
            if owner is not None:
                lease_owner = s.scalar(select(Run.lease_owner).where(Run.id == task.run_id))
                if lease_owner != owner:
                    raise LeaseLostError(
                        f"run {task.run_id!r} of task {task.path!r} is leased to {lease_owner!r}, not {owner!r}; "
                        f"refusing to move the task to {target}"
                    )
            _check_transition("task", task_id, task.state, target)
            now = utcnow()
            task.state = target
            task.error = error
            if target is RuntimeState.RUNNING:
                task.attempts += 1
                if task.started_at is None:
                    task.started_at = now
            task.finished_at = now if target in TERMINAL_STATES else None
            if outputs is not None:
                task.outputs = outputs
            if executor_input is not None:
                task.executor_input = executor_input
            if pid is not None:
                task.pid = pid
            if log_uri is not None:
                task.log_uri = log_uri
            if cached_from_task_id is not None:
                task.cached_from_task_id = cached_from_task_id
            s.add(TaskStateHistory(task_id=task_id, state=target, at=now, message=message))
            s.flush()
            return task

    # -----------------------------------------------------------------------------------------------------------
    # Metadata (ML Metadata's model)
    # -----------------------------------------------------------------------------------------------------------

    def record_artifact(
        self,
        *,
        uri: str,
        schema_title: str,
        schema_version: str = "0.0.1",
        name: str = "",
        display_name: str = "",
        metadata: JsonObject | None = None,
        state: ArtifactState | str = ArtifactState.LIVE,
        session: Session | None = None,
    ) -> Artifact:
        """Record an artifact (``schema_title`` like ``system.Model``) and return it with its new id."""
        with self._use(session) as s:
            artifact = Artifact(
                uri=uri,
                schema_title=schema_title,
                schema_version=schema_version,
                name=name,
                display_name=display_name or name,
                metadata_=metadata if metadata is not None else {},
                state=ArtifactState(state),
            )
            s.add(artifact)
            s.flush()
            return artifact

    def record_execution(
        self,
        *,
        type: str,
        run_id: str | None = None,
        task_id: str | None = None,
        name: str = "",
        state: ExecutionState | str = ExecutionState.NEW,
        properties: JsonObject | None = None,
        session: Session | None = None,
    ) -> Execution:
        """Record an execution (``type`` like ``system.ContainerExecution``) of a run's task."""
        with self._use(session) as s:
            execution = Execution(
                type=type,
                run_id=run_id,
                task_id=task_id,
                name=name,
                state=ExecutionState(state),
                properties=properties if properties is not None else {},
            )
            s.add(execution)
            s.flush()
            return execution

    def record_event(
        self,
        *,
        execution_id: str,
        artifact_id: str,
        type: EventType | str,
        key: str = "",
        list_index: int | None = None,
        session: Session | None = None,
    ) -> Event:
        """Record that an execution used (INPUT) or produced (OUTPUT) an artifact under input/output ``key``."""
        with self._use(session) as s:
            event = Event(
                execution_id=execution_id,
                artifact_id=artifact_id,
                type=EventType(type),
                key=key,
                list_index=list_index,
            )
            s.add(event)
            s.flush()
            return event

    def ensure_context(
        self, type: str, name: str, *, properties: JsonObject | None = None, session: Session | None = None
    ) -> Context:
        """The context (``type``, ``name``), e.g. ("system.PipelineRun", run id), created if missing.

        Safe when several processes ensure the same context at once. ``properties`` only apply on creation.
        """
        with self._use(session) as s:
            found = _find_context(s, type, name)
            if found is not None:
                return found
            try:
                with s.begin_nested():
                    created = Context(
                        type=type, name=name, properties=properties if properties is not None else {}
                    )
                    s.add(created)
                return created
            except IntegrityError:
                found = _find_context(s, type, name)
                if found is None:
                    raise
                return found

    def associate(self, context_id: str, execution_id: str, *, session: Session | None = None) -> None:
        """Put an execution into a context (idempotent)."""
        with self._use(session) as s:
            _insert_link(s, Association(context_id=context_id, execution_id=execution_id))

    def attribute(self, context_id: str, artifact_id: str, *, session: Session | None = None) -> None:
        """Put an artifact into a context (idempotent)."""
        with self._use(session) as s:
            _insert_link(s, Attribution(context_id=context_id, artifact_id=artifact_id))

    def record_run_warnings(self, run_id: str, warnings: list[str]) -> None:
        """Record what the run asks for and its engine does not do (shown with the run)."""
        with self.session() as s:
            s.execute(update(Run).where(Run.id == run_id).values(warnings=list(warnings)))

    # -----------------------------------------------------------------------------------------------------------
    # Metrics
    # -----------------------------------------------------------------------------------------------------------

    def record_run_metric(
        self,
        run_id: str,
        name: str,
        value: float,
        *,
        task_id: str | None = None,
        artifact_id: str | None = None,
        session: Session | None = None,
    ) -> RunMetric:
        """Record a scalar metric of a run, so runs can be filtered and sorted by it."""
        with self._use(session) as s:
            metric = RunMetric(
                run_id=run_id, name=name, value=float(value), task_id=task_id, artifact_id=artifact_id
            )
            s.add(metric)
            s.flush()
            return metric

    # -----------------------------------------------------------------------------------------------------------
    # Recurring runs
    # -----------------------------------------------------------------------------------------------------------

    def claim_recurring_run_fire(
        self,
        recurring_run_id: str,
        scheduled_for: datetime,
        *,
        next_fire_at: datetime | None,
        session: Session | None = None,
    ) -> RecurringRunFire | None:
        """Reserve the firing of a recurring run at ``scheduled_for``; None if some scheduler already fired it.

        Also advances the recurring run's ``last_fired_at`` and sets ``next_fire_at``. Create the run in the
        same session and set the returned fire's ``run_id``, so the slot and its run commit together.
        """
        with self._use(session) as s:
            recurring = _lock(s, RecurringRun, recurring_run_id, "recurring run")
            fire = RecurringRunFire(recurring_run_id=recurring_run_id, scheduled_for=scheduled_for)
            try:
                with s.begin_nested():
                    s.add(fire)
                    s.flush()
            except IntegrityError as exc:
                error = _constraint_error(exc)
                if isinstance(error, ConflictError):
                    return None
                raise error from exc
            if recurring.last_fired_at is None or scheduled_for > recurring.last_fired_at:
                recurring.last_fired_at = scheduled_for
            recurring.next_fire_at = next_fire_at
            s.flush()
            return fire


# ---------------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------------


def _lock(session: Session, model: type[_Model], row_id: str, entity: str) -> _Model:
    # FOR UPDATE on PostgreSQL/MySQL; SQLite's write transactions already hold the database's write lock.
    # populate_existing: a caller's session may hold a stale copy.
    row = session.get(model, row_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFoundError(entity, row_id)
    return row


def _check_transition(entity: str, entity_id: str, current: RuntimeState, target: RuntimeState) -> None:
    allowed = LEGAL_TRANSITIONS[current]
    if target not in allowed:
        raise IllegalTransitionError(entity, entity_id, current, target, allowed)


def _find_default_experiment(session: Session) -> Experiment | None:
    return session.scalars(
        select(Experiment).where(Experiment.namespace == "", Experiment.name == DEFAULT_EXPERIMENT_NAME)
    ).first()


def _find_context(session: Session, type: str, name: str) -> Context | None:
    return session.scalars(select(Context).where(Context.type == type, Context.name == name)).first()


def _insert_link(session: Session, link: Association | Attribution) -> None:
    model = type(link)
    key = (link.context_id, link.execution_id if isinstance(link, Association) else link.artifact_id)
    if session.get(model, key) is not None:
        return
    try:
        with session.begin_nested():
            session.add(link)
    except IntegrityError as exc:
        error = _constraint_error(exc)
        if not isinstance(error, ConflictError):
            raise error from exc


def _rowcount(result: Any) -> int:
    # update() results are CursorResults; the ORM types execute() more loosely.
    return int(result.rowcount)


def _rollback_quietly(session: Session) -> None:
    # If the connection is already broken, the original error says why.
    with suppress(SQLAlchemyError):
        session.rollback()


def _cause(exc: BaseException) -> str:
    """The driver's own message for a SQLAlchemy error (without SQLAlchemy's statement dump), else str()."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc.orig).__name__}: {exc.orig}".strip()
    return f"{type(exc).__name__}: {exc}"


# Driver error codes for the two constraint kinds callers handle differently.
_PG_UNIQUE_VIOLATION = "23505"
_PG_FOREIGN_KEY_VIOLATION = "23503"
_MYSQL_DUPLICATE_ENTRY = {1062, 1586}
_MYSQL_FOREIGN_KEY = {1216, 1217, 1451, 1452}


def _constraint_error(exc: IntegrityError) -> ConstraintError:
    orig = exc.orig
    message = _cause(exc)
    sqlstate = getattr(orig, "sqlstate", None)
    code = orig.args[0] if orig is not None and orig.args and isinstance(orig.args[0], int) else None
    text_ = str(orig)
    if (
        sqlstate == _PG_UNIQUE_VIOLATION
        or code in _MYSQL_DUPLICATE_ENTRY
        or "UNIQUE constraint failed" in text_
    ):
        return ConflictError(f"already exists: {message}")
    if (
        sqlstate == _PG_FOREIGN_KEY_VIOLATION
        or code in _MYSQL_FOREIGN_KEY
        or "FOREIGN KEY constraint failed" in text_
    ):
        return InvalidReferenceError(f"refers to a missing row, or is still referred to: {message}")
    return ConstraintError(f"constraint violated: {message}")
