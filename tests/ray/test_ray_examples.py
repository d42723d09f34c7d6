"""Every example, compiled by the official kfp SDK, runs on the Ray cluster to the states and outputs the
local launcher gives the same example (compiled by Sluice)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sluice.engine import run_pipeline
from tests.examples.test_examples_run import ARGUMENTS, EXAMPLES, GPUS, KFP_COMPILED, ROOT


def _parameters(outputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs without artifact URIs (those name the run and the root)."""
    return {
        key: value
        for key, value in outputs.items()
        if not (isinstance(value, str) and (value.startswith(("s3://", "/")) or "://" in value))
    }


@pytest.mark.parametrize("name", EXAMPLES)
def test_kfp_compiled_example_on_ray_matches_the_local_launcher(
    name: str, ray_run: dict[str, Any], tmp_path: Path
) -> None:
    arguments = dict(ARGUMENTS.get(name, {}))
    local = run_pipeline(
        ROOT / "examples" / f"{name}.py",
        arguments,
        home=tmp_path / "local",
        gpus=GPUS.get(name, 0),
        handle_sigint=False,
    )
    assert local.state == "SUCCEEDED", local.error
    on_ray = run_pipeline(KFP_COMPILED / f"{name}.yaml", arguments, **ray_run)
    assert on_ray.state == "SUCCEEDED", on_ray.error
    assert {task.path: task.state for task in on_ray.tasks} == {task.path: task.state for task in local.tasks}
    assert _parameters(on_ray.outputs) == _parameters(local.outputs)
    ran = [task for task in on_ray.tasks if task.kind == "container" and task.state == "SUCCEEDED"]
    assert ran and all(task.node_id for task in ran)  # every task ran on a node of the cluster
