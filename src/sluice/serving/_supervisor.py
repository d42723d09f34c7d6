"""The replicas of every deployment: started, health-checked, restarted on crash, drained and stopped.

The store says what should run (each deployment's warm revisions and their replica counts); the supervisor
makes it so, from one background thread in ``sluice up``. Each replica is a process of its own
(``sluice.serving._replica``: KServe's ModelServer) on a loopback socket the supervisor bound. Replicas of
a loading revision are checked until every one answers ready, then the revision takes its place in the
store and in the routing table. A replica that exits is taken out of the table at once and started again
(1 s, then doubling up to 30 s between attempts); one that stops answering health checks is killed and
restarted. A retired replica is drained: it leaves the table, its in-flight requests finish (up to
``drain_timeout_s``), then it gets SIGTERM (KServe's uvicorn finishes what it has) and SIGKILL if it lingers.

On start the supervisor restores every deployment from the store, so a deployment outlives ``sluice up``.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sluice.artifacts import ArtifactStore
from sluice.serving._predictors import PredictorSpec
from sluice.serving._processes import ReplicaProcess, Zygote
from sluice.serving._routing import RevisionRoute, Route, RoutingTable
from sluice.serving._traffic import Traffic, activate
from sluice.serving._upstream import Upstream
from sluice.store import RevisionState, Store, utcnow
from sluice.store.models import Deployment, DeploymentAction, DeploymentRevision

__all__ = ["ReplicaStatus", "Supervisor", "SupervisorSettings"]

_log = logging.getLogger("sluice.serving")

SYSTEM_ACTOR = "sluice"


@dataclass(frozen=True)
class SupervisorSettings:
    tick_s: float = 0.1
    probe_timeout_s: float = 1.0
    health_interval_s: float = 2.0
    health_failures: int = 3  # consecutive failed checks before a replica is killed and restarted
    load_timeout_s: float = 600.0  # a replica that is not ready by then counts as failed to load
    restart_backoff_s: float = 1.0
    max_restart_backoff_s: float = 30.0
    drain_min_s: float = 0.5  # requests that chose a replica just before it was retired get to arrive
    drain_timeout_s: float = 30.0
    stop_grace_s: float = 10.0


@dataclass(frozen=True)
class _RevisionPlan:
    """What the store says one warm revision needs."""

    revision_id: str
    number: int
    model_uri: str
    predictor: dict[str, Any]
    replicas: int
    resources: dict[str, Any]
    state: RevisionState


@dataclass(frozen=True)
class _DeploymentPlan:
    id: str
    namespace: str
    name: str
    traffic: Traffic
    revisions: dict[int, _RevisionPlan]  # the warm ones
    last_failure: str | None = None


@dataclass(frozen=True)
class ReplicaStatus:
    """A replica as the API shows it."""

    index: int
    state: str  # starting, ready, restarting, draining
    pid: int | None
    port: int | None
    restarts: int
    last_error: str | None


@dataclass(eq=False)
class _Replica:
    index: int
    process: ReplicaProcess | None = None
    upstream: Upstream | None = None
    ready: bool = False
    started_at: float = 0.0
    restarts: int = 0
    restart_at: float | None = 0.0  # when to (re)start it; None while it runs
    last_error: str | None = None
    health_failures: int = 0
    next_health_at: float = 0.0
    draining_since: float | None = None
    terminated_at: float | None = None
    error_file: Path | None = None
    resources: Any = None  # the ResourceRequest taken from the capacity
    gpus: list[int] = field(default_factory=list)

    def status(self) -> ReplicaStatus:
        if self.draining_since is not None:
            state = "draining"
        elif self.ready:
            state = "ready"
        elif self.process is None:
            state = "restarting" if self.restarts else "starting"
        else:
            state = "starting"
        return ReplicaStatus(
            index=self.index,
            state=state,
            pid=self.process.pid if self.process is not None else None,
            port=self.upstream.port if self.upstream is not None else None,
            restarts=self.restarts,
            last_error=self.last_error,
        )


@dataclass(eq=False)
class _RevisionRuntime:
    deployment_id: str
    namespace: str
    name: str
    plan: _RevisionPlan
    replicas: list[_Replica] = field(default_factory=list)
    ever_ready: bool = False
    failed: bool = False

    def serving(self) -> list[_Replica]:
        return [replica for replica in self.replicas if replica.draining_since is None]


class Supervisor:
    """Owns every replica process of every deployment on this ``sluice up``."""

    def __init__(
        self,
        store: Store,
        artifacts: ArtifactStore,
        home: Path,
        *,
        settings: SupervisorSettings | None = None,
        python: str = sys.executable,
    ) -> None:
        from sluice.engine import detect_capacity

        self._store = store
        self._artifacts = artifacts
        self._folder = home / "serving"
        self._settings = settings or SupervisorSettings()
        self._python = python
        self._capacity = detect_capacity()
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sluice-serving", daemon=True)
        self._plans: dict[str, _DeploymentPlan] = {}
        self._runtimes: dict[tuple[str, int], _RevisionRuntime] = {}
        self._table: RoutingTable = {}
        self._zygote = Zygote(python, self._folder / "zygote.log")
        self.on_retired: Callable[[str], None] = lambda deployment_id: None

    # ------------------------------------------------------------------------------------------ public

    @property
    def table(self) -> RoutingTable:
        return self._table

    def start(self) -> None:
        """Restore every deployment from the store and start supervising."""
        with self._store.read_session() as session:
            ids = list(session.scalars(select(Deployment.id)))
        for deployment_id in ids:
            self.refresh(deployment_id)
        self._thread.start()

    def stop(self) -> None:
        """Stop every replica (SIGTERM, then SIGKILL after the grace period) and the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(10)
        with self._lock:
            replicas = [replica for runtime in self._runtimes.values() for replica in runtime.replicas]
            self._table = {}
        for replica in replicas:
            if replica.upstream is not None:
                replica.upstream.retire()
            if replica.process is not None and replica.process.poll() is None:
                replica.process.signal(signal.SIGTERM)
        deadline = time.monotonic() + self._settings.stop_grace_s
        for replica in replicas:
            if (
                replica.process is not None
                and replica.process.wait(max(0.0, deadline - time.monotonic())) is None
            ):
                replica.process.signal(signal.SIGKILL)
                replica.process.wait(5)
        self._zygote.close()

    def refresh(self, deployment_id: str) -> None:
        """Read the deployment from the store again and apply it: traffic at once (the routing table is
        swapped before this returns), replicas started or drained by the supervisor's thread."""
        # Read under the lock: a refresh that read the store earlier must not apply its older view later.
        with self._lock, self._store.read_session() as session:
            plan = _load_plan(session, deployment_id)
            if plan is None:
                self._plans.pop(deployment_id, None)
            else:
                self._plans[deployment_id] = plan
            self._reconcile(deployment_id)
            self._publish()
        self._wake.set()

    def replica_broken(self, upstream: Upstream) -> None:
        """The router could not reach this replica: check it now."""
        self._wake.set()

    def replicas(self, deployment_id: str) -> dict[int, list[ReplicaStatus]]:
        """Each running revision's replicas, by revision number."""
        with self._lock:
            return {
                number: [replica.status() for replica in runtime.replicas]
                for (owner, number), runtime in self._runtimes.items()
                if owner == deployment_id
            }

    # ------------------------------------------------------------------------------------------ planning

    def _reconcile(self, deployment_id: str) -> None:
        """Match the runtimes of one deployment to its plan (under the lock)."""
        now = time.monotonic()
        plan = self._plans.get(deployment_id)
        wanted = plan.revisions if plan is not None else {}
        for (owner, number), runtime in list(self._runtimes.items()):
            if owner == deployment_id and number not in wanted:
                for replica in runtime.replicas:
                    self._drain(replica, now)
        if plan is None:
            return
        for number, revision in wanted.items():
            existing = self._runtimes.get((deployment_id, number))
            if existing is None or existing.plan.revision_id != revision.revision_id:
                if existing is not None:
                    for replica in existing.replicas:
                        self._drain(replica, now)
                runtime = _RevisionRuntime(deployment_id, plan.namespace, plan.name, revision)
                self._runtimes[(deployment_id, number)] = runtime
            else:
                runtime = existing
            if runtime.plan.state != revision.state and revision.state == RevisionState.LOADING:
                runtime.failed = False  # loading again (a rollback to it): a fresh chance
                runtime.ever_ready = False
            runtime.plan = revision
            serving = runtime.serving()
            if len(serving) < revision.replicas:
                used = {replica.index for replica in runtime.replicas}
                for _ in range(revision.replicas - len(serving)):
                    index = next(candidate for candidate in range(len(used) + 1) if candidate not in used)
                    used.add(index)
                    runtime.replicas.append(_Replica(index=index, restart_at=now))
            elif len(serving) > revision.replicas:
                # Keep the ready ones, the lowest indexes first.
                ranked = sorted(serving, key=lambda replica: (not replica.ready, replica.index))
                for replica in ranked[revision.replicas :]:
                    self._drain(replica, now)

    def _drain(self, replica: _Replica, now: float) -> None:
        if replica.draining_since is not None:
            return
        replica.draining_since = now
        replica.restart_at = None
        if replica.upstream is not None:
            replica.upstream.retired = True  # the router stops choosing it; connections close after use

    def _publish(self) -> None:
        """Build and swap in a new routing table from the plans and the ready replicas (under the lock)."""
        table: RoutingTable = {}
        for plan in self._plans.values():
            traffic = plan.traffic
            table[(plan.namespace, plan.name)] = Route(
                deployment_id=plan.id,
                namespace=plan.namespace,
                name=plan.name,
                current=self._revision_route(plan.id, traffic.current),
                canary=self._revision_route(plan.id, traffic.canary),
                canary_percent=traffic.canary_percent,
                waiting_reason=self._waiting_reason(plan),
                worth_waiting=traffic.current is not None or traffic.pending is not None,
            )
        self._table = table

    def _revision_route(self, deployment_id: str, number: int | None) -> RevisionRoute | None:
        if number is None:
            return None
        runtime = self._runtimes.get((deployment_id, number))
        upstreams: tuple[Upstream, ...] = ()
        if runtime is not None:
            upstreams = tuple(
                replica.upstream
                for replica in runtime.serving()
                if replica.ready and replica.upstream is not None
            )
        return RevisionRoute(number, upstreams)

    def _waiting_reason(self, plan: _DeploymentPlan) -> str:
        traffic = plan.traffic
        if traffic.current is None:
            if traffic.pending is not None:
                return f"revision {traffic.pending} is still loading"
            if plan.last_failure:
                return f"no revision serves it (the last one failed to load: {plan.last_failure})"
            return "no revision serves it"
        runtime = self._runtimes.get((plan.id, traffic.current))
        errors = [replica.last_error for replica in runtime.replicas if replica.last_error] if runtime else []
        suffix = f": {errors[-1]}" if errors else ""
        return f"revision {traffic.current} has no ready replica (restarting{suffix})"

    # ------------------------------------------------------------------------------------------ the loop

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._settings.tick_s)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self._tick()
            except Exception:
                _log.exception("serving supervisor: a check failed; trying again")

    def _tick(self) -> None:
        now = time.monotonic()
        probes: list[tuple[_RevisionRuntime, _Replica]] = []
        failures: list[tuple[_RevisionRuntime, str]] = []
        with self._lock:
            changed = False
            for key, runtime in list(self._runtimes.items()):
                for replica in list(runtime.replicas):
                    outcome = self._check_process(runtime, replica, now)
                    if outcome == "changed":
                        changed = True
                    elif outcome == "probe":
                        probes.append((runtime, replica))
                    elif isinstance(outcome, tuple):
                        failures.append((runtime, outcome[1]))
                        changed = True
                if not runtime.replicas and all(
                    key != (plan.id, number) for plan in self._plans.values() for number in plan.revisions
                ):
                    del self._runtimes[key]
            if changed:
                self._publish()
        for runtime, error in failures:
            self._fail_revision(runtime, error)
        results = [(runtime, replica, self._is_ready(runtime, replica)) for runtime, replica in probes]
        with self._lock:
            changed = False
            for runtime, replica, ready in results:
                changed |= self._apply_probe(runtime, replica, ready, now)
            if changed:
                self._publish()
            pending = [
                (plan.id, plan.traffic.pending)
                for plan in self._plans.values()
                if plan.traffic.pending is not None and self._all_ready(plan.id, plan.traffic.pending)
            ]
        for deployment_id, number in pending:
            assert number is not None
            self._activate(deployment_id, number)

    def _all_ready(self, deployment_id: str, number: int) -> bool:
        runtime = self._runtimes.get((deployment_id, number))
        if runtime is None or runtime.failed:
            return False
        serving = runtime.serving()
        return len(serving) >= runtime.plan.replicas and all(replica.ready for replica in serving)

    def _check_process(self, runtime: _RevisionRuntime, replica: _Replica, now: float) -> Any:
        """One replica's turn: start, notice an exit, drain, or ask for a readiness probe."""
        settings = self._settings
        if replica.process is None:
            if replica.draining_since is not None:
                runtime.replicas.remove(replica)
                return "changed"
            if replica.restart_at is not None and now >= replica.restart_at and not runtime.failed:
                zygote = self._zygote.state()
                if zygote == "starting":
                    return None  # the replica starts once the zygote has imported KServe
                error = self._zygote.error if zygote == "unavailable" else self._spawn(runtime, replica, now)
                if error is not None:
                    return self._exited(runtime, replica, error, now)
            return None
        code = replica.process.poll()
        if code is not None:
            self._release(replica)
            self._zygote.forget(replica.process.pid)
            error = _read_error(replica.error_file) or _exit_reason(code)
            replica.process = None
            if replica.upstream is not None:
                replica.upstream.retire()
            if replica.draining_since is not None:
                runtime.replicas.remove(replica)
                return "changed"
            return self._exited(runtime, replica, error, now)
        if replica.draining_since is not None:
            in_flight = replica.upstream.in_flight if replica.upstream is not None else 0
            waited = now - replica.draining_since
            if replica.terminated_at is None:
                if (in_flight == 0 and waited >= settings.drain_min_s) or waited >= settings.drain_timeout_s:
                    replica.terminated_at = now
                    replica.process.signal(signal.SIGTERM)
            elif now - replica.terminated_at >= settings.stop_grace_s:
                replica.process.signal(signal.SIGKILL)
            return None
        if not replica.ready:
            if now - replica.started_at >= settings.load_timeout_s:
                replica.last_error = f"not ready after {settings.load_timeout_s:g}s"
                replica.process.signal(signal.SIGKILL)
                return None
            return "probe"
        broken = replica.upstream is not None and replica.upstream.broken
        if broken or now >= replica.next_health_at:
            return "probe"
        return None

    def _exited(self, runtime: _RevisionRuntime, replica: _Replica, error: str, now: float) -> Any:
        was_ready = replica.ready
        replica.ready = False
        replica.last_error = error
        if runtime.plan.state == RevisionState.LOADING and not runtime.ever_ready:
            runtime.failed = True
            for other in runtime.replicas:
                self._drain(other, now)
            return ("failed", error)
        delay = min(
            self._settings.max_restart_backoff_s,
            self._settings.restart_backoff_s * 2 ** min(replica.restarts, 10),
        )
        replica.restarts += 1
        replica.restart_at = now + delay
        _log.warning(
            "serving: replica %d of %s revision %d %s (%s); restarting in %.0fs",
            replica.index,
            runtime.name,
            runtime.plan.number,
            "crashed" if was_ready else "failed to start",
            error,
            delay,
        )
        return "changed"

    def _apply_probe(self, runtime: _RevisionRuntime, replica: _Replica, ready: bool, now: float) -> bool:
        if replica.process is None or replica.draining_since is not None:
            return False
        replica.next_health_at = now + self._settings.health_interval_s
        upstream = replica.upstream
        if ready:
            replica.health_failures = 0
            if not replica.ready:
                replica.ready = True
                runtime.ever_ready = True
                replica.last_error = None
                return True
            if upstream is not None and upstream.broken:
                upstream.broken = False  # it answers after all (a connection was reset)
                return True
            return False
        if not replica.ready:
            return False
        replica.health_failures += 1
        if (
            upstream is not None and upstream.broken
        ) or replica.health_failures >= self._settings.health_failures:
            replica.last_error = "stopped answering health checks"
            replica.process.signal(signal.SIGKILL)  # its exit is noticed, and it restarts, on the next turn
        return False

    def _is_ready(self, runtime: _RevisionRuntime, replica: _Replica) -> bool:
        upstream = replica.upstream
        if upstream is None:
            return False
        connection = http.client.HTTPConnection(
            "127.0.0.1", upstream.port, timeout=self._settings.probe_timeout_s
        )
        try:
            connection.request("GET", f"/v2/models/{runtime.name}/ready")
            return connection.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    # ------------------------------------------------------------------------------------------ processes

    def _spawn(self, runtime: _RevisionRuntime, replica: _Replica, now: float) -> str | None:
        """Start a replica process; the reason it cannot start, or None."""
        from sluice.engine import parse_cpu, parse_memory, resource_request

        plan = runtime.plan
        folder = self._folder / runtime.deployment_id / f"r{plan.number}"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            model_path = self._artifacts.download(plan.model_uri)
            predictor = PredictorSpec.from_json(plan.predictor)
            predictor_file = None
            if predictor.file is not None and ("://" in predictor.file or predictor.file.startswith("/")):
                predictor_file = self._artifacts.download(predictor.file)
        except Exception as error:
            return f"cannot fetch the model {plan.model_uri}: {error}"
        resources = plan.resources or {}
        try:
            request = self._capacity.clamp(
                resource_request(
                    cpu=parse_cpu(str(resources["cpu"])) if resources.get("cpu") else 0.0,
                    memory=parse_memory(str(resources["memory"])) if resources.get("memory") else 0.0,
                    gpus=int(resources.get("gpus") or 0),
                )
            )
        except ValueError as error:
            return str(error)
        if not self._capacity.fits(request):
            capacity = self._capacity
            return (
                f"not enough free resources for a replica asking {resources}: free now {capacity.cpu:g} CPUs, "
                f"{capacity.memory / 2**30:.1f} GiB memory, {len(capacity.gpus)} of {capacity.total_gpus} GPUs"
            )
        replica.error_file = folder / f"replica-{replica.index}.error"
        with contextlib.suppress(FileNotFoundError):
            replica.error_file.unlink()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(("127.0.0.1", 0))
            port = int(listener.getsockname()[1])
            spec = {
                "name": runtime.name,
                "revision": plan.number,
                "model_path": str(model_path),
                "predictor": plan.predictor,
                "predictor_file": str(predictor_file) if predictor_file is not None else None,
                "error_file": str(replica.error_file),
            }
            gpus = self._capacity.take(request)
            env = dict(os.environ)
            if request.gpus:
                env["CUDA_VISIBLE_DEVICES"] = ",".join(str(index) for index in gpus)
            try:
                replica.process = self._zygote.spawn(
                    spec, listener, folder / f"replica-{replica.index}.log", folder, env
                )
            except OSError:
                self._capacity.give_back(request, gpus)
                raise
        except OSError as error:
            return f"cannot start a replica process: {error}"
        finally:
            listener.close()
        replica.resources, replica.gpus = request, gpus
        replica.upstream = Upstream(port)
        replica.started_at = now
        replica.restart_at = None
        replica.ready = False
        replica.health_failures = 0
        replica.terminated_at = None
        return None

    def _release(self, replica: _Replica) -> None:
        if replica.resources is not None:
            self._capacity.give_back(replica.resources, replica.gpus)
            replica.resources, replica.gpus = None, []

    # ------------------------------------------------------------------------------------------ store

    def _activate(self, deployment_id: str, number: int) -> None:
        """A loading revision is ready: it takes its place, in the store and then in the routing table."""
        with self._store.session() as session:
            deployment = session.get(Deployment, deployment_id, with_for_update=True)
            if deployment is None or deployment.pending_revision != number:
                return
            before = Traffic.of(deployment)
            after = activate(before)
            after.write(deployment)
            revisions = {revision.number: revision for revision in deployment.revisions}
            revisions[number].state = RevisionState.READY
            revisions[number].ready_at = utcnow()
            revisions[number].error = None
            _stop_retired(revisions, before.warm() - after.warm())
            detail: dict[str, Any] = {"traffic": [list(share) for share in after.shares()]}
            session.add(
                DeploymentAction(
                    deployment_id=deployment_id,
                    action="ready",
                    revision=number,
                    actor=SYSTEM_ACTOR,
                    detail=detail,
                )
            )
        _log.info("serving: revision %d of deployment %s is ready and takes traffic", number, deployment_id)
        self.refresh(deployment_id)

    def _fail_revision(self, runtime: _RevisionRuntime, error: str) -> None:
        """A loading revision's replica could not load the model: the revision failed, traffic unchanged."""
        number = runtime.plan.number
        with self._store.session() as session:
            deployment = session.get(Deployment, runtime.deployment_id, with_for_update=True)
            if deployment is None:
                return
            revision = session.scalars(
                select(DeploymentRevision).where(
                    DeploymentRevision.deployment_id == runtime.deployment_id,
                    DeploymentRevision.number == number,
                )
            ).first()
            if revision is None or revision.state != RevisionState.LOADING:
                return
            revision.state = RevisionState.FAILED
            revision.error = error
            revision.stopped_at = utcnow()
            if deployment.pending_revision == number:
                deployment.pending_revision = None
                deployment.pending_canary_percent = None
            elif deployment.current_revision == number:  # a deployment's first revision, after a restart
                deployment.current_revision = None
            session.add(
                DeploymentAction(
                    deployment_id=runtime.deployment_id,
                    action="failed",
                    revision=number,
                    actor=SYSTEM_ACTOR,
                    detail={"error": error},
                )
            )
        _log.warning("serving: revision %d of %s failed to load: %s", number, runtime.name, error)
        self.refresh(runtime.deployment_id)


def _stop_retired(revisions: dict[int, DeploymentRevision], retired: set[int]) -> None:
    for number in retired:
        revision = revisions.get(number)
        if revision is not None and revision.state in (RevisionState.READY, RevisionState.LOADING):
            revision.state = RevisionState.STOPPED
            revision.stopped_at = utcnow()


def stop_retired(revisions: dict[int, DeploymentRevision], retired: set[int]) -> None:
    """Mark revisions that left the warm set STOPPED (for the operations' transactions)."""
    _stop_retired(revisions, retired)


def _load_plan(session: Any, deployment_id: str) -> _DeploymentPlan | None:
    deployment = session.get(Deployment, deployment_id)
    if deployment is None:
        return None
    traffic = Traffic.of(deployment)
    warm = traffic.warm()
    revisions = {}
    last_failure = None
    for revision in deployment.revisions:
        if revision.state == RevisionState.FAILED:
            last_failure = revision.error
        if revision.number in warm and revision.state != RevisionState.FAILED:
            revisions[revision.number] = _RevisionPlan(
                revision_id=revision.id,
                number=revision.number,
                model_uri=revision.model_uri,
                predictor=dict(revision.predictor or {}),
                replicas=revision.replicas,
                resources=dict(revision.resources or {}),
                state=revision.state,
            )
    return _DeploymentPlan(
        id=deployment.id,
        namespace=deployment.namespace,
        name=deployment.name,
        traffic=traffic,
        revisions=revisions,
        last_failure=last_failure,
    )


def _read_error(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    return text or None


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the model server was killed ({name})"
    return f"the model server exited with status {code}"
