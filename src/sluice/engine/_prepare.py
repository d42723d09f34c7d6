"""Preparing a container task whose inputs are resolved, for the cache and then for a launcher.

Preparing decides everything an attempt needs and writes nothing but folders: the task's folder under the
run's (``<run>/<task path>``; output files and artifacts go there, ``.sluice/`` holds its logs and executor
output), KFP's executor input, the environment (the executor's, placeholders resolved, plus
``SLUICE_RUN_ID``/``SLUICE_TASK_ID``/``SLUICE_TASK_PATH``), its resource request and timeout, its cache
fingerprint, and what to run: a Python function component for ``sluice.runtime`` (its source written once
per run and executor), or the executor's command and args with placeholders resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sluice.artifacts import check_path_part
from sluice.dsl._internal import WORKSPACE_VARIABLE
from sluice.engine._cache import Fingerprints, is_cacheable
from sluice.engine._context import RunContext
from sluice.engine._errors import TaskError
from sluice.engine._graph import Node, artifact_type
from sluice.engine._placeholders import resolve_command, resolve_string
from sluice.engine._platform import PlatformSettings
from sluice.engine._python_tasks import PythonFunction, recognise_python_function
from sluice.engine._resources import Capacity, Request, request_of
from sluice.engine._volumes import PVC_IMAGES, pvc_command
from sluice.ir import ContainerSpec
from sluice.sandbox import Mount

__all__ = ["SLUICE_DIR", "PreparedTask", "TaskPreparer"]

SLUICE_DIR = ".sluice"  # Sluice's own files in a task's or a run's folder


@dataclass
class PreparedTask:
    """A container task, resolved and ready to launch (or to be found in the cache)."""

    node: Node
    executor_label: str
    executor_input: dict[str, Any]
    task_dir: Path  # on this machine
    task_uri: str  # in the artifact store (the same as task_dir for a local root)
    fingerprint: str
    cacheable: bool
    request: Request
    timeout: float | None
    env: dict[str, str]
    image: str | None
    argv: list[str] = field(default_factory=list)
    python: PythonFunction | None = None
    module_path: str = ""
    mounts: tuple[Mount, ...] = ()  # volumes a sandboxed attempt sees (kfp-kubernetes')
    interpreter: str | None = None  # a venv's python; None: the engine's
    platform: dict[str, Any] | None = None  # its kfp-kubernetes settings as applied (no secret values)

    def log_path(self, attempt: int) -> Path:
        return self.task_dir / SLUICE_DIR / f"attempt-{attempt}.log"

    def log_uri(self, attempt: int) -> str:
        return f"{self.task_uri}/{SLUICE_DIR}/attempt-{attempt}.log"


class TaskPreparer:
    """Prepares a run's container tasks; what is the same for every task of an executor is done once."""

    def __init__(self, ctx: RunContext, capacity: Capacity) -> None:
        self.ctx = ctx
        self.capacity = capacity
        self.fingerprints = Fingerprints(ctx.spec)
        self._python_functions: dict[str, PythonFunction | None] = {}
        self._module_paths: dict[str, str] = {}
        self.platform = PlatformSettings(ctx)

    def prepare(self, node: Node) -> PreparedTask:
        """Raises TaskError (also PlaceholderError, UnsafePathError) when the task cannot run here."""
        label = node.component.executor_label or ""
        executor = self.ctx.spec.executor(label)
        container = executor.container
        if container is None:
            kind = next(
                (name for name in ("resolver", "custom_job") if getattr(executor, name) is not None),
                "unknown",
            )
            raise TaskError(
                node.path, f"executor {label!r} is a {kind} executor, which runs on Vertex AI only"
            )
        task_uri = self._task_uri(node)
        task_dir = self.ctx.artifacts.local_path(task_uri)
        (task_dir / SLUICE_DIR).mkdir(parents=True, exist_ok=True)
        executor_input = _executor_input(node, task_dir, task_uri)
        context = self.ctx.placeholder_context(node)
        env = {
            variable.name: resolve_string(variable.value or "", executor_input, context)
            for variable in container.env
            if variable.name
        }
        platform = self.platform.for_task(node, label, container.image)
        env.update(platform.env)
        env.update(
            {
                "SLUICE_RUN_ID": self.ctx.run_id,
                "SLUICE_TASK_ID": node.id,
                "SLUICE_TASK_PATH": node.path,
                WORKSPACE_VARIABLE: str(self.ctx.workspace_dir),
            }
        )
        env.update(self.ctx.artifacts.task_environment())
        request = replace(
            request_of(container.resources), node_selector=self.platform.node_selector(node, label)
        )
        if self.capacity.bounded and request.gpus > self.capacity.total_gpus:
            raise TaskError(
                node.path,
                f"needs {request.gpus} GPU(s) ({request.accelerator_type or 'any type'}), "
                f"this machine has {self.capacity.total_gpus} (set SLUICE_GPUS or --gpus if that is wrong)",
            )
        prepared = PreparedTask(
            node=node,
            executor_label=label,
            executor_input=executor_input,
            task_dir=task_dir,
            task_uri=task_uri,
            fingerprint=self.fingerprints.of(node, label),
            cacheable=is_cacheable(node, self.ctx.options.cache),
            request=self.capacity.clamp(request),
            timeout=self.platform.timeout(label),
            env=env,
            image=container.image,
            platform=platform.record,
            mounts=platform.mounts,
        )
        profile = self.ctx.options.profile
        if profile is not None and profile.sandboxed:  # shown with the task: what it ran under
            prepared.platform = {**(prepared.platform or {}), "profile": profile.name}
        function = self._python_function(label, container)
        if function is not None:
            prepared.python = function
            prepared.module_path = self._module_path(label, function)
        elif self.platform.sandboxed and container.image in PVC_IMAGES:
            prepared.argv, done = pvc_command(
                self.ctx.home, self.ctx.namespace, self.ctx.run_id, node, container.image, executor_input
            )
            prepared.platform = {**(prepared.platform or {}), "volume": done}
        else:
            command = resolve_command(list(container.command), executor_input, context)
            args = resolve_command(list(container.args), executor_input, context)
            prepared.argv = command + args
            if not prepared.argv:
                raise TaskError(node.path, f"executor {label!r} has no command to run")
        return prepared

    def _task_uri(self, node: Node) -> str:
        parts = node.path.split("/")[1:]  # without "root"
        for part in parts:
            check_path_part(part, "task path part")
        return self.ctx.artifacts.uri_for(self.ctx.run_id, *parts)

    def _python_function(self, label: str, container: ContainerSpec) -> PythonFunction | None:
        if label not in self._python_functions:
            self._python_functions[label] = recognise_python_function(container, list(container.args))
        return self._python_functions[label]

    def _module_path(self, label: str, function: PythonFunction) -> str:
        """The component's source as a file, written on first use in this run."""
        path = self._module_paths.get(label)
        if path is None:
            folder = self.ctx.run_dir / SLUICE_DIR / "components" / check_path_part(label, "executor label")
            folder.mkdir(parents=True, exist_ok=True)
            module = folder / "ephemeral_component.py"
            module.write_text(function.source, encoding="utf-8")
            path = str(module)
            self._module_paths[label] = path
        return path


def _executor_input(node: Node, task_dir: Path, task_uri: str) -> dict[str, Any]:
    """KFP's ``ExecutorInput``: the resolved inputs, and where each output goes (in the task's folder)."""
    definitions = node.component.output_definitions
    output_parameters = {
        name: {"outputFile": str(task_dir / check_path_part(name, "output name"))}
        for name in (definitions.parameters if definitions else {})
    }
    output_artifacts = {}
    for name, spec in (definitions.artifacts if definitions else {}).items():
        schema_title, schema_version = artifact_type(spec.artifact_type)
        output_artifacts[name] = {
            "artifacts": [
                {
                    "name": name,
                    "type": {"schemaTitle": schema_title, "schemaVersion": schema_version},
                    "uri": f"{task_uri}/{check_path_part(name, 'output name')}",
                    "metadata": {},
                }
            ]
        }
    return {
        "inputs": {
            "parameterValues": node.input_parameters,
            "artifacts": {
                name: {"artifacts": [artifact.runtime_artifact() for artifact in values]}
                for name, values in node.input_artifacts.items()
            },
        },
        "outputs": {
            "parameters": output_parameters,
            "artifacts": output_artifacts,
            "outputFile": str(task_dir / SLUICE_DIR / "executor_output.json"),
        },
    }
