"""A component called outside a pipeline: run at once by ``sluice.local`` (kfp.local's direct call).

``task = add(a=1, b=2)`` after ``sluice.local.init(...)`` runs the component with Sluice's engine and
returns a finished task whose ``output``/``outputs`` are values: parameters as they are, artifacts as
``dsl.Artifact`` objects, which may be passed to the next call. Before ``init`` the call is an error, as
in kfp. This module only checks the call and hands it over to ``sluice.local``, which it finds in
``sys.modules`` (``init`` imported it) and never imports itself, so task processes never pay for it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from sluice.dsl._errors import SourceLocation, caller_location
from sluice.dsl._graph import k8s_name
from sluice.dsl._task import PipelineTask
from sluice.dsl._types import ArtifactType, InputSpec

if TYPE_CHECKING:
    from sluice.dsl._component import BaseComponent

__all__ = ["LocalTask", "run_outside_pipeline"]

_LOCAL_CONFIG_MODULE = "sluice.local._config"


def run_outside_pipeline(component: BaseComponent, arguments: dict[str, Any]) -> LocalTask:
    """Run ``component`` now if ``sluice.local.init`` was called; kfp's error otherwise."""
    location = caller_location()
    config_module = sys.modules.get(_LOCAL_CONFIG_MODULE)
    config = config_module.current() if config_module is not None else None
    if config is None:
        where = f"{location}: " if location is not None else ""
        raise RuntimeError(
            f"{where}Local environment not initialized. Please run 'sluice.local.init()' before executing "
            f"tasks locally. (Component {component.name!r} was called outside a @dsl.pipeline function: "
            "inside a pipeline it adds a task; outside, after sluice.local.init(runner="
            "sluice.local.SubprocessRunner()), it runs now.)"
        )
    return LocalTask(component, arguments, location, config)


class LocalTask(PipelineTask):
    """A task that already ran, outside any pipeline. Its outputs are values; settings no longer apply."""

    def __init__(
        self,
        component: BaseComponent,
        arguments: dict[str, Any],
        location: SourceLocation | None,
        config: Any,
    ) -> None:
        self.location = location
        self.component = component
        self.name = k8s_name(component.component_spec.name) or "task"
        self.display_name = None
        self._check_arguments(arguments)
        self.arguments = dict(arguments)
        self.channel_inputs = []
        self.dependencies = []
        from sluice.local._execution import run_component

        self.run_id, self._outputs = run_component(config, component, self.arguments, self.name)
        self.state = "FINAL"

    def _check_argument_type(self, call: str, name: str, value: Any, expected: InputSpec) -> None:
        from sluice.dsl._artifacts import Artifact

        if not isinstance(value, Artifact) and not (
            isinstance(value, list) and value and all(isinstance(item, Artifact) for item in value)
        ):
            super()._check_argument_type(call, name, value, expected)
            return
        if not expected.is_artifact:
            raise self._error(
                f"input {name!r} of {call} is a parameter ({expected.type}) but got an artifact"
            )
        if isinstance(value, list) or expected.is_artifact_list:
            raise self._error(
                f"input {name!r} of {call}: a list of artifacts cannot be passed to a task run outside a "
                "pipeline; call it inside a pipeline"
            )
        assert isinstance(expected.type, ArtifactType)
        if expected.type.schema_title not in ("system.Artifact", value.schema_title):
            raise self._error(
                f"input {name!r} of {call} expects {expected.type.schema_title} but got a {value.schema_title} "
                f"artifact ({value.uri})"
            )

    def __repr__(self) -> str:
        return f"<LocalTask {self.name!r} (run {self.run_id}) outputs={list(self._outputs)}>"


def _already_ran(method_name: str) -> Any:
    def method(self: LocalTask, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            f"task {self.name!r} already ran outside a pipeline (sluice.local): .{method_name}() configures "
            "tasks inside a pipeline only"
        )

    method.__name__ = method_name
    return method


# As kfp.local: a finished task takes no settings.
for _name, _value in list(vars(PipelineTask).items()):
    if callable(_value) and (
        _name.startswith(("set_", "add_")) or _name in ("after", "ignore_upstream_failure")
    ):
        setattr(LocalTask, _name, _already_ran(_name))
