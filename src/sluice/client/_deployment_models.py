"""What ``sluice.Client``'s deployment methods return: typed views of the deployments API's JSON (the
whole JSON stays in ``raw``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Deployment", "DeploymentAction", "DeploymentError", "Revision"]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class DeploymentError(Exception):
    """A revision failed to load (the deployment kept serving what it served), or did not load in time."""

    def __init__(self, message: str, deployment: Deployment | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.deployment = deployment


@dataclass(frozen=True)
class Revision:
    number: int
    state: str  # LOADING, READY, FAILED, STOPPED
    role: str  # current, canary, previous, pending, retired
    model_uri: str
    predictor: str
    replicas: int
    ready_replicas: int
    run_id: str | None
    artifact_id: str | None
    error: str | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Revision:
        return cls(
            number=int(data["number"]),
            state=str(data.get("state", "")),
            role=str(data.get("role", "")),
            model_uri=str(data.get("model_uri", "")),
            predictor=str(data.get("predictor", "")),
            replicas=int(data.get("replicas") or 0),
            ready_replicas=int(data.get("ready_replicas") or 0),
            run_id=data.get("run_id"),
            artifact_id=data.get("artifact_id"),
            error=data.get("error"),
            raw=data,
        )


@dataclass(frozen=True)
class Deployment:
    name: str
    namespace: str
    url: str
    state: str  # READY, LOADING, FAILED, UNAVAILABLE
    traffic: dict[int, int]  # revision -> percent
    current_revision: int | None
    canary_revision: int | None
    canary_percent: int
    previous_revision: int | None
    pending_revision: int | None
    revisions: list[Revision]
    created_at: datetime | None
    raw: dict[str, Any] = field(repr=False)

    def revision(self, number: int) -> Revision:
        for revision in self.revisions:
            if revision.number == number:
                return revision
        raise KeyError(f"deployment {self.name!r} has no revision {number}")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        return cls(
            name=str(data.get("name", "")),
            namespace=str(data.get("namespace", "")),
            url=str(data.get("url", "")),
            state=str(data.get("state", "")),
            traffic={int(share["revision"]): int(share["percent"]) for share in data.get("traffic") or []},
            current_revision=data.get("current_revision"),
            canary_revision=data.get("canary_revision"),
            canary_percent=int(data.get("canary_percent") or 0),
            previous_revision=data.get("previous_revision"),
            pending_revision=data.get("pending_revision"),
            revisions=[Revision.from_json(item) for item in data.get("revisions") or []],
            created_at=_time(data.get("created_at")),
            raw=data,
        )


@dataclass(frozen=True)
class DeploymentAction:
    at: datetime | None
    action: str
    revision: int | None
    actor: str
    detail: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeploymentAction:
        return cls(
            at=_time(data.get("at")),
            action=str(data.get("action", "")),
            revision=data.get("revision"),
            actor=str(data.get("actor", "")),
            detail=dict(data.get("detail") or {}),
        )
