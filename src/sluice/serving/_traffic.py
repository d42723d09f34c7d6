"""Which revisions of a deployment take traffic, which are kept warm, and how each action moves them.

- ``current`` takes all traffic, or ``100 - canary_percent`` of it while a ``canary`` takes the rest.
- ``previous`` (the revision current before the last switch) is kept warm, so rolling back to it is
  instant; the next switch retires it.
- ``pending`` is loading; once every replica is ready it becomes current (``pending_canary_percent`` None)
  or the canary. A revision never takes traffic before that.

Every function takes a :class:`Traffic` and returns the new one; what leaves the warm set is retired
(drained, then stopped) by the supervisor.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sluice.serving._errors import FailedPrecondition, InvalidRequest

__all__ = ["Traffic", "activate", "cancel_pending", "promote", "rollback", "start_pending"]


@dataclass(frozen=True)
class Traffic:
    current: int | None = None
    canary: int | None = None
    canary_percent: int = 0
    previous: int | None = None
    pending: int | None = None
    pending_canary_percent: int | None = None

    @classmethod
    def of(cls, row: Any) -> Traffic:
        """The traffic fields of a ``Deployment`` row."""
        return cls(
            current=row.current_revision,
            canary=row.canary_revision,
            canary_percent=row.canary_percent if row.canary_revision is not None else 0,
            previous=row.previous_revision,
            pending=row.pending_revision,
            pending_canary_percent=row.pending_canary_percent,
        )

    def write(self, row: Any) -> None:
        row.current_revision = self.current
        row.canary_revision = self.canary
        row.canary_percent = self.canary_percent if self.canary is not None else 0
        row.previous_revision = self.previous
        row.pending_revision = self.pending
        row.pending_canary_percent = self.pending_canary_percent

    def warm(self) -> set[int]:
        """Revisions that keep replicas running."""
        return {
            number
            for number in (self.current, self.canary, self.previous, self.pending)
            if number is not None
        }

    def shares(self) -> list[tuple[int, int]]:
        """(revision, percent of requests) for the revisions taking traffic."""
        if self.current is None:
            return [(self.canary, 100)] if self.canary is not None else []
        if self.canary is None or self.canary_percent == 0:
            return [(self.current, 100)]
        return [(self.current, 100 - self.canary_percent), (self.canary, self.canary_percent)]


def check_percent(percent: int) -> int:
    if not 0 < percent < 100:
        raise InvalidRequest(f"a canary takes between 1 and 99 percent of the traffic, not {percent}")
    return percent


def start_pending(traffic: Traffic, number: int, canary_percent: int | None) -> Traffic:
    """A new (or restarted) revision starts loading; it will become current, or the canary."""
    if traffic.pending is not None:
        raise FailedPrecondition(
            f"revision {traffic.pending} is still loading; wait for it, or roll back to cancel it"
        )
    if canary_percent is not None:
        check_percent(canary_percent)
        if traffic.current is None:
            raise FailedPrecondition("there is no current revision yet for a canary to share traffic with")
    return replace(traffic, pending=number, pending_canary_percent=canary_percent)


def activate(traffic: Traffic) -> Traffic:
    """The pending revision is ready: it takes its place."""
    number = traffic.pending
    if number is None:
        return traffic
    if traffic.pending_canary_percent is not None and traffic.current is not None:
        return replace(
            traffic,
            canary=number,
            canary_percent=traffic.pending_canary_percent,
            pending=None,
            pending_canary_percent=None,
        )
    previous = traffic.current if traffic.current != number else traffic.previous
    return Traffic(current=number, previous=previous)


def promote(traffic: Traffic) -> Traffic:
    """The canary takes all the traffic; the revision it replaces is kept warm as ``previous``."""
    if traffic.canary is None:
        raise FailedPrecondition("there is no canary to promote")
    return Traffic(
        current=traffic.canary,
        previous=traffic.current,
        pending=traffic.pending,
        pending_canary_percent=traffic.pending_canary_percent,
    )


def cancel_pending(traffic: Traffic) -> Traffic:
    return replace(traffic, pending=None, pending_canary_percent=None)


def rollback(traffic: Traffic, to: int | None, failed: set[int]) -> tuple[Traffic, bool]:
    """Undo: a loading revision is cancelled; else a canary is dropped; else the previous revision (or
    ``to``) becomes current. Returns the new traffic and whether it needs ``to`` loaded first (a revision no
    longer warm): then it is pending, and the current revision keeps serving until it is ready."""
    if to is None:
        if traffic.pending is not None:
            return cancel_pending(traffic), False
        if traffic.canary is not None:
            return replace(traffic, canary=None, canary_percent=0), False
        if traffic.previous is None:
            raise FailedPrecondition("there is no previous revision to roll back to")
        to = traffic.previous
    if to == traffic.current and traffic.canary is None:
        raise FailedPrecondition(f"revision {to} is already the current revision")
    if to == traffic.canary:
        raise FailedPrecondition(f"revision {to} is the canary: promote it to give it all the traffic")
    if to == traffic.pending:
        raise FailedPrecondition(f"revision {to} is still loading; it takes traffic once it is ready")
    if to in failed:
        raise FailedPrecondition(f"revision {to} failed to load; it cannot take traffic")
    base = cancel_pending(traffic)
    if to == traffic.current:  # dropping the canary
        return replace(base, canary=None, canary_percent=0), False
    if to in base.warm():
        return Traffic(current=to, previous=traffic.current), False
    return replace(base, pending=to, pending_canary_percent=None), True
