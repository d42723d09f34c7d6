"""Pipeline specs whose DAGs have a cycle, made from kfp-compiled pipelines by adding ``dependentTasks``: a
task waiting for itself, two tasks waiting for each other, and such a loop inside a nested pipeline.

Each case gives the spec and the task names its error must name, in the order of the cycle."""

from __future__ import annotations

import copy
import warnings
from typing import Any

CYCLE_CASES = ("self", "loop", "nested")


def _compiled(name: str) -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    import yaml
    from kfp import compiler

    from tests.server import pipelines

    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(folder) / "pipeline.yaml"
        compiler.Compiler().compile(pipelines.ALL[name], str(path))
        loaded: dict[str, Any] = yaml.safe_load(path.read_text())
        return loaded


def cyclic_spec(case: str) -> tuple[dict[str, Any], str]:
    """A spec with a cycle, and the cycle as its error should show it ("add -> add-2 -> add")."""
    if case == "nested":
        spec = copy.deepcopy(_compiled("nested_steps"))
        tasks = spec["components"]["comp-two-steps"]["dag"]["tasks"]
    else:
        spec = copy.deepcopy(_compiled("two_steps"))
        tasks = spec["root"]["dag"]["tasks"]
    if case == "self":
        tasks["add"]["dependentTasks"] = ["add"]
        return spec, "add -> add"
    tasks["add"]["dependentTasks"] = ["add-2"]
    return spec, "add -> add-2 -> add"
