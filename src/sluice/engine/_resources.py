"""What a task asks for (CPU, memory, accelerators) and what this machine has to give.

Requests come from the executor's ``resources`` (``resourceCpuRequest: "500m"``, ``resourceMemoryLimit:
"2Gi"``, ``accelerator.resourceCount: "1"``; the older float fields too). A task starts only when its
request fits in what is free; a request larger than the whole machine is capped to the machine (the task
then runs alone) except for accelerators, which cannot be conjured: that task fails with a clear error.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

from sluice.ir import ResourceSpec

__all__ = [
    "Capacity",
    "Request",
    "detect_capacity",
    "parse_cpu",
    "parse_memory",
    "request_of",
    "resource_request",
]

GPUS_VARIABLE = "SLUICE_GPUS"

_MEMORY_UNITS = {
    "": 1,
    "k": 10**3,
    "m": 10**6,
    "g": 10**9,
    "t": 10**12,
    "p": 10**15,
    "ki": 2**10,
    "mi": 2**20,
    "gi": 2**30,
    "ti": 2**40,
    "pi": 2**50,
}
_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")


def parse_cpu(text: str) -> float:
    """Kubernetes CPU quantity: ``"2"``, ``"0.5"``, ``"500m"``."""
    match = _QUANTITY.match(text)
    if match is None or match.group(2) not in ("", "m"):
        raise ValueError(f"not a CPU quantity: {text!r} (e.g. '2', '0.5', '500m')")
    value = float(match.group(1))
    return value / 1000 if match.group(2) == "m" else value


def parse_memory(text: str) -> float:
    """Kubernetes memory quantity in bytes: ``"512Mi"``, ``"2G"``, ``"1e9"``."""
    match = _QUANTITY.match(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _MEMORY_UNITS:
        raise ValueError(f"not a memory quantity: {text!r} (e.g. '512Mi', '2G')")
    return float(match.group(1)) * _MEMORY_UNITS[unit]


@dataclass(frozen=True)
class Request:
    cpu: float = 0.0
    memory: float = 0.0  # bytes
    gpus: int = 0
    accelerator_type: str | None = None
    node_selector: tuple[tuple[str, str], ...] = ()  # node labels (a cluster launcher places by them)


def resource_request(cpu: float = 0.0, memory: float = 0.0, gpus: int = 0) -> Request:
    """A request made outside a task (model serving accounts its replicas with these)."""
    return Request(cpu=cpu, memory=memory, gpus=gpus)


def request_of(resources: ResourceSpec | None) -> Request:
    """The task's request: the request fields, else the limits (a limit bounds what it may use)."""
    if resources is None:
        return Request()
    cpu = 0.0
    if resources.resource_cpu_request:
        cpu = parse_cpu(resources.resource_cpu_request)
    elif resources.cpu_request:
        cpu = resources.cpu_request
    elif resources.resource_cpu_limit:
        cpu = parse_cpu(resources.resource_cpu_limit)
    elif resources.cpu_limit:
        cpu = resources.cpu_limit
    memory = 0.0
    if resources.resource_memory_request:
        memory = parse_memory(resources.resource_memory_request)
    elif resources.memory_request:
        memory = resources.memory_request * 1e9  # the old float fields are in GB
    elif resources.resource_memory_limit:
        memory = parse_memory(resources.resource_memory_limit)
    elif resources.memory_limit:
        memory = resources.memory_limit * 1e9
    gpus = 0
    accelerator_type = None
    accelerator = resources.accelerator
    if accelerator is not None:
        accelerator_type = accelerator.resource_type or accelerator.type
        if accelerator.resource_count:
            gpus = int(accelerator.resource_count)
        elif accelerator.count:
            gpus = int(accelerator.count)
    return Request(cpu=cpu, memory=memory, gpus=gpus, accelerator_type=accelerator_type)


def _total_memory() -> float:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError):
        return float("inf")


def _detect_gpus() -> int:
    configured = os.environ.get(GPUS_VARIABLE)
    if configured is not None:
        return int(configured)
    nvidia_smi = shutil.which("nvidia-smi")
    if nvidia_smi is None:
        return 0
    try:
        listing = subprocess.run([nvidia_smi, "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in listing.stdout.splitlines() if line.startswith("GPU "))


@dataclass
class Capacity:
    """What is free on the machine; the engine takes from it at launch and gives back at exit.

    An unbounded capacity (``bounded`` False) is what a launcher that places tasks on other machines
    gets: everything fits, nothing is clamped, no GPU indices are handed out (the cluster does that).
    """

    cpu: float
    memory: float
    gpus: list[int] = field(default_factory=list)  # free GPU indices
    total_cpu: float = 0.0
    total_memory: float = 0.0
    total_gpus: int = 0
    bounded: bool = True

    @classmethod
    def unbounded(cls) -> Capacity:
        infinite = float("inf")
        return cls(cpu=infinite, memory=infinite, total_cpu=infinite, total_memory=infinite, bounded=False)

    def clamp(self, request: Request) -> Request:
        if not self.bounded:
            return request
        return Request(
            cpu=min(request.cpu, self.total_cpu),
            memory=min(request.memory, self.total_memory),
            gpus=request.gpus,
            accelerator_type=request.accelerator_type,
            node_selector=request.node_selector,
        )

    def fits(self, request: Request) -> bool:
        if not self.bounded:
            return True
        return (
            request.cpu <= self.cpu + 1e-9
            and request.memory <= self.memory
            and request.gpus <= len(self.gpus)
        )

    def fits_task(self, key: str, name: str, request: Request) -> bool:
        """Whether the task ``key`` (at ``name`` in its run) may start now. A capacity shared by several
        runs (a server's fair queue) overrides this: it decides whose turn it is, and says why others wait."""
        return self.fits(request)

    def take(self, request: Request) -> list[int]:
        if not self.bounded:
            return []
        self.cpu -= request.cpu
        self.memory -= request.memory
        taken, self.gpus = self.gpus[: request.gpus], self.gpus[request.gpus :]
        return taken

    def give_back(self, request: Request, gpus: list[int]) -> None:
        if not self.bounded:
            return
        self.cpu += request.cpu
        self.memory += request.memory
        self.gpus = sorted(self.gpus + gpus)


def detect_capacity(gpus: int | None = None) -> Capacity:
    """This machine: CPU count, memory, and GPUs (``gpus``, else ``$SLUICE_GPUS``, else ``nvidia-smi -L``)."""
    cpu = float(os.cpu_count() or 1)
    memory = _total_memory()
    gpu_count = _detect_gpus() if gpus is None else gpus
    return Capacity(
        cpu=cpu,
        memory=memory,
        gpus=list(range(gpu_count)),
        total_cpu=cpu,
        total_memory=memory,
        total_gpus=gpu_count,
    )
