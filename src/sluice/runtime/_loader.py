"""Find the component function: load its module from a file and pick the function out by name."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from sluice.runtime._errors import ExecutorInputError

__all__ = ["load_component_function", "load_module_from_path", "unwrap_component"]

# KFP's `kfp component build` images name each component's module in this file in the working directory.
_KFP_CONFIG_FILE = "kfp_config.ini"
_KFP_CONFIG_SECTION = "Components"


def load_module_from_path(module_path: str) -> ModuleType:
    """Execute the Python file at ``module_path`` as a fresh module named after the file.

    Like KFP, the module is registered in ``sys.modules`` (so pickling and dataclasses work) and its
    directory goes first on ``sys.path`` (so modules beside it import).
    """
    try:
        with open(module_path, encoding="utf-8") as source_file:
            source = source_file.read()
    except OSError as error:
        raise ExecutorInputError(
            f"--component_module_path {module_path!r} cannot be read: {error.strerror}"
        ) from error
    module_directory = os.path.dirname(os.path.abspath(module_path))
    module_name = os.path.splitext(os.path.basename(module_path))[0]
    module = ModuleType(module_name)
    module.__file__ = module_path
    sys.modules[module_name] = module
    if module_directory not in sys.path:
        sys.path.insert(0, module_directory)
    # Compiled with the real file name, so tracebacks show the component's source lines.
    exec(compile(source, module_path, "exec"), module.__dict__)
    return module


def _module_path_from_kfp_config(function_name: str) -> str:
    if not os.path.exists(_KFP_CONFIG_FILE):
        raise ExecutorInputError(
            f"no --component_module_path given and no {_KFP_CONFIG_FILE} in {os.getcwd()!r} "
            f"to find function {function_name!r} in"
        )
    import configparser

    config = configparser.ConfigParser()
    config.optionxform = str  # type: ignore[assignment,method-assign]  # function names are case-sensitive
    config.read(_KFP_CONFIG_FILE, encoding="utf-8")
    components = dict(config[_KFP_CONFIG_SECTION]) if config.has_section(_KFP_CONFIG_SECTION) else {}
    if function_name not in components:
        raise ExecutorInputError(
            f"function {function_name!r} is not listed in the [{_KFP_CONFIG_SECTION}] section of "
            f"{_KFP_CONFIG_FILE}; it lists {sorted(components)}"
        )
    return components[function_name]


def unwrap_component(candidate: object) -> object:
    """The plain Python function behind a component object (which keeps it as ``python_func``)."""
    return getattr(candidate, "python_func", candidate)


def load_component_function(function_name: str, component_module_path: str | None) -> Callable[..., Any]:
    """Load the module (from the path, else from ``kfp_config.ini``) and return its function ``function_name``."""
    if component_module_path is None:
        component_module_path = _module_path_from_kfp_config(function_name)
    module = load_module_from_path(component_module_path)
    candidate = unwrap_component(getattr(module, function_name, None))
    if candidate is None:
        functions = sorted(
            name
            for name, value in vars(module).items()
            if callable(value) and getattr(value, "__module__", None) == module.__name__
        )
        raise ExecutorInputError(
            f"--function_to_execute {function_name!r}: no such function in {component_module_path!r} "
            f"(it defines {functions})"
        )
    if not callable(candidate):
        raise ExecutorInputError(
            f"--function_to_execute {function_name!r}: {component_module_path!r} defines it as a "
            f"{type(candidate).__name__}, not a function"
        )
    return candidate
