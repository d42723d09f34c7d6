"""Executors (``deploymentSpec.executors``): what runs for a task, a container or an importer."""

from __future__ import annotations

from typing import Any

from sluice import ir
from sluice.compiler._interface import artifact_type_schema
from sluice.dsl._internal import (
    IMPORTER_URI_INPUT,
    ContainerImplementation,
    ImporterImplementation,
    InputValuePlaceholder,
    PipelineChannel,
    PipelineTask,
    channels_in,
    pipeline_channel_input_name,
)

__all__ = [
    "container_executor",
    "cpu_to_float",
    "importer_executor",
    "memory_to_float",
    "with_input_placeholders",
]

_BYTES_PER_UNIT = {
    "E": 10**18,
    "Ei": 1 << 60,
    "P": 10**15,
    "Pi": 1 << 50,
    "T": 10**12,
    "Ti": 1 << 40,
    "G": 10**9,
    "Gi": 1 << 30,
    "M": 10**6,
    "Mi": 1 << 20,
    "K": 10**3,
    "Ki": 1 << 10,
}
_GIGABYTE = 10**9


def cpu_to_float(cpu: str) -> float:
    """``"500m"`` -> 0.5, ``"2"`` -> 2.0 (the legacy numeric field)."""
    return float(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)


def memory_to_float(memory: str) -> float:
    """A memory size in gigabytes (10^9 bytes), the unit of the legacy numeric field: ``"512Mi"`` -> 0.536870912."""
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki", "E", "P", "T", "G", "M", "K"):
        if memory.endswith(suffix):
            if suffix == "G":
                return float(memory[:-1])
            return float(memory[: -len(suffix)]) * _BYTES_PER_UNIT[suffix] / _GIGABYTE
    return float(memory) / _GIGABYTE


def with_input_placeholders(value: Any, task: PipelineTask) -> Any:
    """``value`` with each channel (or channel pattern) replaced by a placeholder for the input carrying it."""
    if isinstance(value, PipelineChannel):
        return InputValuePlaceholder(pipeline_channel_input_name(value.full_name)).render()
    if isinstance(value, str):
        for channel in channels_in(value, task.graph):
            placeholder = InputValuePlaceholder(pipeline_channel_input_name(channel.full_name)).render()
            value = value.replace(channel.pattern, placeholder)
        return value
    if isinstance(value, list):
        return [with_input_placeholders(item, task) for item in value]
    if isinstance(value, dict):
        return {
            with_input_placeholders(key, task): with_input_placeholders(item, task)
            for key, item in value.items()
        }
    return value


def _resources(task: PipelineTask) -> ir.ResourceSpec | None:
    assert task.container is not None
    settings = task.container.resources
    if not settings.items():
        return None
    resources = ir.ResourceSpec()
    # The resource* string fields take placeholders; the legacy numeric fields only constants.
    for field_name, to_float in (
        ("cpu_request", cpu_to_float),
        ("cpu_limit", cpu_to_float),
        ("memory_request", memory_to_float),
        ("memory_limit", memory_to_float),
    ):
        value = getattr(settings, field_name)
        if value is None:
            continue
        rendered = with_input_placeholders(value, task)
        setattr(resources, f"resource_{field_name}", rendered)
        if rendered == value:
            setattr(resources, field_name, to_float(value))
    if settings.accelerator_count is not None:
        accelerator_type = settings.accelerator_type
        type_text = with_input_placeholders(accelerator_type, task) if accelerator_type is not None else None
        count_text = with_input_placeholders(settings.accelerator_count, task)
        resources.accelerator = ir.AcceleratorConfig(
            resource_type=type_text,
            resource_count=count_text,
            type=accelerator_type if type_text == accelerator_type else None,
            count=int(settings.accelerator_count) if count_text == settings.accelerator_count else None,
        )
    return resources


def container_executor(task: PipelineTask, implementation: ContainerImplementation) -> ir.ExecutorSpec:
    """The container a task runs: its component's command line, with the task's image, resources and env."""
    assert task.container is not None
    container = ir.ContainerSpec(
        image=with_input_placeholders(task.container.image, task),
        command=list(implementation.command),
        args=list(implementation.args),
        env=[ir.EnvVar(name=name, value=value) for name, value in task.container.env.items()],
        resources=_resources(task),
    )
    return ir.ExecutorSpec(container=container)


def importer_executor(task: PipelineTask, implementation: ImporterImplementation) -> ir.ExecutorSpec:
    """The importer a ``dsl.importer`` task runs."""
    uri = task.arguments.get(IMPORTER_URI_INPUT)
    if isinstance(uri, PipelineChannel) or channels_in(uri, task.graph):
        artifact_uri = ir.ValueOrRuntimeParameter(runtime_parameter=IMPORTER_URI_INPUT)
    else:
        artifact_uri = ir.ValueOrRuntimeParameter(constant=uri)
    return ir.ExecutorSpec(
        importer=ir.ImporterSpec(
            artifact_uri=artifact_uri,
            type_schema=artifact_type_schema(implementation.artifact_type),
            reimport=True if implementation.reimport else None,
            metadata=implementation.metadata or None,
            download_to_workspace=True if implementation.download_to_workspace else None,
        )
    )
