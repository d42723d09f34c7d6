"""State vocabularies stored in the database, and which state changes are legal.

Values are the names KFP's v2beta1 API and ML Metadata use, so the REST service can hand them out unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class RuntimeState(StrEnum):
    """State of a run or a task (KFP v2beta1 ``RuntimeState``)."""

    RUNTIME_STATE_UNSPECIFIED = "RUNTIME_STATE_UNSPECIFIED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"
    PAUSED = "PAUSED"

    @property
    def is_terminal(self) -> bool:
        """True for states an engine no longer works on (a retry may still leave FAILED)."""
        return self in TERMINAL_STATES


class StorageState(StrEnum):
    """Whether a run or experiment is shown by default (KFP v2beta1 ``StorageState``)."""

    STORAGE_STATE_UNSPECIFIED = "STORAGE_STATE_UNSPECIFIED"
    AVAILABLE = "AVAILABLE"
    ARCHIVED = "ARCHIVED"


class TaskKind(StrEnum):
    """What a task row stands for in the run's DAG."""

    CONTAINER = "container"
    IMPORTER = "importer"
    DAG = "dag"
    LOOP = "loop"
    LOOP_ITERATION = "loop_iteration"
    CONDITION = "condition"
    EXIT_HANDLER = "exit_handler"


class RecurringRunMode(StrEnum):
    """Whether the scheduler fires a recurring run."""

    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class ArtifactState(StrEnum):
    """ML Metadata ``Artifact.State``."""

    UNKNOWN = "UNKNOWN"
    PENDING = "PENDING"
    LIVE = "LIVE"
    MARKED_FOR_DELETION = "MARKED_FOR_DELETION"
    DELETED = "DELETED"
    ABANDONED = "ABANDONED"
    REFERENCE = "REFERENCE"


class ExecutionState(StrEnum):
    """ML Metadata ``Execution.State``."""

    UNKNOWN = "UNKNOWN"
    NEW = "NEW"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    CACHED = "CACHED"
    CANCELED = "CANCELED"


class EventType(StrEnum):
    """ML Metadata ``Event.Type``: how an execution used an artifact."""

    UNKNOWN = "UNKNOWN"
    DECLARED_OUTPUT = "DECLARED_OUTPUT"
    DECLARED_INPUT = "DECLARED_INPUT"
    INPUT = "INPUT"
    OUTPUT = "OUTPUT"
    INTERNAL_INPUT = "INTERNAL_INPUT"
    INTERNAL_OUTPUT = "INTERNAL_OUTPUT"
    PENDING_OUTPUT = "PENDING_OUTPUT"


class RevisionState(StrEnum):
    """A deployment revision's life: it loads, serves (or is kept warm) while READY, and ends STOPPED or FAILED."""

    LOADING = "LOADING"  # replicas starting, the model loading; takes no traffic yet
    READY = "READY"  # every replica answers; serving, or kept warm for an instant rollback
    FAILED = "FAILED"  # the model or predictor failed to load: the revision never took traffic
    STOPPED = "STOPPED"  # retired (or cancelled): no replicas; a rollback to it starts them again


_S = RuntimeState

TERMINAL_STATES: frozenset[RuntimeState] = frozenset({_S.SUCCEEDED, _S.SKIPPED, _S.FAILED, _S.CANCELED})
"""States in which nothing runs any more."""

ACTIVE_STATES: frozenset[RuntimeState] = frozenset({_S.PENDING, _S.RUNNING, _S.CANCELING})
"""States in which a run needs a live engine (PAUSED waits for a person, not an engine)."""

# One table for runs and tasks: both follow KFP's RuntimeState life cycle.
LEGAL_TRANSITIONS: dict[RuntimeState, frozenset[RuntimeState]] = {
    _S.RUNTIME_STATE_UNSPECIFIED: frozenset(
        {_S.PENDING, _S.RUNNING, _S.SKIPPED, _S.FAILED, _S.CANCELED, _S.PAUSED}
    ),
    # PENDING -> SUCCEEDED is a cache hit: the task never runs.
    _S.PENDING: frozenset(
        {_S.RUNNING, _S.SUCCEEDED, _S.SKIPPED, _S.FAILED, _S.CANCELING, _S.CANCELED, _S.PAUSED}
    ),
    # RUNNING -> PENDING re-queues work whose process died (engine restart, retry of an attempt).
    _S.RUNNING: frozenset({_S.PENDING, _S.SUCCEEDED, _S.FAILED, _S.CANCELING, _S.CANCELED, _S.PAUSED}),
    # A task may finish on its own before the kill lands.
    _S.CANCELING: frozenset({_S.CANCELED, _S.FAILED, _S.SUCCEEDED}),
    _S.PAUSED: frozenset({_S.PENDING, _S.RUNNING, _S.CANCELING, _S.CANCELED, _S.FAILED}),
    # FAILED is final unless someone retries (KFP's RetryRun).
    _S.FAILED: frozenset({_S.PENDING, _S.RUNNING}),
    _S.SUCCEEDED: frozenset(),
    _S.SKIPPED: frozenset(),
    _S.CANCELED: frozenset(),
}


def is_legal_transition(current: RuntimeState, new: RuntimeState) -> bool:
    """Whether a run or task in ``current`` may move to ``new`` (a state never moves to itself)."""
    return new in LEGAL_TRANSITIONS[current]
