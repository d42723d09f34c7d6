"""``sluice compile pipeline.py -o pipeline.yaml``: compile a pipeline defined in a Python file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import click

__all__ = ["find_root_pipelines", "register"]


class CompileCommandError(Exception):
    """A problem to report in one line, with exit status 2."""


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def find_root_pipelines(module: ModuleType) -> dict[str, Any]:
    """The module's pipelines that no other pipeline of the module calls, by variable name."""
    from sluice.compiler._source import pipeline_objects, root_pipelines

    return root_pipelines(pipeline_objects(module))


def _choose(module: ModuleType, path: Path, function_name: str | None) -> Any:
    from sluice.dsl import BaseComponent

    if function_name is not None:
        value = getattr(module, function_name, None)
        if value is None:
            raise CompileCommandError(f"{path} defines no {function_name!r}")
        if not isinstance(value, BaseComponent):
            raise CompileCommandError(
                f"{path}: {function_name!r} is not a pipeline or component (decorate it with @dsl.pipeline)"
            )
        return value
    roots = find_root_pipelines(module)
    if not roots:
        raise CompileCommandError(f"{path} defines no @dsl.pipeline function")
    if len(roots) > 1:
        names = ", ".join(sorted(roots))
        raise CompileCommandError(
            f"{path} defines several pipelines ({names}): choose one with --function NAME"
        )
    return next(iter(roots.values()))


def _parameters(pipeline: Any, assignments: tuple[str, ...]) -> dict[str, Any]:
    from sluice.dsl._internal import ParameterKind, ParameterType

    parameters: dict[str, Any] = {}
    inputs = pipeline.component_spec.inputs
    for assignment in assignments:
        name, separator, text = assignment.partition("=")
        if not separator or not name:
            raise CompileCommandError(f"-p {assignment!r}: expected NAME=VALUE")
        if name not in inputs:
            known = ", ".join(sorted(inputs)) or "none"
            raise CompileCommandError(
                f"-p {name}: the pipeline has no such parameter (its parameters: {known})"
            )
        input_type = inputs[name].type
        if isinstance(input_type, ParameterType) and input_type.kind == ParameterKind.STRING:
            parameters[name] = text
            continue
        try:
            parameters[name] = json.loads(text)
        except json.JSONDecodeError:
            raise CompileCommandError(
                f"-p {name}={text}: {name} is typed {input_type}; give its value as JSON (e.g. 3, 0.5, true, [1, 2])"
            ) from None
    return parameters


@click.command("compile")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The YAML file to write.",
)
@click.option("--function", "function_name", metavar="NAME", help="The pipeline (or component) to compile.")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a parameter's default (repeatable).",
)
def compile_command(source: Path, output: Path, function_name: str | None, params: tuple[str, ...]) -> None:
    """Compile the pipeline defined in SOURCE (a .py file) to KFP's PipelineSpec YAML.

    Without --function, SOURCE must define exactly one pipeline that no other pipeline in it calls.
    Values given with -p become the parameters' defaults (as JSON, except for string parameters).
    """
    from sluice.compiler import Compiler
    from sluice.compiler._source import PipelineFileError, import_pipeline_file
    from sluice.dsl import PipelineDefinitionError

    try:
        module = import_pipeline_file(source)
        pipeline = _choose(module, source, function_name)
        parameters = _parameters(pipeline, params)
        Compiler().compile(pipeline, output, pipeline_parameters=parameters or None)
    except (CompileCommandError, PipelineFileError, PipelineDefinitionError) as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror}")
    click.echo(f"compiled {pipeline.name} to {output}", err=True)


def register(group: click.Group) -> None:
    group.add_command(compile_command)
