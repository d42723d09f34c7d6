"""``@dsl.container_component``: a component that runs a command in a container image.

The decorated function is called once, at definition time, with placeholders for its parameters; it
returns ``dsl.ContainerSpec(image, command, args)`` describing the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sluice.dsl._annotations import describe_annotation
from sluice.dsl._component import BaseComponent, ComponentSpec, ContainerImplementation
from sluice.dsl._docstrings import parse_docstring
from sluice.dsl._errors import PipelineDefinitionError, location_of_function
from sluice.dsl._graph import k8s_name
from sluice.dsl._placeholders import (
    ArtifactPlaceholders,
    ConcatPlaceholder,
    IfPresentPlaceholder,
    InputListOfArtifactsPlaceholder,
    InputPathPlaceholder,
    InputValuePlaceholder,
    OutputListOfArtifactsPlaceholder,
    OutputParameterPlaceholder,
    OutputPathPlaceholder,
    Placeholder,
    _NamedPlaceholder,
    render_command_line_element,
)
from sluice.dsl._types import read_signature, resolved_annotations

__all__ = ["ContainerComponent", "ContainerSpec", "container_component"]


class ContainerSpec:
    """What a container component runs: an image, and a command line made of strings and placeholders."""

    def __init__(self, image: str, command: list[Any] | None = None, args: list[Any] | None = None) -> None:
        self.image = image
        self.command = command
        self.args = args

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContainerSpec):
            return NotImplemented
        return (self.image, self.command, self.args) == (other.image, other.command, other.args)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ContainerSpec(image={self.image!r}, command={self.command!r}, args={self.args!r})"


class ContainerComponent(BaseComponent):
    """A component made with ``@dsl.container_component``."""

    def __init__(self, component_spec: ComponentSpec, pipeline_func: Callable[..., Any]) -> None:
        super().__init__(component_spec, pipeline_func.__name__)
        self.pipeline_func = pipeline_func
        self.__wrapped__ = pipeline_func
        self.__doc__ = pipeline_func.__doc__


def _placeholder_for(name: str, annotation: Any) -> Any:
    info = describe_annotation(annotation)
    if info.kind == "input_artifact":
        return InputListOfArtifactsPlaceholder(name) if info.is_list else ArtifactPlaceholders(name, False)
    if info.kind == "output_artifact":
        return OutputListOfArtifactsPlaceholder(name) if info.is_list else ArtifactPlaceholders(name, True)
    if info.kind == "output_path":
        return (
            OutputParameterPlaceholder(name) if info.artifact_class is None else OutputPathPlaceholder(name)
        )
    if info.kind == "input_path" and info.artifact_class is not None:
        return InputPathPlaceholder(name)
    return InputValuePlaceholder(name)


def _check_element(element: Any, spec: ComponentSpec, fail: Callable[[str], PipelineDefinitionError]) -> None:
    if isinstance(element, ArtifactPlaceholders):
        raise fail(
            f"artifact {element.name!r} is used whole in the command line: use {element.name}.path, "
            f"{element.name}.uri or {element.name}.metadata"
        )
    if isinstance(element, ConcatPlaceholder):
        for item in element.items:
            _check_element(item, spec, fail)
    elif isinstance(element, IfPresentPlaceholder):
        if element.input_name not in spec.inputs:
            raise fail(f"IfPresentPlaceholder names {element.input_name!r}, which is not an input")
        for item in element.elements():
            _check_element(item, spec, fail)
    elif isinstance(element, _NamedPlaceholder):
        is_output = type(element).__name__.startswith("Output")
        names = spec.outputs if is_output else spec.inputs
        if element.name not in names:
            raise fail(
                f"{type(element).__name__} names {element.name!r}, which is not an "
                f"{'output' if is_output else 'input'}"
            )
    elif not isinstance(element, str | Placeholder):
        raise fail(
            f"command-line element {element!r} is a {type(element).__name__}: use strings and placeholders "
            "(convert numbers with str())"
        )


def container_component(func: Callable[..., Any]) -> ContainerComponent:
    """Make a function returning ``dsl.ContainerSpec`` a component."""
    import inspect

    location = location_of_function(func)

    def fail(message: str) -> PipelineDefinitionError:
        return PipelineDefinitionError(
            f"container component {func.__name__!r}: {message}", task=func.__name__, location=location
        )

    annotations = resolved_annotations(func)
    returned = annotations.get("return", inspect.Signature.empty)
    if returned not in (inspect.Signature.empty, ContainerSpec):
        raise fail("its return annotation must be dsl.ContainerSpec, or be left out")
    signature = read_signature(func, allow_bare_artifacts=False, allow_return=False)
    spec = ComponentSpec(
        name=k8s_name(func.__name__),
        inputs=signature.inputs,
        outputs=signature.outputs,
        implementation=ContainerImplementation(image=""),
        description=parse_docstring(func).description,
    )
    arguments = {
        name: _placeholder_for(name, annotations[name]) for name in inspect.signature(func).parameters
    }
    container = func(**arguments)
    if not isinstance(container, ContainerSpec):
        raise fail(f"it must return dsl.ContainerSpec(...), not {type(container).__name__}")
    elements = [*(container.command or []), *(container.args or [])]
    for element in elements:
        _check_element(element, spec, fail)
    try:
        spec.implementation = ContainerImplementation(
            image=container.image,
            command=[render_command_line_element(element) for element in container.command or []],
            args=[render_command_line_element(element) for element in container.args or []],
        )
    except (TypeError, ValueError) as error:
        raise fail(str(error)) from None
    return ContainerComponent(spec, func)
