"""``Store``: opening the database, sessions, and the atomic operations the engine, service and UI share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from sqlalchemy import Connection, Engine, Row, exists, insert, or_, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from . import _tables as t
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
    RecurringRunMode,
    RuntimeState,
    StorageState,
)
from ._types import new_id, utcnow
from ._url import install_hint, parse_database_url, redact
from ._writer import RunWriter

if TYPE_CHECKING:
    # The ORM is the service's: the engine's path (a one-shot run) uses the Core tables alone.
    from sqlalchemy.orm import Session, sessionmaker

    from .models import Base, Experiment, RecurringRunFire

DEFAULT_EXPERIMENT_NAME = "Default"

JsonObject = dict[str, Any]
_Model = TypeVar("_Model", bound="Base")


class Store:
    """The Sluice database: open one per process with ``Store.open(url)`` and share it between threads.

    Operations that take ``session=`` run inside that transaction (so several can be made atomic together):
    an ORM session's (the service's) or a Core connection's (``transaction()``, what the engine uses); without
    it each opens, commits and closes its own. Runs and tasks are written with Core statements over
    ``sluice.store.tables``; a task's state changes go through ``RunWriter``, which checks them.
    """

    def __init__(self, engine: Engine) -> None:
        """Wrap an engine made by ``Store.open``; use ``open`` instead."""
        self._engine = engine
        self._url = engine.url
        # On SQLite, reads start a plain (deferred) transaction so they never wait for the write lock.
        self._read_engine = engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
        # Made on first use: importing the ORM is the service's cost, not a one-shot run's.
        self._sessionmakers: tuple[sessionmaker[Session], sessionmaker[Session]] | None = None

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
    def transaction(self) -> Iterator[Connection]:
        """A Core connection in one write transaction: committed when the block ends, rolled back if it raises.

        Database errors leave as ``StoreError`` (as from :meth:`session`). This is what the engine writes
        through (``RunWriter``), without the ORM.
        """
        with self._errors_translated(), self._engine.begin() as connection:
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A Core connection for reading only: never commits, and on SQLite never waits for writers."""
        with self._errors_translated(), self._read_engine.connect() as connection:
            yield connection

    @contextmanager
    def _errors_translated(self) -> Iterator[None]:
        try:
            yield
        except BaseException as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            raise translated from exc

    def _sessions(self) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
        if self._sessionmakers is None:
            from sqlalchemy.orm import sessionmaker

            self._sessionmakers = (
                sessionmaker(bind=self._engine, expire_on_commit=False),
                sessionmaker(bind=self._read_engine, expire_on_commit=False),
            )
        return self._sessionmakers

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session in one transaction: committed when the block ends, rolled back if it raises.

        Database errors leave as ``StoreError``: ``ConflictError`` for a duplicate, ``InvalidReferenceError``
        for a missing or still-referenced row. Objects stay readable after the block (they are not expired).
        """
        session = self._sessions()[0]()
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
        """An ORM session for reading only: never commits, and on SQLite never waits for writers."""
        session = self._sessions()[1]()
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

    @contextmanager
    def _write(self, session: Session | Connection | None) -> Iterator[Connection]:
        """The Core connection of the caller's transaction (an ORM session's, flushed first), or a new one."""
        if session is None:
            with self.transaction() as connection:
                yield connection
        elif isinstance(session, Connection):
            yield session
        else:
            session.flush()
            yield session.connection()

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
        from .models import Experiment

        with self._use(session) as s:
            experiment_id = self.default_experiment_id(session=s)
            return s.get_one(Experiment, experiment_id)

    def default_experiment_id(self, *, session: Session | Connection | None = None) -> str:
        """The id of the single-user namespace's "Default" experiment, recreated if someone deleted it."""
        with self._write(session) as c:
            found = _find_default_experiment(c)
            if found is not None:
                return found
            try:
                with c.begin_nested():
                    created = new_id()
                    c.execute(
                        insert(t.experiments).values(
                            id=created, name=DEFAULT_EXPERIMENT_NAME, display_name=DEFAULT_EXPERIMENT_NAME
                        )
                    )
                return created
            except IntegrityError:
                # Another process created it between our look-up and insert.
                found = _find_default_experiment(c)
                assert found is not None
                return found

    def archive_experiment(self, experiment_id: str, *, session: Session | Connection | None = None) -> None:
        """Archive an experiment with its runs, and disable its recurring runs (they would start runs in it)."""
        with self._write(session) as c:
            c.execute(
                update(t.experiments)
                .where(t.experiments.c.id == experiment_id)
                .values(storage_state=StorageState.ARCHIVED)
            )
            c.execute(
                update(t.runs)
                .where(t.runs.c.experiment_id == experiment_id)
                .values(storage_state=StorageState.ARCHIVED)
            )
            c.execute(
                update(t.recurring_runs)
                .where(t.recurring_runs.c.experiment_id == experiment_id)
                .values(mode=RecurringRunMode.DISABLED)
            )
        _refresh_loaded(session, "Experiment", experiment_id)

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
        session: Session | Connection | None = None,
    ) -> Row[Any]:
        """Create a PENDING run (in the Default experiment unless ``experiment_id``), with its first history row;
        returns its row (the ``runs`` table's columns).

        Also records the time on the experiment's ``last_run_created_at``; the run takes the experiment's
        namespace.
        """
        with self._write(session) as c:
            if experiment_id is None:
                experiment_id = self.default_experiment_id(session=c)
            now = utcnow()
            run_id = new_id()
            namespace = c.scalar(select(t.experiments.c.namespace).where(t.experiments.c.id == experiment_id))
            c.execute(
                insert(t.runs).values(
                    id=run_id,
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
                    namespace=namespace or "",
                )
            )
            c.execute(insert(t.run_state_history).values(run_id=run_id, state=RuntimeState.PENDING, at=now))
            c.execute(
                update(t.experiments)
                .where(t.experiments.c.id == experiment_id)
                .values(last_run_created_at=now)
            )
            return c.execute(select(t.runs).where(t.runs.c.id == run_id)).one()

    def get_run(self, run_id: str) -> Row[Any] | None:
        """The run's row (the ``runs`` table's columns), or None."""
        with self.reading() as c:
            return c.execute(select(t.runs).where(t.runs.c.id == run_id)).one_or_none()

    def transition_run(
        self,
        run_id: str,
        new_state: RuntimeState | str,
        *,
        error: JsonObject | None = None,
        owner: str | None = None,
        session: Session | Connection | None = None,
    ) -> Row[Any]:
        """Move a run to ``new_state`` and append it to the run's history, in one transaction; returns its row.

        ``error`` (e.g. ``{"code": 2, "message": "..."}``) replaces the run's error; None clears it. Entering a
        final state sets ``finished_at``; leaving one (a retry) clears it. With ``owner``, refuses with
        ``LeaseLostError`` unless that engine holds the run's lease.
        Raises ``IllegalTransitionError`` for a move the life cycle forbids (e.g. SUCCEEDED -> RUNNING) and
        ``NotFoundError`` for an unknown run.
        """
        target = RuntimeState(new_state)
        runs = t.runs
        with self._write(session) as c:
            row = c.execute(
                select(runs.c.state, runs.c.lease_owner).where(runs.c.id == run_id).with_for_update()
            ).one_or_none()
            if row is None:
                raise NotFoundError("run", run_id)
            if owner is not None and row.lease_owner != owner:
                raise LeaseLostError(
                    f"run {run_id!r} is leased to {row.lease_owner!r}, not {owner!r}; refusing to move it to {target}"
                )
            _check_transition("run", run_id, row.state, target)
            now = utcnow()
            c.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(state=target, error=error, finished_at=now if target in TERMINAL_STATES else None)
            )
            c.execute(insert(t.run_state_history).values(run_id=run_id, state=target, at=now, error=error))
            moved = c.execute(select(runs).where(runs.c.id == run_id)).one()
        _refresh_loaded(session, "Run", run_id)
        return moved

    def reopen_run(self, run_id: str, *, session: Session | Connection | None = None) -> None:
        """Make a FAILED or CANCELED run PENDING again, for an engine to drive (KFP's RetryRun), without a lease.

        CANCELED is final in the transition table; a retry is the one move that reopens it, written here with
        its history row. From any other state this is :meth:`transition_run` (IllegalTransitionError when the
        table forbids it, e.g. from SUCCEEDED).
        """
        runs = t.runs
        with self._write(session) as c:
            state = c.scalar(select(runs.c.state).where(runs.c.id == run_id).with_for_update())
            if state is None:
                raise NotFoundError("run", run_id)
            if state is RuntimeState.CANCELED:
                c.execute(
                    update(runs)
                    .where(runs.c.id == run_id)
                    .values(state=RuntimeState.PENDING, finished_at=None, error=None)
                )
                c.execute(
                    insert(t.run_state_history).values(run_id=run_id, state=RuntimeState.PENDING, at=utcnow())
                )
            else:
                self.transition_run(run_id, RuntimeState.PENDING, session=c)
            # Its old engine let go when it ended; a fresh claim starts clean.
            self.release_run(run_id, session=c)
        _refresh_loaded(session, "Run", run_id)

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
        runs = t.runs
        with self.transaction() as c:
            claimed = c.execute(
                update(runs)
                .where(
                    runs.c.id == run_id,
                    runs.c.state.not_in(TERMINAL_STATES),
                    or_(
                        runs.c.lease_owner.is_(None),
                        runs.c.lease_owner == owner,
                        runs.c.lease_heartbeat_at.is_(None),
                        runs.c.lease_heartbeat_at < now - stale_after,
                    ),
                )
                .values(lease_owner=owner, lease_heartbeat_at=now)
            )
            if claimed.rowcount == 1:
                return True
            if c.scalar(select(runs.c.id).where(runs.c.id == run_id)) is None:
                raise NotFoundError("run", run_id)
            return False

    def heartbeat(self, owner: str, run_ids: Iterable[str] | None = None) -> set[str]:
        """Renew ``owner``'s leases (all of them, or only ``run_ids``); returns the ids it still holds.

        An id missing from the result was claimed by another engine: stop driving that run.
        """
        ids = None if run_ids is None else list(run_ids)
        runs = t.runs
        with self.transaction() as c:
            condition = [runs.c.lease_owner == owner]
            if ids is not None:
                condition.append(runs.c.id.in_(ids))
            c.execute(update(runs).where(*condition).values(lease_heartbeat_at=utcnow()))
            return set(c.scalars(select(runs.c.id).where(*condition)))

    def release_run(
        self, run_id: str, owner: str | None = None, *, session: Session | Connection | None = None
    ) -> bool:
        """Give up ``owner``'s lease on a run (e.g. when it finishes or the engine shuts down cleanly); without
        ``owner``, whoever holds it (the run ended or reopened where no engine drives it)."""
        runs = t.runs
        condition = [runs.c.id == run_id]
        if owner is not None:
            condition.append(runs.c.lease_owner == owner)
        with self._write(session) as c:
            released = c.execute(
                update(runs).where(*condition).values(lease_owner=None, lease_heartbeat_at=None)
            )
        _refresh_loaded(session, "Run", run_id)
        return bool(released.rowcount == 1)

    def find_orphaned_runs(self, stale_after: timedelta) -> list[str]:
        """Ids of runs that need an engine and have no live one, oldest first.

        That is runs PENDING, RUNNING or CANCELING that nobody claimed, whose owner released them, or whose
        owner has not heartbeated for ``stale_after``. Claim each with ``claim_run`` before resuming it.
        """
        cutoff = utcnow() - stale_after
        runs = t.runs
        with self.reading() as c:
            return list(
                c.scalars(
                    select(runs.c.id)
                    .where(
                        runs.c.state.in_(ACTIVE_STATES),
                        or_(
                            runs.c.lease_owner.is_(None),
                            runs.c.lease_heartbeat_at.is_(None),
                            runs.c.lease_heartbeat_at < cutoff,
                        ),
                    )
                    .order_by(runs.c.created_at, runs.c.id)
                )
            )

    def end_unfinished_tasks(
        self, run_id: str, reason: str, *, session: Session | Connection | None = None
    ) -> int:
        """End every task of a run that is not in a final state, because the run ended (its engine stopped):
        tasks that had started FAILED, with ``reason`` as their error; tasks that never started CANCELED.
        Returns how many tasks it ended."""
        tasks = t.tasks
        with self._write(session) as c:
            rows = c.execute(
                select(tasks.c.id, tasks.c.path, tasks.c.state)
                .where(tasks.c.run_id == run_id, tasks.c.state.not_in(TERMINAL_STATES))
                .order_by(tasks.c.path)
                .with_for_update()
            ).all()
            writer = RunWriter(self, run_id)
            now = utcnow()
            for row in rows:
                writer.know_task(row.id, row.path, row.state)
                if row.state is RuntimeState.PENDING:
                    writer.update_task(
                        row.id,
                        state=RuntimeState.CANCELED,
                        message=f"never started: {reason}",
                        error=None,
                        finished_at=now,
                    )
                else:
                    writer.update_task(
                        row.id,
                        state=RuntimeState.FAILED,
                        message=reason,
                        error={"message": reason},
                        finished_at=now,
                    )
            writer.flush(c)
            return len(rows)

    def end_tasks_of_ended_runs(self) -> list[str]:
        """Runs in a final state with tasks that are not (their engine stopped before it could end them,
        e.g. on a full disk): end those tasks (:meth:`end_unfinished_tasks`). Returns the runs' ids."""
        runs, tasks = t.runs, t.tasks
        with self.reading() as c:
            rows = c.execute(
                select(runs.c.id, runs.c.state, runs.c.error)
                .where(
                    runs.c.state.in_(TERMINAL_STATES),
                    exists().where(tasks.c.run_id == runs.c.id, tasks.c.state.not_in(TERMINAL_STATES)),
                )
                .order_by(runs.c.created_at, runs.c.id)
            ).all()
        for run_id, state, run_error in rows:
            detail = (run_error or {}).get("message") if isinstance(run_error, dict) else None
            reason = f"the run ended {state}" + (f": {detail}" if detail else "")
            self.end_unfinished_tasks(run_id, reason)
        return [row[0] for row in rows]

    # -----------------------------------------------------------------------------------------------------------
    # Metadata (ML Metadata's model)
    # -----------------------------------------------------------------------------------------------------------

    def ensure_context(
        self,
        type: str,
        name: str,
        *,
        properties: JsonObject | None = None,
        session: Session | Connection | None = None,
    ) -> str:
        """The id of the context (``type``, ``name``), e.g. ("system.PipelineRun", run id), created if missing.

        Safe when several processes ensure the same context at once. ``properties`` only apply on creation.
        """
        with self._write(session) as c:
            found = _find_context(c, type, name)
            if found is not None:
                return found
            try:
                with c.begin_nested():
                    created = new_id()
                    c.execute(
                        insert(t.contexts).values(
                            id=created,
                            type=type,
                            name=name,
                            properties=properties if properties is not None else {},
                        )
                    )
                return created
            except IntegrityError:
                found = _find_context(c, type, name)
                if found is None:
                    raise
                return found

    def record_run_warnings(self, run_id: str, warnings: list[str]) -> None:
        """Record what the run asks for and its engine does not do (shown with the run)."""
        with self.transaction() as c:
            c.execute(update(t.runs).where(t.runs.c.id == run_id).values(warnings=list(warnings)))

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
        from .models import RecurringRun, RecurringRunFire

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


def _find_default_experiment(connection: Connection) -> str | None:
    experiments = t.experiments
    return connection.scalar(
        select(experiments.c.id)
        .where(experiments.c.namespace == "", experiments.c.name == DEFAULT_EXPERIMENT_NAME)
        .limit(1)
    )


def _find_context(connection: Connection, type: str, name: str) -> str | None:
    contexts = t.contexts
    return connection.scalar(select(contexts.c.id).where(contexts.c.type == type, contexts.c.name == name))


def _refresh_loaded(session: Session | Connection | None, model: str, row_id: str) -> None:
    """After a Core write in an ORM session's transaction: reload that row's object if the session holds one."""
    if session is None or isinstance(session, Connection):
        return
    from sqlalchemy.orm import object_session

    from . import models

    mapped = getattr(models, model)
    loaded = session.identity_map.get(session.identity_key(mapped, row_id))
    if loaded is not None and object_session(loaded) is session:
        session.refresh(loaded)


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
