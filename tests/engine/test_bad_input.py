"""Bad input: a clear error naming the task and field; a bad file gives a FAILED run saying why, a bad argument
raises; nothing else touched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from sluice import SluiceError
from sluice.engine import PipelineInputError, RunFailedError, run_pipeline
from sluice.store import Store
from sluice.store.models import Run, Task
from tests.cycles import CYCLE_CASES, cyclic_spec
from tests.engine.conftest import FIXTURES

SLUICE = str(Path(sys.executable).with_name("sluice"))


def _run(pipeline: object, home: Path, arguments: dict[str, object] | None = None):
    return run_pipeline(pipeline, arguments or {}, home=home, handle_sigint=False)


def _counts(home: Path) -> tuple[int, int]:
    store = Store.open(f"sqlite:///{home / 'sluice.db'}")
    try:
        with store.read_session() as session:
            return (
                session.scalar(select(func.count()).select_from(Run)) or 0,
                session.scalar(select(func.count()).select_from(Task)) or 0,
            )
    finally:
        store.close()


@pytest.fixture
def hello(tmp_path: Path) -> dict:
    return yaml.safe_load((FIXTURES / "hello_world.yaml").read_text())


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_bad_files_fail_the_run_and_touch_nothing_else(home: Path, tmp_path: Path, hello: dict) -> None:
    good = _run(FIXTURES / "hello_world.yaml", home)
    assert good.succeeded
    runs_before, tasks_before = _counts(home)

    full_text = (FIXTURES / "hello_world.yaml").read_text()
    unknown_component = json.loads(json.dumps(hello))
    unknown_component["root"]["dag"]["tasks"]["shout"]["componentRef"]["name"] = "comp-missing"
    bad_schema = json.loads(json.dumps(hello))
    bad_schema["root"]["dag"]["tasks"]["shout"]["bogusField"] = 1
    cases = {
        "malformed": (_write(tmp_path, "malformed.yaml", "components: [unclosed\n"), "not valid YAML"),
        "truncated": (_write(tmp_path, "truncated.yaml", full_text[: len(full_text) // 3]), "hello"),
        "schema": (_write(tmp_path, "schema.yaml", yaml.safe_dump(bad_schema)), "bogusField"),
        "unknown component": (
            _write(tmp_path, "unknown.yaml", yaml.safe_dump(unknown_component)),
            "root.dag.tasks.shout.componentRef",
        ),
    }
    for name, (path, expected) in cases.items():
        result = _run(path, home)
        assert result.state == "FAILED", name
        assert result.error is not None, name
        if name != "truncated":
            assert expected in result.error, (name, result.error)
        assert result.tasks == [], name

    runs_after, tasks_after = _counts(home)
    assert runs_after == runs_before + len(cases)
    assert tasks_after == tasks_before  # no task rows for runs that never started


@pytest.mark.parametrize(
    ("fixture", "arguments", "message"),
    [
        ("importer.yaml", {}, "missing required pipeline input 'data_uri' (string)"),
        (
            "control_flow.yaml",
            {"seed": "seven"},
            "pipeline input 'seed': expected an integer, got str \"seven\"",
        ),
        ("control_flow.yaml", {"sead": 1}, "the pipeline has no input 'sead'"),
    ],
)
def test_a_bad_argument_raises_and_records_nothing(
    home: Path, fixture: str, arguments: dict[str, object], message: str
) -> None:
    _run(FIXTURES / "hello_world.yaml", home)  # the store exists, with one run
    before = _counts(home)
    with pytest.raises(PipelineInputError) as raised:
        _run(FIXTURES / fixture, home, arguments)
    assert message in str(raised.value)
    assert isinstance(raised.value, SluiceError) and isinstance(raised.value, ValueError)
    assert _counts(home) == before


def test_executor_writing_invalid_output(home: Path, tmp_path: Path, hello: dict) -> None:
    # make-greeting's executor replaced by a shell command writing text that is not a valid output.
    spec = json.loads(json.dumps(hello))
    executor = spec["deploymentSpec"]["executors"]["exec-make-greeting"]["container"]
    executor["command"] = ["sh", "-c", 'mkdir -p "$(dirname "$0")" && printf "%s" "not json" > "$0"']
    executor["args"] = ["{{$.outputs.output_file}}"]
    result = _run(_write(tmp_path, "invalid-output.yaml", yaml.safe_dump(spec)), home)
    assert result.state == "FAILED"
    task = result.task("make-greeting")
    assert task.state == "FAILED"
    assert "executor output" in (task.error or "") and "not valid JSON" in (task.error or "")
    assert result.task("shout").state == "SKIPPED"
    with pytest.raises(
        RunFailedError, match=f"run {result.run_id} .* ended FAILED: task 'root/make-greeting'"
    ):
        result.raise_for_state()
    assert _run(FIXTURES / "hello_world.yaml", home).raise_for_state().succeeded

    # An integer output that is not an integer.
    typed = json.loads(json.dumps(hello))
    typed["components"]["comp-make-greeting"]["outputDefinitions"]["parameters"]["Output"][
        "parameterType"
    ] = "NUMBER_INTEGER"
    result = _run(_write(tmp_path, "mistyped.yaml", yaml.safe_dump(typed)), home)
    assert result.state == "FAILED"
    assert "output parameter 'Output': expected an integer, got str" in (
        result.task("make-greeting").error or ""
    )


def test_unsafe_names_are_refused(home: Path, tmp_path: Path, hello: dict) -> None:
    spec = json.loads(json.dumps(hello))
    outputs = spec["components"]["comp-make-greeting"]["outputDefinitions"]["parameters"]
    outputs["../../escape"] = outputs.pop("Output")
    result = _run(_write(tmp_path, "escape.yaml", yaml.safe_dump(spec)), home)
    assert result.state == "FAILED"
    assert "not a safe path segment" in (result.task("make-greeting").error or "")
    assert not (home / "artifacts" / "escape").exists()


@pytest.mark.parametrize("case", CYCLE_CASES)
def test_a_cycle_fails_the_run_before_any_task_naming_it(home: Path, tmp_path: Path, case: str) -> None:
    spec, cycle = cyclic_spec(case)
    result = _run(_write(tmp_path, f"{case}.yaml", yaml.safe_dump(spec)), home)
    assert result.state == "FAILED"
    assert cycle in (result.error or ""), result.error
    where = "components.comp-two-steps.dag" if case == "nested" else "root.dag"
    assert where in (result.error or ""), result.error
    assert result.tasks == []  # refused up front, not half-run


def test_sluice_run_and_compile_name_a_cycle(home: Path, tmp_path: Path) -> None:
    spec, cycle = cyclic_spec("nested")
    path = _write(tmp_path, "cycle.yaml", yaml.safe_dump(spec))
    run = subprocess.run([SLUICE, "run", str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 1, run.stderr
    assert cycle in run.stderr and "Traceback" not in run.stderr, run.stderr

    source = _write(
        tmp_path,
        "uses_cycle.py",
        "from sluice import dsl, components\n"
        f"steps = components.load_component_from_file({str(path)!r})\n\n"
        "@dsl.pipeline(name='outer')\n"
        "def outer(a: int = 1) -> int:\n"
        "    return steps(a=a).output\n",
    )
    output = tmp_path / "outer.yaml"
    compiled = subprocess.run(
        [SLUICE, "compile", str(source), "-o", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert compiled.returncode == 2, compiled.stderr
    assert cycle in compiled.stderr and str(path) in compiled.stderr, compiled.stderr
    assert "Traceback" not in compiled.stderr
    assert not output.exists()


@pytest.mark.parametrize("value", [10**40, 2**63, -(2**63) - 1, 1e40])
def test_integer_arguments_beyond_int64_are_refused(home: Path, value: object) -> None:
    with pytest.raises(PipelineInputError, match="pipeline input 'seed': expected a 64-bit integer"):
        _run(FIXTURES / "control_flow.yaml", home, {"seed": value})
