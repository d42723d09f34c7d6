"""``@dsl.component``: a Python function that runs as one pipeline step, in its own container.

The function's source (decorators stripped) is embedded in the compiled pipeline; the task's container
writes it to a file and runs it with ``python3 -m sluice.runtime``, which reads the executor input,
calls the function and writes its outputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, overload

from sluice.dsl._component import BaseComponent, ComponentSpec, ContainerImplementation
from sluice.dsl._errors import PipelineDefinitionError, location_of_function
from sluice.dsl._graph import k8s_name
from sluice.dsl._placeholders import PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER
from sluice.dsl._types import read_signature

__all__ = ["DEFAULT_BASE_IMAGE", "PythonComponent", "component", "embedded_source"]

DEFAULT_BASE_IMAGE = "python:3.11"
"""The image a component runs in when ``base_image`` is not given (KFP's default)."""

SOURCE_PREAMBLE = "from sluice import dsl\nfrom sluice.dsl import *\nfrom typing import *\n\n"
"""Put before the function's source: the names a component's annotations and body may use unimported."""

RUNNER_SCRIPT = (
    "program_path=$(mktemp -d)\n"
    'printf "%s" "$0" > "$program_path/ephemeral_component.py"\n'
    'exec python3 -m sluice.runtime --component_module_path "$program_path/ephemeral_component.py" "$@"\n'
)
"""``sh -ec`` script: write the embedded source (``$0``) to a file and run it with Sluice's runtime."""

_PIP_INSTALL_SCRIPT = """
if ! [ -x "$(command -v pip)" ]; then
    python3 -m ensurepip || python3 -m ensurepip --user || apt-get install python3-pip
fi

PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location {arguments} && "$0" "$@"
"""


def _function_source(function: Callable[..., Any]) -> str:
    """The function's own source: dedented, decorators dropped."""
    import ast
    import inspect
    import textwrap

    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError) as error:
        raise PipelineDefinitionError(
            f"cannot read the source of {function.__name__!r} ({error}); a component's function must be "
            "defined in a file",
            task=function.__name__,
            location=location_of_function(function),
        ) from None
    tree = ast.parse(source)
    definition = next(
        (node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)), None
    )
    if definition is None:
        return source
    lines = source.splitlines()
    return "\n".join(lines[definition.lineno - 1 : definition.end_lineno]) + "\n"


def embedded_source(
    function: Callable[..., Any],
    additional_funcs: list[Callable[..., Any]] | None = None,
    asset_source: str = "",
) -> str:
    """The program a component's container runs: a short preamble, the ``additional_funcs``' sources, the
    lines that extract an embedded asset, then the function's source (kfp's order)."""
    parts = [SOURCE_PREAMBLE]
    for helper in additional_funcs or ():
        parts.append(_function_source(helper) + "\n\n")
    if asset_source:
        parts.append(asset_source + "\n\n")
    parts.append(_function_source(function))
    return "".join(parts)


def _checked_additional_funcs(
    function: Callable[..., Any], additional_funcs: Any
) -> list[Callable[..., Any]]:
    if additional_funcs is None:
        return []
    import inspect

    if not isinstance(additional_funcs, list | tuple):
        raise PipelineDefinitionError(
            f"component {function.__name__!r}: additional_funcs must be a list of functions, got "
            f"{type(additional_funcs).__name__}",
            task=function.__name__,
            location=location_of_function(function),
        )
    for helper in additional_funcs:
        if not inspect.isfunction(helper) or helper.__name__ == "<lambda>":
            raise PipelineDefinitionError(
                f"component {function.__name__!r}: additional_funcs takes plain functions (def ...), not "
                f"{helper!r}",
                task=function.__name__,
                location=location_of_function(function),
            )
    return list(additional_funcs)


def _asset_source(function: Callable[..., Any], embedded_artifact_path: str | os.PathLike[str]) -> str:
    """The lines carrying the embedded file or folder; clear errors for a path that cannot be embedded."""
    from sluice.dsl._embedding import LARGE_ARCHIVE_BYTES, embedded_asset_source

    given = os.fspath(embedded_artifact_path)
    path = os.path.abspath(given)
    where = f"{given!r}" if given == path else f"{given!r} ({path})"
    if not os.path.exists(path):
        raise PipelineDefinitionError(
            f"component {function.__name__!r}: embedded_artifact_path {where} does not exist",
            task=function.__name__,
            location=location_of_function(function),
        )
    if not (os.path.isfile(path) or os.path.isdir(path)):
        raise PipelineDefinitionError(
            f"component {function.__name__!r}: embedded_artifact_path {where} is neither a file nor a folder",
            task=function.__name__,
            location=location_of_function(function),
        )
    try:
        source, size = embedded_asset_source(path)
    except OSError as error:
        raise PipelineDefinitionError(
            f"component {function.__name__!r}: embedded_artifact_path {where} cannot be read: "
            f"{error.strerror or error} ({error.filename or path})",
            task=function.__name__,
            location=location_of_function(function),
        ) from None
    if size > LARGE_ARCHIVE_BYTES:
        import warnings

        warnings.warn(
            f"component {function.__name__!r}: the embedded {where} is {size / (1 << 20):.1f} MB compressed, "
            "and travels inside the compiled pipeline; large files belong in an image or an artifact store",
            UserWarning,
            stacklevel=4,
        )
    return source


def _pip_install_command(packages: list[str], index_urls: list[str] | None) -> list[str]:
    import shlex

    options: list[str] = []
    if index_urls:
        options += ["--index-url", index_urls[0]]
        for extra in index_urls[1:]:
            options += ["--extra-index-url", extra]
        for url in index_urls:
            options += ["--trusted-host", url]
    arguments = " ".join(shlex.quote(part) for part in [*options, *packages])
    return ["sh", "-c", _PIP_INSTALL_SCRIPT.format(arguments=arguments)]


class PythonComponent(BaseComponent):
    """A component made from a Python function with ``@dsl.component``."""

    def __init__(self, component_spec: ComponentSpec, python_func: Callable[..., Any]) -> None:
        super().__init__(component_spec, python_func.__name__)
        self.python_func = python_func
        self.__wrapped__ = python_func
        self.__doc__ = python_func.__doc__

    def execute(self, **kwargs: Any) -> Any:
        """Call the Python function directly (no pipeline, no container)."""
        return self.python_func(**kwargs)


def _make_component(  # noqa: PLR0917 (the decorator's settings, passed on)
    function: Callable[..., Any],
    base_image: str | None,
    packages_to_install: list[str] | None,
    pip_index_urls: list[str] | None,
    additional_funcs: list[Callable[..., Any]] | None = None,
    embedded_artifact_path: str | os.PathLike[str] | None = None,
    extra_source: str = "",  # after the embedded asset's lines (a notebook component's runner)
) -> PythonComponent:
    signature = read_signature(function, allow_embedded=True)
    if signature.embedded_inputs and embedded_artifact_path is None:
        raise PipelineDefinitionError(
            f"component {function.__name__!r}: parameter {signature.embedded_inputs[0]!r} is an EmbeddedInput, "
            "but nothing is embedded: give @dsl.component(embedded_artifact_path=...) the file or folder",
            task=function.__name__,
            location=location_of_function(function),
        )
    helpers = _checked_additional_funcs(function, additional_funcs)
    asset_source = (
        _asset_source(function, embedded_artifact_path) if embedded_artifact_path is not None else ""
    ) + extra_source
    for name, output in signature.outputs.items():
        if output.is_artifact_list:
            raise PipelineDefinitionError(
                f"component {function.__name__!r} declares output {name!r} as a list of artifacts; only "
                "pipelines can output lists of artifacts",
                task=function.__name__,
                location=location_of_function(function),
            )
    command = ["sh", "-ec", RUNNER_SCRIPT, embedded_source(function, helpers, asset_source)]
    if packages_to_install:
        command = _pip_install_command(list(packages_to_install), pip_index_urls) + command
    args = [
        "--executor_input",
        PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER,
        "--function_to_execute",
        function.__name__,
    ]
    from sluice.dsl._docstrings import parse_docstring

    spec = ComponentSpec(
        name=k8s_name(function.__name__),
        inputs=signature.inputs,
        outputs=signature.outputs,
        implementation=ContainerImplementation(
            image=base_image or DEFAULT_BASE_IMAGE, command=command, args=args
        ),
        description=parse_docstring(function).description,
    )
    return PythonComponent(spec, function)


@overload
def component(func: Callable[..., Any]) -> PythonComponent: ...


@overload
def component(
    func: None = None,
    *,
    base_image: str | None = None,
    target_image: str | None = None,
    packages_to_install: list[str] | None = None,
    pip_index_urls: list[str] | None = None,
    output_component_file: str | None = None,
    install_kfp_package: bool = True,
    kfp_package_path: str | None = None,
    pip_trusted_hosts: list[str] | None = None,
    use_venv: bool = False,
    additional_funcs: list[Callable[..., Any]] | None = None,
    embedded_artifact_path: str | None = None,
    task_config_passthroughs: list[Any] | None = None,
) -> Callable[[Callable[..., Any]], PythonComponent]: ...


def component(
    func: Callable[..., Any] | None = None,
    *,
    base_image: str | None = None,
    target_image: str | None = None,
    packages_to_install: list[str] | None = None,
    pip_index_urls: list[str] | None = None,
    output_component_file: str | None = None,
    install_kfp_package: bool = True,
    kfp_package_path: str | None = None,
    pip_trusted_hosts: list[str] | None = None,
    use_venv: bool = False,
    additional_funcs: list[Callable[..., Any]] | None = None,
    embedded_artifact_path: str | None = None,
    task_config_passthroughs: list[Any] | None = None,
) -> PythonComponent | Callable[[Callable[..., Any]], PythonComponent]:
    """Make a Python function a component (bare ``@dsl.component`` or ``@dsl.component(...)``).

    Args:
        base_image: The image the function runs in (default ``python:3.11``).
        packages_to_install: PyPI packages installed before the function runs.
        pip_index_urls: Package indexes for those packages (the first replaces PyPI).
        output_component_file: Also write the component, compiled, to this YAML file.
        additional_funcs: Functions the component calls, whose sources are compiled in with its own.
        embedded_artifact_path: A file or folder (relative to the working directory) to carry inside the
            compiled component; the function receives it through an ``EmbeddedInput[...]`` parameter, and
            a folder is also put on ``sys.path`` (so modules in it import). Missing: an error, here.
        target_image, install_kfp_package, kfp_package_path, pip_trusted_hosts, use_venv: accepted for
            compatibility with kfp and ignored (Sluice's runtime is provided by the launcher).
        task_config_passthroughs: kfp's ``dsl.TaskConfig`` passthroughs; not supported (must be None).
    """
    if task_config_passthroughs:
        raise PipelineDefinitionError(
            "@dsl.component(task_config_passthroughs=...) (kfp's dsl.TaskConfig) is not supported by Sluice"
        )

    def decorate(function: Callable[..., Any]) -> PythonComponent:
        made = _make_component(
            function,
            base_image,
            packages_to_install,
            pip_index_urls,
            additional_funcs,
            embedded_artifact_path,
        )
        if output_component_file:
            write_component_file(made, output_component_file)
        return made

    if func is not None:
        return decorate(func)
    return decorate


def write_component_file(component: Any, path: str) -> None:
    """``output_component_file=``: the component compiled to YAML (the compiler, imported only then)."""
    from sluice.compiler import Compiler

    Compiler().compile(component, path)
