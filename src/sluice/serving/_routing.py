"""What the router reads on every request: for each deployment, the revisions taking traffic, their share,
and the replicas of each that are ready. The supervisor builds a new table and swaps it in whole, so a
request sees either the old traffic or the new, never a mix."""

from __future__ import annotations

from dataclasses import dataclass

from sluice.serving._upstream import Upstream

__all__ = ["RevisionRoute", "Route", "RoutingTable"]


@dataclass(frozen=True)
class RevisionRoute:
    number: int
    upstreams: tuple[Upstream, ...]  # ready replicas


@dataclass(frozen=True)
class Route:
    deployment_id: str
    namespace: str
    name: str
    current: RevisionRoute | None
    canary: RevisionRoute | None
    canary_percent: int
    # Why nothing may answer yet (e.g. "revision 1 is loading"), for the 503 a client then gets.
    waiting_reason: str = ""
    # Whether waiting can help: a revision is serving (its replicas restart) or loading.
    worth_waiting: bool = True


RoutingTable = dict[tuple[str, str], Route]
