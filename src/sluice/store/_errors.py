"""Errors raised by the store. Every message names the database (password hidden) and the cause."""

from __future__ import annotations

from sluice._errors import SluiceError

from ._states import RuntimeState


class StoreError(SluiceError):
    """A database operation failed: unreachable server, unknown URL scheme, failed migration, ..."""


class NotFoundError(StoreError):
    """A row looked up by id does not exist."""

    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(f"{entity} {entity_id!r} does not exist")
        self.entity = entity
        self.entity_id = entity_id


class IllegalTransitionError(StoreError):
    """A run or task was asked to move to a state its current state cannot reach."""

    def __init__(
        self,
        entity: str,
        entity_id: str,
        current: RuntimeState,
        requested: RuntimeState,
        allowed: frozenset[RuntimeState],
    ) -> None:
        allowed_text = ", ".join(sorted(allowed)) or "none: it is final"
        super().__init__(
            f"{entity} {entity_id!r} cannot move from {current} to {requested} (allowed from {current}: {allowed_text})"
        )
        self.entity = entity
        self.entity_id = entity_id
        self.current = current
        self.requested = requested


class ConstraintError(StoreError):
    """The database refused a write that breaks one of its constraints."""


class ConflictError(ConstraintError):
    """A unique constraint refused a duplicate (a name already taken, a recurring run fired twice, ...)."""


class InvalidReferenceError(ConstraintError):
    """A foreign key refused a row that points at something missing, or a delete that would orphan rows."""


class LeaseLostError(StoreError):
    """An engine wrote to a run it no longer owns: another engine claimed it after its heartbeat went stale."""
