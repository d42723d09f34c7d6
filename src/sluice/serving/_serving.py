"""Model serving as a part of ``sluice up``: the router (mounted at ``/serving``), the supervisor of the
replicas, request metrics, and the deployment actions, started and stopped with the service."""

from __future__ import annotations

from pathlib import Path

from sluice.artifacts import ArtifactStore
from sluice.serving._metrics import ServingMetrics
from sluice.serving._operations import DeploymentService
from sluice.serving._router import ServingRouter
from sluice.serving._routing import RoutingTable
from sluice.serving._supervisor import Supervisor, SupervisorSettings
from sluice.serving._upstream import Upstream
from sluice.store import Store

__all__ = ["ModelServing"]


class ModelServing:
    """Build it with the application (the router must be mounted then); ``start`` it once the store is open."""

    def __init__(self, settings: SupervisorSettings | None = None) -> None:
        self._settings = settings
        self.metrics = ServingMetrics()
        self.router = ServingRouter(self._table, self.metrics, on_broken=self._broken)
        self._supervisor: Supervisor | None = None
        self._deployments: DeploymentService | None = None

    @property
    def deployments(self) -> DeploymentService:
        if self._deployments is None:
            raise RuntimeError("model serving has not started")
        return self._deployments

    def start(self, store: Store, artifacts: ArtifactStore, home: Path) -> None:
        """Restore every deployment from the store: their replicas start in the background."""
        self._supervisor = Supervisor(store, artifacts, home, settings=self._settings)
        self._deployments = DeploymentService(store, artifacts, self._supervisor, self.metrics)
        self._supervisor.start()

    def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.stop()

    def _table(self) -> RoutingTable:
        return self._supervisor.table if self._supervisor is not None else {}

    def _broken(self, upstream: Upstream) -> None:
        if self._supervisor is not None:
            self._supervisor.replica_broken(upstream)
