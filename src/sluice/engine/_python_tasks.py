"""Recognising Python function components in a container spec, so Sluice's runtime runs them.

Both kfp and Sluice compile a ``@dsl.component`` to ``sh -ec '<write $0 to ephemeral_component.py; exec
python3 -m kfp.dsl.executor_main|sluice.runtime ...>' <source> --executor_input {{$}}
--function_to_execute NAME``, optionally behind a ``sh -c '<pip install ...> && "$0" "$@"'`` preamble.
The engine takes the source, the function name and the requirements out of that, and runs the function
with ``sluice.runtime`` (no network, no kfp at run time): kfp itself is never installed, since the runtime
stands in for it.
"""

from __future__ import annotations

import functools
import shlex
from dataclasses import dataclass, field

from sluice.ir import ContainerSpec

__all__ = ["PythonFunction", "recognise_python_function"]

_RUNTIME_MODULES = ("kfp.dsl.executor_main", "sluice.runtime")
# Requirements the runtime makes unnecessary: it aliases kfp to Sluice inside the task.
_PROVIDED_PACKAGES = {"kfp", "sluice", "kfp-pipeline-spec"}
_OPTIONS_WITH_VALUES = {"--index-url", "-i", "--extra-index-url", "--trusted-host", "--find-links", "-f"}


@dataclass(frozen=True)
class PythonFunction:
    """What the engine needs to run a Python function component itself."""

    source: str
    function_name: str
    requirements: tuple[str, ...] = ()
    index_urls: tuple[str, ...] = ()  # --index-url first (if any), then --extra-index-url ones
    extra_index_urls: tuple[str, ...] = field(default=())


def _is_provided(requirement: str) -> bool:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        parsed = Requirement(requirement)
    except InvalidRequirement:
        # A path or URL to a kfp wheel (kfp_package_path) is kfp too.
        base = requirement.rsplit("/", 1)[-1].lower()
        return base.startswith(("kfp-", "kfp_", "sluice-", "sluice_"))
    if parsed.marker is not None and not parsed.marker.evaluate():
        return True  # not for this Python: nothing to install
    return canonicalize_name(parsed.name) in _PROVIDED_PACKAGES


@functools.lru_cache(maxsize=64)
def _parse_installs(script: str) -> tuple[list[str], list[str], list[str]]:
    """Requirements, index URLs and extra index URLs of every ``pip install`` in a shell script.

    Cached: kfp writes the same preamble into every executor of a pipeline.
    """
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return [], [], []
    requirements: list[str] = []
    index_urls: list[str] = []
    extra_index_urls: list[str] = []
    index = 0
    while index < len(tokens):
        if tokens[index] == "pip" and index + 1 < len(tokens) and tokens[index + 1] == "install":
            index += 2
            while index < len(tokens) and tokens[index] not in ("&&", "||", ";", "|", "&", "(", ")"):
                token = tokens[index]
                option, has_value, value = token.partition("=")
                if option in _OPTIONS_WITH_VALUES:
                    if not has_value and index + 1 < len(tokens):
                        index += 1
                        value = tokens[index]
                    if option in ("--index-url", "-i"):
                        index_urls.append(value)
                    elif option == "--extra-index-url":
                        extra_index_urls.append(value)
                elif not token.startswith("-"):
                    requirements.append(token)
                index += 1
            continue
        index += 1
    return requirements, index_urls, extra_index_urls


def recognise_python_function(container: ContainerSpec, args: list[str]) -> PythonFunction | None:
    """The Python function this container runs, or None for any other command."""
    command = list(container.command)
    requirements: list[str] = []
    index_urls: list[str] = []
    extra_index_urls: list[str] = []
    if len(command) > 3 and command[:2] == ["sh", "-c"] and "pip install" in command[2]:
        parsed = _parse_installs(command[2])
        requirements, index_urls, extra_index_urls = list(parsed[0]), list(parsed[1]), list(parsed[2])
        command = command[3:]
    if len(command) != 4 or command[0] != "sh" or command[1] not in ("-ec", "-c", "-e"):
        return None
    script, source = command[2], command[3]
    if "ephemeral_component.py" not in script or not any(module in script for module in _RUNTIME_MODULES):
        return None
    if "--function_to_execute" not in args or "--executor_input" not in args:
        return None
    function_position = args.index("--function_to_execute") + 1
    input_position = args.index("--executor_input") + 1
    if function_position >= len(args) or input_position >= len(args) or args[input_position] != "{{$}}":
        return None
    kept = tuple(requirement for requirement in requirements if not _is_provided(requirement))
    return PythonFunction(
        source=source,
        function_name=args[function_position],
        requirements=kept,
        index_urls=tuple(index_urls),
        extra_index_urls=tuple(extra_index_urls),
    )
