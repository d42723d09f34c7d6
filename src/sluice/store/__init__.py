"""Sluice's SQL store: the state the engine, the REST service and the UI share.

Open it with ``Store.open(url)`` (SQLite by default; PostgreSQL and MySQL/MariaDB in production), which migrates
the schema to the newest revision. The schema is the Core tables of ``sluice.store._tables``; the ORM models of
``sluice.store.models`` are mapped over them for the service's queries. A run's tasks and metadata are written
through ``RunWriter`` (batched, checked against the transition table), whoever writes them.
"""

from . import _tables as tables
from ._errors import (
    ConflictError,
    ConstraintError,
    IllegalTransitionError,
    InvalidReferenceError,
    LeaseLostError,
    NotFoundError,
    StoreError,
)
from ._migrate import alembic_config, head_revision
from ._states import (
    ACTIVE_STATES,
    LEGAL_TRANSITIONS,
    TERMINAL_STATES,
    ArtifactState,
    EventType,
    ExecutionState,
    RecurringRunMode,
    RevisionState,
    RuntimeState,
    StorageState,
    TaskKind,
    is_legal_transition,
)
from ._store import DEFAULT_EXPERIMENT_NAME, Store
from ._types import new_id, utcnow
from ._url import redact
from ._writer import RunWriter, check_task_move

__all__ = [
    "ACTIVE_STATES",
    "DEFAULT_EXPERIMENT_NAME",
    "LEGAL_TRANSITIONS",
    "TERMINAL_STATES",
    "ArtifactState",
    "ConflictError",
    "ConstraintError",
    "EventType",
    "ExecutionState",
    "IllegalTransitionError",
    "InvalidReferenceError",
    "LeaseLostError",
    "NotFoundError",
    "RecurringRunMode",
    "RevisionState",
    "RunWriter",
    "RuntimeState",
    "StorageState",
    "Store",
    "StoreError",
    "TaskKind",
    "alembic_config",
    "check_task_move",
    "head_revision",
    "is_legal_transition",
    "new_id",
    "redact",
    "tables",
    "utcnow",
]
