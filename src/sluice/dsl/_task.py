"""``PipelineTask``: one call of a component inside a pipeline, and the settings chained onto it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

from sluice.dsl._channel import (
    PipelineArtifactChannel,
    PipelineChannel,
    PipelineParameterChannel,
    channels_in,
)
from sluice.dsl._errors import PipelineDefinitionError, SourceLocation, caller_location
from sluice.dsl._graph import GroupKind, TasksGroup, active_graph
from sluice.dsl._types import (
    ArtifactType,
    InputSpec,
    ParameterKind,
    ParameterType,
    parameter_type_of_value,
    types_are_compatible,
)

if TYPE_CHECKING:
    from sluice.dsl._component import BaseComponent

__all__ = ["ContainerSettings", "PipelineTask", "ResourceSettings", "RetrySettings"]

_CPU = re.compile(r"^([0-9]*[.])?[0-9]+m?$")
_MEMORY = re.compile(r"^[0-9]+(E|Ei|P|Pi|T|Ti|G|Gi|M|Mi|K|Ki)?$")
_DURATION = re.compile(r"^\s*(\d+)\s*([a-zA-Z]+)\s*$")
_SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _caching_default() -> bool:
    """Tasks cache unless KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT says otherwise (as with kfp)."""
    import os

    flag = os.environ.get("KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT", "")
    return flag.strip().lower() not in {"1", "true", "t", "yes", "y", "on"}


class ResourceSettings:
    """Resources a task asks for; values as given (``"500m"``, ``"2Gi"``), or channel patterns."""

    _FIELDS = (
        "cpu_request",
        "cpu_limit",
        "memory_request",
        "memory_limit",
        "accelerator_type",
        "accelerator_count",
    )

    def __init__(self) -> None:
        self.cpu_request: str | None = None
        self.cpu_limit: str | None = None
        self.memory_request: str | None = None
        self.memory_limit: str | None = None
        self.accelerator_type: str | None = None
        self.accelerator_count: str | None = None

    def items(self) -> list[tuple[str, str]]:
        """The settings that were set, in a fixed order."""
        return [(key, value) for key in self._FIELDS if (value := getattr(self, key)) is not None]

    def __repr__(self) -> str:
        return f"ResourceSettings({dict(self.items())})"


class ContainerSettings:
    """A container task's image, resources and environment (copied from its component, then changed)."""

    def __init__(self, image: str, env: dict[str, str] | None = None) -> None:
        self.image = image
        self.resources = ResourceSettings()
        self.env: dict[str, str] = dict(env or {})

    def __repr__(self) -> str:
        return f"ContainerSettings(image={self.image!r}, resources={self.resources!r}, env={self.env!r})"


class RetrySettings(NamedTuple):
    max_retry_count: int
    backoff_duration: str
    backoff_factor: float
    backoff_max_duration: str


def _duration_in_seconds(duration: str, what: str) -> str:
    match = _DURATION.match(duration)
    unit = match.group(2)[0] if match else ""
    if match is None or unit not in _SECONDS_PER_UNIT:
        raise PipelineDefinitionError(
            f"{what} {duration!r} is not a duration: use a number and a unit, like '30s', '5m', '1h' or '2d'",
            location=caller_location(),
        )
    return f"{int(match.group(1)) * _SECONDS_PER_UNIT[unit]}s"


def _argument_kind(value: Any) -> str:
    if isinstance(value, PipelineChannel):
        if value.is_artifact:
            return f"an artifact ({value.type}{' list' if value.is_artifact_list else ''})"
        return f"a parameter ({value.type})"
    return f"the constant {value!r}"


class PipelineTask:
    """A component called inside a pipeline: one step of the pipeline.

    ``task.output`` (a single output) and ``task.outputs['name']`` are its outputs, to pass to other
    tasks. The ``set_*`` methods configure the task and return it, so they chain.
    """

    def __init__(self, component: BaseComponent, arguments: dict[str, Any]) -> None:
        self.location: SourceLocation | None = caller_location()
        graph = active_graph()
        spec = component.component_spec
        if graph is None:
            raise PipelineDefinitionError(
                f"component {spec.name!r}: a PipelineTask is made by calling the component inside a "
                "@dsl.pipeline function",
                task=spec.name,
                location=self.location,
            )
        self.graph = graph
        self.component = component
        self.name = graph.task_name_for(spec.name)
        self._check_arguments(arguments)
        self.arguments: dict[str, Any] = dict(arguments)
        self.channel_inputs: list[PipelineChannel] = channels_in(list(arguments.values()))
        self._check_loop_scope(self.channel_inputs)

        self.display_name: str | None = None
        self.enable_caching = _caching_default()
        self.cache_key: str | None = None
        self.retry: RetrySettings | None = None
        self.dependencies: list[tuple[PipelineTask | TasksGroup, SourceLocation | None]] = []
        self.ignores_upstream_failure = False
        self.is_exit_task = False
        self.parent_group: TasksGroup | None = None
        self.container: ContainerSettings | None = component.container_settings()
        # Per-platform settings, e.g. {"kubernetes": {...}} written by sluice.kubernetes (kfp's shape).
        self.platform_config: dict[str, Any] = {}

        graph.add_task(self)
        self._outputs: dict[str, PipelineChannel] = {}
        for output_name, output_spec in spec.outputs.items():
            if isinstance(output_spec.type, ArtifactType):
                self._outputs[output_name] = PipelineArtifactChannel(
                    output_name, output_spec.type, self, output_spec.is_artifact_list
                )
            else:
                self._outputs[output_name] = PipelineParameterChannel(output_name, output_spec.type, self)

    # ------------------------------------------------------------ arguments

    def _error(self, message: str, location: SourceLocation | None = None) -> PipelineDefinitionError:
        return PipelineDefinitionError(
            f"task {self.name!r}: {message}", task=self.name, location=location or self.location
        )

    def _check_arguments(self, arguments: dict[str, Any]) -> None:
        spec = self.component.component_spec
        call = f"{self.component.function_name}()"
        accepted = {name for name, input_spec in spec.inputs.items() if not _is_final_status(input_spec)}
        for name in arguments:
            if name not in accepted:
                known = ", ".join(sorted(accepted)) or "none"
                raise self._error(f"{call} got an unexpected argument {name!r} (its inputs: {known})")
        missing = [
            name for name in sorted(accepted) if not spec.inputs[name].optional and name not in arguments
        ]
        if missing:
            raise self._error(
                f"{call} is missing required argument{'s' * (len(missing) > 1)}: {', '.join(missing)}"
            )
        for name, value in arguments.items():
            self._check_argument_type(call, name, value, spec.inputs[name])

    def _check_argument_type(self, call: str, name: str, value: Any, expected: InputSpec) -> None:
        from sluice.dsl._artifacts import Artifact
        from sluice.dsl._control_flow import LoopArgument, LoopArgumentVariable

        expected_text = (
            f"an artifact ({expected.type}{' list' if expected.is_artifact_list else ''})"
            if expected.is_artifact
            else f"a parameter ({expected.type})"
        )
        if isinstance(value, PipelineChannel):
            if (
                isinstance(value, LoopArgument | LoopArgumentVariable)
                and isinstance(value.type, ParameterType)
                and value.type.kind == ParameterKind.STRING
                and not expected.is_artifact
            ):
                return  # the loop item's type is unknown until the pipeline runs
            if types_are_compatible(
                value.type, value.is_artifact_list, expected.type, expected.is_artifact_list
            ):
                return
            raise self._error(
                f"input {name!r} of {call} expects {expected_text} but got {_argument_kind(value)} "
                f"from {value.full_name!r}"
            )
        if isinstance(value, Artifact):
            raise self._error(
                f"input {name!r} of {call} got an artifact object; pass another task's output "
                "(task.outputs[...]) or use dsl.importer(...) to bring in an existing artifact"
            )
        if expected.is_artifact:
            raise self._error(
                f"input {name!r} of {call} expects {expected_text} but got {_argument_kind(value)}"
            )
        given = parameter_type_of_value(value)
        if given is None:
            raise self._error(
                f"input {name!r} of {call} got {value!r} of type {type(value).__name__}; constants must be "
                "str, int, float, bool, list or dict"
            )
        assert isinstance(expected.type, ParameterType)
        if given.kind == expected.type.kind or (
            given.kind == ParameterKind.NUMBER_INTEGER and expected.type.kind == ParameterKind.NUMBER_DOUBLE
        ):
            return
        if given.kind == ParameterKind.STRING and channels_in(value):
            return  # an f-string of pipeline values: checked when it is resolved
        raise self._error(f"input {name!r} of {call} expects {expected_text} but got {_argument_kind(value)}")

    def _check_loop_scope(self, channels: list[PipelineChannel]) -> None:
        from sluice.dsl._control_flow import loop_group_of

        open_groups = self.graph.stack
        for channel in channels:
            loop = loop_group_of(channel)
            if loop is not None and not any(group is loop for group in open_groups):
                raise self._error(
                    f"uses the loop item {channel.full_name!r} of {loop.describe()} outside that loop "
                    f"(the loop starts at {loop.location})"
                )

    # ------------------------------------------------------------ outputs

    @property
    def inputs(self) -> dict[str, Any]:
        """The arguments the task was called with."""
        return self.arguments

    @property
    def outputs(self) -> dict[str, PipelineChannel]:
        """The task's outputs by name."""
        return self._outputs

    @property
    def output(self) -> PipelineChannel:
        """The task's only output; use ``outputs[name]`` when it has several."""
        if len(self._outputs) != 1:
            names = ", ".join(repr(name) for name in self._outputs) or "none"
            raise self._error(
                f"has {len(self._outputs)} outputs ({names}): use task.outputs[<name>] instead of task.output",
                caller_location(),
            )
        return next(iter(self._outputs.values()))

    @property
    def dependent_tasks(self) -> list[str]:
        return [dependency.name for dependency, _ in self.dependencies]

    @property
    def component_spec(self) -> Any:
        return self.component.component_spec

    # ------------------------------------------------------------ settings

    def _container_settings(self, method: str) -> ContainerSettings:
        if self.container is None:
            raise self._error(
                f".{method}() only applies to tasks that run a container (components), not to "
                "pipelines used as components or importers",
                caller_location(),
            )
        return self.container

    def _resource_value(self, value: Any, pattern: re.Pattern[str], method: str, expected: str) -> str:
        if isinstance(value, PipelineChannel):
            self._use_channel(value)
            return value.pattern
        if isinstance(value, int | float) and not isinstance(value, bool) and method.startswith("set_cpu"):
            value = str(value)
        if not isinstance(value, str) or pattern.match(value) is None:
            raise self._error(f".{method}({value!r}): expected {expected}", caller_location())
        return value

    def register_pipeline_channels(self, pipeline_channels: list[PipelineChannel]) -> None:
        """Make the task read ``pipeline_channels`` besides its arguments (a setting naming a secret by a
        pipeline parameter): the compiler passes them into the task's DAG, and an upstream output orders the
        tasks."""
        self._check_loop_scope(list(pipeline_channels))
        for channel in pipeline_channels:
            self._use_channel(channel)

    def _use_channel(self, channel: PipelineChannel) -> None:
        if not any(existing is channel for existing in self.channel_inputs):
            self.channel_inputs.append(channel)

    def set_cpu_request(self, cpu: str | PipelineChannel) -> PipelineTask:
        """Minimum CPU: a number of cores (``"2"``, ``"0.5"``) or millicores (``"500m"``)."""
        settings = self._container_settings("set_cpu_request")
        settings.resources.cpu_request = self._resource_value(
            cpu, _CPU, "set_cpu_request", "cores like '2' or '500m'"
        )
        return self

    def set_cpu_limit(self, cpu: str | PipelineChannel) -> PipelineTask:
        """Maximum CPU: a number of cores (``"2"``, ``"0.5"``) or millicores (``"500m"``)."""
        settings = self._container_settings("set_cpu_limit")
        settings.resources.cpu_limit = self._resource_value(
            cpu, _CPU, "set_cpu_limit", "cores like '2' or '500m'"
        )
        return self

    def set_memory_request(self, memory: str | PipelineChannel) -> PipelineTask:
        """Minimum memory: bytes, optionally with a unit (``"512Mi"``, ``"2G"``)."""
        settings = self._container_settings("set_memory_request")
        settings.resources.memory_request = self._resource_value(
            memory, _MEMORY, "set_memory_request", "a size like '512Mi' or '2G'"
        )
        return self

    def set_memory_limit(self, memory: str | PipelineChannel) -> PipelineTask:
        """Maximum memory: bytes, optionally with a unit (``"512Mi"``, ``"2G"``)."""
        settings = self._container_settings("set_memory_limit")
        settings.resources.memory_limit = self._resource_value(
            memory, _MEMORY, "set_memory_limit", "a size like '512Mi' or '2G'"
        )
        return self

    def set_accelerator_type(self, accelerator: str | PipelineChannel) -> PipelineTask:
        """The kind of accelerator (``"nvidia.com/gpu"``); the limit defaults to one."""
        settings = self._container_settings("set_accelerator_type")
        if isinstance(accelerator, PipelineChannel):
            self._use_channel(accelerator)
            accelerator = accelerator.pattern
        settings.resources.accelerator_type = accelerator
        if settings.resources.accelerator_count is None:
            settings.resources.accelerator_count = "1"
        return self

    def set_accelerator_limit(self, limit: int | str | PipelineChannel) -> PipelineTask:
        """How many accelerators the task may use."""
        settings = self._container_settings("set_accelerator_limit")
        if isinstance(limit, PipelineChannel):
            self._use_channel(limit)
            settings.resources.accelerator_count = limit.pattern
            return self
        text = str(limit) if isinstance(limit, int) and not isinstance(limit, bool) else limit
        if not isinstance(text, str) or not text.isdigit():
            raise self._error(
                f".set_accelerator_limit({limit!r}): expected a non-negative integer", caller_location()
            )
        settings.resources.accelerator_count = text
        return self

    def set_gpu_limit(self, gpu: int | str | PipelineChannel) -> PipelineTask:
        """Deprecated: use ``set_accelerator_limit``."""
        return self.set_accelerator_limit(gpu)

    def add_node_selector_constraint(self, accelerator: str) -> PipelineTask:
        """Deprecated: use ``set_accelerator_type``."""
        return self.set_accelerator_type(accelerator)

    def set_env_variable(self, name: str, value: str) -> PipelineTask:
        """Set an environment variable in the task's container."""
        self._container_settings("set_env_variable").env[name] = value
        return self

    def set_container_image(self, name: str | PipelineChannel) -> PipelineTask:
        """Run the task in another image than its component's ``base_image``."""
        settings = self._container_settings("set_container_image")
        for channel in channels_in(name):
            self._use_channel(channel)
        settings.image = name.pattern if isinstance(name, PipelineChannel) else name
        return self

    def set_debug_pause(
        self, before: bool = False, after: bool = True, on_error: bool = False
    ) -> PipelineTask:
        """Keep the task's container alive to inspect it (Argo's debug pause): before it runs, after, or on error."""
        if on_error and not after:
            raise self._error(".set_debug_pause(after=False, on_error=True): on_error needs after=True")
        if not before and not after:
            raise self._error(".set_debug_pause(before=False, after=False): nothing to pause on")
        if before:
            self.set_env_variable("ARGO_DEBUG_PAUSE_BEFORE", "true")
        if after:
            self.set_env_variable(
                "ARGO_DEBUG_PAUSE_ON_ERROR" if on_error else "ARGO_DEBUG_PAUSE_AFTER", "true"
            )
        return self

    def set_display_name(self, name: str) -> PipelineTask:
        """The name shown for the task in UIs (the task keeps its own name in the pipeline)."""
        if not isinstance(name, str) or not name:
            raise self._error(f".set_display_name({name!r}): expected a non-empty string", caller_location())
        self.display_name = name
        return self

    def set_caching_options(self, enable_caching: bool, cache_key: str | None = None) -> PipelineTask:
        """Whether a run may reuse an earlier run's result of this task, and under which key."""
        self.enable_caching = bool(enable_caching)
        self.cache_key = cache_key
        return self

    def set_retry(
        self,
        num_retries: int,
        backoff_duration: str | None = None,
        backoff_factor: float | None = None,
        backoff_max_duration: str | None = None,
    ) -> PipelineTask:
        """Retry a failed task up to ``num_retries`` times, waiting longer each time.

        Defaults: retry at once (``"0s"``), then double the wait (factor 2.0), for at most an hour.
        """
        if isinstance(num_retries, bool) or not isinstance(num_retries, int) or num_retries < 0:
            raise self._error(
                f".set_retry({num_retries!r}): expected a non-negative integer", caller_location()
            )
        self.retry = RetrySettings(
            max_retry_count=num_retries,
            backoff_duration=_duration_in_seconds(backoff_duration or "0s", "backoff_duration"),
            backoff_factor=float(backoff_factor) if backoff_factor else 2.0,
            backoff_max_duration=_duration_in_seconds(
                backoff_max_duration or "3600s", "backoff_max_duration"
            ),
        )
        return self

    def after(self, *tasks: PipelineTask | TasksGroup) -> PipelineTask:
        """Run this task only after ``tasks`` (tasks, or ``dsl.ExitHandler`` groups) are done."""
        location = caller_location()
        for task in tasks:
            if isinstance(task, TasksGroup):
                if task.kind != GroupKind.EXIT_HANDLER:
                    raise self._error(
                        f".after() accepts tasks and dsl.ExitHandler groups, not {task.describe()}", location
                    )
            elif not isinstance(task, PipelineTask):
                raise self._error(
                    f".after() accepts tasks and dsl.ExitHandler groups, not {type(task).__name__}", location
                )
            elif task.graph is not self.graph:
                raise self._error(f".after({task.name!r}): that task belongs to another pipeline", location)
            elif task is self:
                raise self._error(
                    f".after() makes the task wait for itself, a cycle ({self.name} -> {self.name})", location
                )
            self.dependencies.append((task, location))
        return self

    def ignore_upstream_failure(self) -> PipelineTask:
        """Run this task when its upstream tasks are done, even if they failed.

        Every input fed by an upstream task must then have a default, in case that task produced nothing.
        """
        spec = self.component.component_spec
        for name, value in self.arguments.items():
            input_spec = spec.inputs[name]
            if isinstance(value, PipelineChannel) and value.producer is not None and not input_spec.optional:
                raise self._error(
                    f".ignore_upstream_failure() needs a default for input {name!r}: it is fed by "
                    f"{value.producer_name!r}, which may fail before producing it",
                    caller_location(),
                )
        self.ignores_upstream_failure = True
        return self

    def __repr__(self) -> str:
        return f"<PipelineTask {self.name!r}>"


def _is_final_status(input_spec: InputSpec) -> bool:
    return (
        isinstance(input_spec.type, ParameterType) and input_spec.type.kind == ParameterKind.TASK_FINAL_STATUS
    )
