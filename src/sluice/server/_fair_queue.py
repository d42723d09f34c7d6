"""The server's fair queue: one arbiter of the machine's GPUs, CPUs and memory for every run it executes,
with per-namespace quotas.

Each run's engine takes resources through a :class:`RunShare` (a ``Capacity`` bound to the run): a task
asks (``fits_task``) every turn of its run's loop and starts when the arbiter has chosen it. The choice
(``FairQueue.decide``, recomputed only when something changed) is dominant-resource fairness (DRF):

1. A task that does not fit its namespace's quota waits, with the quota in the reason.
2. The others are granted in turns: the namespace whose dominant share (its largest fraction of the
   machine's GPUs, CPUs or memory, counting what it already holds) is smallest goes next, and within a
   namespace the task that asked first. Each grant raises that namespace's share before the next turn.
3. A task that does not fit in what is free keeps its place and reserves what it needs: nothing later
   takes those resources, so a large task is never starved by a stream of small ones. So a GPU may stay
   idle only while it is reserved for the task first in line.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sluice.auth import Quota
from sluice.engine import Capacity
from sluice.engine._resources import Request

__all__ = ["FairQueue", "RunShare"]

_EPSILON = 1e-9


@dataclass
class _Ask:
    key: str
    run_id: str
    namespace: str
    user: str
    name: str
    request: Request
    order: int  # when it first asked: first come, first served within a namespace


@dataclass
class _Held:
    key: str
    run_id: str
    namespace: str
    user: str
    name: str
    request: Request
    gpus: list[int]


@dataclass
class _Use:
    gpus: int = 0
    cpu: float = 0.0
    memory: float = 0.0
    tasks: int = 0

    def add(self, request: Request, sign: int = 1) -> None:
        self.gpus += sign * request.gpus
        self.cpu += sign * request.cpu
        self.memory += sign * request.memory
        self.tasks += sign


@dataclass
class _Decision:
    explained: bool = False
    granted: set[str] = field(default_factory=set)
    reasons: dict[str, str] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)


def _quota_reason(namespace: str, quota: Quota, use: _Use, request: Request) -> str | None:
    if quota.gpus is not None and request.gpus and use.gpus + request.gpus > quota.gpus:
        return f"waiting for {namespace}'s GPU quota: {use.gpus} of {quota.gpus} in use"
    if quota.cpus is not None and request.cpu and use.cpu + request.cpu > quota.cpus + _EPSILON:
        return f"waiting for {namespace}'s CPU quota: {use.cpu:g} of {quota.cpus:g} in use"
    if quota.memory_bytes is not None and request.memory and use.memory + request.memory > quota.memory_bytes:
        return (
            f"waiting for {namespace}'s memory quota: {use.memory / 2**30:.1f} of "
            f"{quota.memory_bytes / 2**30:.1f} GiB in use"
        )
    if quota.running_tasks is not None and use.tasks + 1 > quota.running_tasks:
        return f"waiting for {namespace}'s running-task quota: {use.tasks} of {quota.running_tasks} running"
    return None


class FairQueue:
    """Shared by every run of one server. Thread-safe: each run's engine calls it from its own thread."""

    def __init__(self, capacity: Capacity, quotas: Callable[[], dict[str, Quota]] | None = None) -> None:
        self._lock = threading.Lock()
        self._total = capacity
        self._free_gpus = list(capacity.gpus)
        self._free_cpu = capacity.cpu
        self._free_memory = capacity.memory
        self._load_quotas = quotas or dict
        self._quotas: dict[str, Quota] = {}
        self._asks: dict[str, _Ask] = {}
        self._held: dict[str, _Held] = {}
        self._use: dict[str, _Use] = defaultdict(_Use)
        self._order = itertools.count()
        self._decision: _Decision | None = None

    # ------------------------------------------------------------------------------------------- for runs

    def share_for(self, run_id: str, namespace: str, user: str = "") -> RunShare:
        """The capacity a run's engine takes from."""
        self.refresh_quotas()
        return RunShare(self, run_id, namespace, user)

    def refresh_quotas(self) -> None:
        quotas = self._load_quotas()
        with self._lock:
            self._quotas = quotas
            self._decision = None

    def run_quota(self, namespace: str) -> int | None:
        """How many runs of the namespace may run at once (None: no limit)."""
        with self._lock:
            quota = self._quotas.get(namespace)
        return quota.running_runs if quota is not None else None

    def ask(  # noqa: PLR0917  (the task's coordinates)
        self, run_id: str, namespace: str, user: str, key: str, name: str, request: Request
    ) -> bool:
        """Whether the task may start now; it keeps its place in line until it starts or its run ends."""
        with self._lock:
            if key not in self._asks:
                self._asks[key] = _Ask(key, run_id, namespace, user, name, request, next(self._order))
                self._decision = None
            return key in self._decide().granted

    def take(self, key: str) -> list[int]:
        """Hand the chosen task its resources (its GPUs' indices)."""
        with self._lock:
            ask = self._asks.pop(key)
            request = ask.request
            gpus, self._free_gpus = self._free_gpus[: request.gpus], self._free_gpus[request.gpus :]
            self._free_cpu -= request.cpu
            self._free_memory -= request.memory
            self._held[key] = _Held(key, ask.run_id, ask.namespace, ask.user, ask.name, request, gpus)
            self._use[ask.namespace].add(request)
            self._decision = None
            return gpus

    def give_back(self, key: str) -> None:
        with self._lock:
            held = self._held.pop(key, None)
            if held is None:
                return
            self._free_gpus = sorted(self._free_gpus + held.gpus)
            self._free_cpu += held.request.cpu
            self._free_memory += held.request.memory
            self._use[held.namespace].add(held.request, -1)
            self._decision = None

    def forget_run(self, run_id: str) -> None:
        """The run ended: its tasks leave the line (and give back anything still held)."""
        with self._lock:
            for key in [key for key, ask in self._asks.items() if ask.run_id == run_id]:
                del self._asks[key]
            self._decision = None
        for key in [key for key, held in list(self._held.items()) if held.run_id == run_id]:
            self.give_back(key)

    # ------------------------------------------------------------------------------------------- deciding

    def decide(self) -> set[str]:
        """The tasks that may start now (for the benchmark; ``ask`` uses the same cached decision)."""
        with self._lock:
            self._decision = None
            return set(self._decide().granted)

    def _decide(self, *, explain: bool = False) -> _Decision:
        """Progressive filling: grant in turns to the namespace of smallest dominant share. Cached until
        something changes; ``explain`` also words every wait (for listings, not for each task's ask)."""
        if self._decision is not None and (self._decision.explained or not explain):
            return self._decision
        decision = _Decision(explained=explain)
        lines: dict[str, list[_Ask]] = defaultdict(list)
        for ask in self._asks.values():  # in the order they asked: first come, first served
            lines[ask.namespace].append(ask)
        total = self._total
        per_gpu = 1 / total.total_gpus if total.total_gpus else 0.0
        per_cpu = 1 / total.total_cpu if total.total_cpu else 0.0
        per_byte = 1 / total.total_memory if total.total_memory else 0.0
        free_gpus, free_cpu, free_memory = len(self._free_gpus), self._free_cpu, self._free_memory
        no_quota = Quota()
        heap: list[tuple[float, int, str]] = []
        use: dict[str, list[float]] = {}
        quotas: dict[str, Quota] = {}
        for namespace, line in lines.items():
            held = self._use.get(namespace) or _Use()
            use[namespace] = [held.gpus, held.cpu, held.memory, held.tasks]
            quotas[namespace] = self._quotas.get(namespace, no_quota)
            share = max(held.gpus * per_gpu, held.cpu * per_cpu, held.memory * per_byte)
            heap.append((share, line[0].order, namespace))
        heapq.heapify(heap)
        heads = dict.fromkeys(lines, 0)
        position = 0
        granted = decision.granted
        positions = decision.positions
        while heap:
            namespace = heapq.heappop(heap)[2]
            line = lines[namespace]
            index = heads[namespace]
            ask = line[index]
            heads[namespace] = index + 1
            counts = use[namespace]
            request = ask.request
            gpus, cpu, memory = request.gpus, request.cpu, request.memory
            quota = quotas[namespace]
            position += 1
            positions[ask.key] = position
            within_quota = (
                (quota.gpus is None or not gpus or counts[0] + gpus <= quota.gpus)
                and (quota.cpus is None or not cpu or counts[1] + cpu <= quota.cpus + _EPSILON)
                and (quota.memory_bytes is None or not memory or counts[2] + memory <= quota.memory_bytes)
                and (quota.running_tasks is None or counts[3] + 1 <= quota.running_tasks)
            )
            if within_quota:
                # Only what it asks for counts: a CPU-only task never waits for GPUs reserved ahead of it.
                if (
                    (not gpus or gpus <= free_gpus)
                    and (not cpu or cpu <= free_cpu + _EPSILON)
                    and (not memory or memory <= free_memory)
                ):
                    granted.add(ask.key)
                    counts[0] += gpus
                    counts[1] += cpu
                    counts[2] += memory
                    counts[3] += 1
                elif explain:
                    decision.reasons[ask.key] = self._machine_reason(
                        request, free_gpus, free_cpu, free_memory
                    )
                # Granted or waiting in line, its resources are spoken for: later tasks cannot take them.
                free_gpus -= gpus
                free_cpu -= cpu
                free_memory -= memory
            elif explain:
                held = _Use(int(counts[0]), counts[1], counts[2], int(counts[3]))
                decision.reasons[ask.key] = (
                    _quota_reason(namespace, quota, held, request) or "waiting for its quota"
                )
            if index + 1 < len(line):
                share = max(counts[0] * per_gpu, counts[1] * per_cpu, counts[2] * per_byte)
                heapq.heappush(heap, (share, line[index + 1].order, namespace))
        self._decision = decision
        return decision

    def _holders(self, what: Callable[[Request], float]) -> str:
        names = sorted({held.namespace for held in self._held.values() if what(held.request)})
        return ", ".join(name or "(no namespace)" for name in names) or "tasks ahead in line"

    def _machine_reason(self, request: Request, free_gpus: int, free_cpu: float, free_memory: float) -> str:
        total = self._total
        if request.gpus > free_gpus:
            in_use = total.total_gpus - len(self._free_gpus)
            if in_use < total.total_gpus:
                return f"waiting for a free GPU: tasks ahead in line (fair share) take the {total.total_gpus - in_use} free"
            return (
                f"waiting for a free GPU: {in_use} of {total.total_gpus} in use by "
                f"{self._holders(lambda r: r.gpus)}"
            )
        if request.cpu > free_cpu + _EPSILON:
            return (
                f"waiting for free CPU: {total.total_cpu - self._free_cpu:g} of {total.total_cpu:g} in use by "
                f"{self._holders(lambda r: r.cpu)}"
            )
        return (
            f"waiting for free memory: {(total.total_memory - self._free_memory) / 2**30:.1f} of "
            f"{total.total_memory / 2**30:.1f} GiB in use by {self._holders(lambda r: r.memory)}"
        )

    # ------------------------------------------------------------------------------------------- listing

    def snapshot(self, namespaces: Iterable[str] | None = None) -> dict[str, Any]:
        """Per namespace and user: running tasks with what they hold, pending ones with reason and position."""
        wanted = set(namespaces) if namespaces is not None else None
        with self._lock:
            decision = self._decide(explain=True)
            groups: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(
                lambda: {"running": [], "pending": []}
            )
            for held in self._held.values():
                if wanted is None or held.namespace in wanted:
                    groups[held.namespace, held.user]["running"].append(
                        {
                            "run_id": held.run_id,
                            "task": held.name,
                            "gpus": held.request.gpus,
                            "gpu_indices": held.gpus,
                            "cpu": held.request.cpu,
                            "memory_bytes": held.request.memory,
                        }
                    )
            for ask in sorted(self._asks.values(), key=lambda a: decision.positions.get(a.key, 10**9)):
                if wanted is None or ask.namespace in wanted:
                    groups[ask.namespace, ask.user]["pending"].append(
                        {
                            "run_id": ask.run_id,
                            "task": ask.name,
                            "gpus": ask.request.gpus,
                            "cpu": ask.request.cpu,
                            "memory_bytes": ask.request.memory,
                            "position": decision.positions.get(ask.key),
                            "reason": decision.reasons.get(ask.key, "starting"),
                        }
                    )
            total = self._total
            return {
                "capacity": {
                    "gpus": total.total_gpus,
                    "gpus_free": len(self._free_gpus),
                    "cpu": total.total_cpu,
                    "memory_bytes": total.total_memory,
                },
                "namespaces": [
                    {"namespace": namespace, "user": user, **tasks}
                    for (namespace, user), tasks in sorted(groups.items())
                ],
            }


class RunShare(Capacity):
    """One run's view of the fair queue, in the shape the engine's scheduler takes resources from."""

    def __init__(self, queue: FairQueue, run_id: str, namespace: str, user: str) -> None:
        total = queue._total
        super().__init__(
            cpu=total.cpu,
            memory=total.memory,
            gpus=list(total.gpus),
            total_cpu=total.total_cpu,
            total_memory=total.total_memory,
            total_gpus=total.total_gpus,
            bounded=True,
        )
        self._queue = queue
        self._run_id = run_id
        self._namespace = namespace
        self._user = user
        self._chosen: str | None = None  # the task fits_task just let through: launch_attempt takes next
        self._held: list[tuple[str, Request, list[int]]] = []

    def fits_task(self, key: str, name: str, request: Request) -> bool:
        if self._queue.ask(self._run_id, self._namespace, self._user, key, name, request):
            self._chosen = key
            return True
        return False

    def fits(self, request: Request) -> bool:
        return False  # tasks ask by fits_task; nothing takes from a run's share without being chosen

    def take(self, request: Request) -> list[int]:
        key, self._chosen = self._chosen, None
        if key is None:
            raise RuntimeError("a task took resources without being chosen by the fair queue")
        gpus = self._queue.take(key)
        self._held.append((key, request, gpus))
        return gpus

    def give_back(self, request: Request, gpus: list[int]) -> None:
        for index, (key, held_request, held_gpus) in enumerate(self._held):
            if held_request == request and held_gpus == gpus:
                del self._held[index]
                self._queue.give_back(key)
                return
