"""``sluice compile pipeline.py -o pipeline.yaml``: compile a pipeline defined in a Python file."""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import click

__all__ = ["find_root_pipelines", "import_pipeline_file", "register"]


class CompileCommandError(Exception):
    """A problem to report in one line, with exit status 2."""


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _where_in(error: BaseException, path: Path) -> str:
    """``file:line`` of the deepest frame of ``error`` in the user's file (or of its syntax error)."""
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}"
    location = getattr(error, "location", None)
    if location is not None:
        return str(location)
    frames = traceback.extract_tb(error.__traceback__)
    resolved = str(path.resolve())
    for frame in reversed(frames):
        if frame.filename and str(Path(frame.filename).resolve()) == resolved:
            return f"{path}:{frame.lineno}"
    user_frames = [frame for frame in frames if "/sluice/" not in frame.filename.replace("\\", "/")]
    if user_frames:
        return f"{user_frames[-1].filename}:{user_frames[-1].lineno}"
    return str(path)


def import_pipeline_file(path: Path) -> ModuleType:
    """Import ``path`` as a module (its directory first on ``sys.path``, so its neighbours import)."""
    if not path.exists():
        raise CompileCommandError(f"{path}: no such file")
    if not path.is_file():
        raise CompileCommandError(f"{path}: not a file")
    module_name = f"_sluice_compile_{path.stem.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise CompileCommandError(f"{path}: cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    directory = str(path.resolve().parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(module_name, None)
        from sluice.dsl import PipelineDefinitionError

        if isinstance(error, PipelineDefinitionError) and error.location is not None:
            raise CompileCommandError(f"importing {path} failed: {error}") from None
        detail = error.msg if isinstance(error, SyntaxError) else str(error)
        raise CompileCommandError(
            f"importing {path} failed at {_where_in(error, path)}: {type(error).__name__}: {detail}"
        ) from None
    return module


def find_root_pipelines(module: ModuleType) -> dict[str, Any]:
    """The module's pipelines that no other pipeline of the module calls, by variable name."""
    from sluice.compiler._source import root_pipelines
    from sluice.dsl import GraphComponent

    return root_pipelines(
        {
            name: value
            for name, value in vars(module).items()
            if isinstance(value, GraphComponent)
            and getattr(value.pipeline_func, "__module__", None) == module.__name__
        }
    )


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
    from sluice.dsl._types import ParameterKind, ParameterType

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
    from sluice.dsl import PipelineDefinitionError

    try:
        module = import_pipeline_file(source)
        pipeline = _choose(module, source, function_name)
        parameters = _parameters(pipeline, params)
        Compiler().compile(pipeline, output, pipeline_parameters=parameters or None)
    except CompileCommandError as error:
        _fail(str(error))
    except PipelineDefinitionError as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror}")
    click.echo(f"compiled {pipeline.name} to {output}", err=True)


def register(group: click.Group) -> None:
    group.add_command(compile_command)
