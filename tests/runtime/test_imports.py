"""Every task process imports the runtime: it must stay standard-library only and cheap."""

from __future__ import annotations

import json
import sys

from tests.runtime.conftest import SRC_DIR, RunPython

NEW_MODULES_PROBE = """
import json, pathlib, sys, tempfile
root = pathlib.Path(tempfile.mkdtemp())
before = set(sys.modules)
{statements}
new = sorted(set(sys.modules) - before)
print(json.dumps({{name: getattr(sys.modules[name], "__file__", None) for name in new}}))
"""


def imported_modules(run_python: RunPython, statements: str) -> dict[str, str | None]:
    """The modules that ``statements`` import in a fresh interpreter, with the file each came from."""
    completed = run_python(NEW_MODULES_PROBE.format(statements=statements))
    assert completed.returncode == 0, completed.stderr
    modules: dict[str, str | None] = json.loads(completed.stdout)
    return modules


def third_party(modules: dict[str, str | None]) -> list[str]:
    """Modules neither from the standard library nor from Sluice's sources (kfp aliases included)."""
    return [
        name
        for name, file in modules.items()
        if name.split(".")[0] not in sys.stdlib_module_names
        and not (file is None and name.split(".")[0] == "kfp")  # the runtime's stand-in modules
        and not (file is not None and file.startswith(str(SRC_DIR)))
    ]


def test_importing_the_runtime_loads_no_third_party_module(run_python: RunPython) -> None:
    modules = imported_modules(run_python, "import sluice.runtime")
    assert "sluice.runtime" in modules
    assert third_party(modules) == []
    # --help and argument errors must not pay for the executor, sluice.dsl or typing.
    assert not {"sluice.runtime._executor", "sluice.dsl", "typing", "argparse", "inspect"} & set(modules)


def test_running_a_task_in_process_loads_no_third_party_module(run_python: RunPython) -> None:
    statements = """
(root / "component.py").write_text("from sluice.dsl import *\\ndef f(m: Output[Metrics]) -> int:\\n    m.log_metric('a', 1)\\n    return 1\\n")
import sluice.runtime
executor_input = {"outputs": {"outputFile": str(root / "out.json"),
                  "artifacts": {"m": {"artifacts": [{"uri": str(root / "m")}]}}}}
result = sluice.runtime.execute(executor_input, "f", str(root / "component.py"))
assert result == {"parameterValues": {"Output": 1}, "artifacts": {"m": {"artifacts": [
    {"name": "", "uri": str(root / "m"), "metadata": {"a": 1}}]}}}, result
"""
    modules = imported_modules(run_python, statements)
    assert "sluice.runtime._executor" in modules
    assert set(third_party(modules)) == {"component"}  # the component module itself
    assert modules["kfp"] is None and modules["kfp.dsl"] is None
    # The executor avoids modules that cost milliseconds per task.
    assert not {"inspect", "dataclasses", "argparse", "importlib.util", "tempfile"} & set(modules)


def test_the_runtime_can_run_the_same_worker_repeatedly(run_python: RunPython) -> None:
    statements = """
import sluice.runtime
(root / "component.py").write_text("def double(x: int) -> int:\\n    return 2 * x\\n")
for x in range(3):
    executor_input = {"inputs": {"parameterValues": {"x": x}}, "outputs": {"outputFile": str(root / f"{x}.json")}}
    assert sluice.runtime.execute(executor_input, "double", str(root / "component.py")) == {
        "parameterValues": {"Output": 2 * x}}
"""
    imported_modules(run_python, statements)
