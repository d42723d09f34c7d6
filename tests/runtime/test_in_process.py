"""The executor called in process, as a long-lived worker would call it."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sluice import runtime
from sluice.dsl import Dataset, EmbeddedInput, Input, Metrics, Output


def executor_input(tmp_path: Path, **parameters: Any) -> dict[str, Any]:
    return {
        "inputs": {"parameterValues": parameters},
        "outputs": {"outputFile": str(tmp_path / "out" / "executor_output.json")},
    }


def test_execute_function_returns_and_writes_the_executor_output(tmp_path: Path) -> None:
    def scale(x: float, factor: int = 2) -> float:
        return x * factor

    output = runtime.execute_function(scale, executor_input(tmp_path, x=1.25))
    assert output == {"parameterValues": {"Output": 2.5}}
    assert json.loads((tmp_path / "out" / "executor_output.json").read_text()) == output


def test_decorated_and_positional_only_functions(tmp_path: Path) -> None:
    def logged(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return function(*args, **kwargs)

        return wrapper

    @logged
    def join(first: str, /, second: str, *, separator: str = "-") -> str:
        return first + separator + second

    output = runtime.execute_function(join, executor_input(tmp_path, first="a", second="b"))
    assert output == {"parameterValues": {"Output": "a-b"}}


def test_component_objects_are_unwrapped(tmp_path: Path) -> None:
    class Component:
        """Stands in for a decorated component, which keeps the function as ``python_func``."""

        def __init__(self, function: Callable[..., Any]) -> None:
            self.python_func = function

    def hello(name: str) -> str:
        return f"hello {name}"

    output = runtime.execute_function(Component(hello), executor_input(tmp_path, name="x"))  # type: ignore[arg-type]
    assert output == {"parameterValues": {"Output": "hello x"}}


def test_errors_are_exceptions_in_process(tmp_path: Path) -> None:
    def needs(count: int) -> None:
        raise ZeroDivisionError("from the component")

    with pytest.raises(
        runtime.ExecutorInputError, match=r"function 'needs': .*inputs.parameterValues\['count'\]"
    ):
        runtime.execute_function(needs, executor_input(tmp_path))
    with pytest.raises(ZeroDivisionError, match="from the component"):
        runtime.execute_function(needs, executor_input(tmp_path, count=1))


def test_artifacts_in_process(tmp_path: Path) -> None:
    def measure(data: Input[Dataset], metrics: Output[Metrics]) -> None:
        metrics.log_metric("bytes", len(Path(data.path).read_bytes()))

    (tmp_path / "data").write_bytes(b"1234")
    document = executor_input(tmp_path)
    document["inputs"]["artifacts"] = {"data": {"artifacts": [{"uri": f"file://{tmp_path / 'data'}"}]}}
    document["outputs"]["artifacts"] = {"metrics": {"artifacts": [{"name": "m", "uri": str(tmp_path / "m")}]}}
    output = runtime.execute_function(measure, document)
    assert output == {
        "artifacts": {
            "metrics": {"artifacts": [{"name": "m", "uri": str(tmp_path / "m"), "metadata": {"bytes": 4}}]}
        }
    }


def test_an_embedded_input_without_an_embedded_asset_is_an_executor_input_error(tmp_path: Path) -> None:
    """Checked before the call (exit 2 from the command line), naming the parameter."""
    called = []

    def reads(assets: EmbeddedInput[Dataset]) -> str:
        called.append(assets)
        return assets.path

    with pytest.raises(
        runtime.ExecutorInputError, match=r"function 'reads': parameter 'assets' is an EmbeddedInput"
    ):
        runtime.execute_function(reads, executor_input(tmp_path))
    assert called == []


def test_an_embedded_input_is_the_modules_extracted_asset(tmp_path: Path) -> None:
    """The globals the extraction lines set (kfp's names) give the path; a file wins over its folder."""
    namespace: dict[str, Any] = {"__KFP_EMBEDDED_ASSET_DIR": str(tmp_path)}
    exec(
        "from sluice.dsl import EmbeddedInput, Dataset\n"
        "def reads(assets: EmbeddedInput[Dataset]) -> str:\n"
        "    return f'{type(assets).__name__} {assets.path}'\n",
        namespace,
    )
    output = runtime.execute_function(namespace["reads"], executor_input(tmp_path))
    assert output == {"parameterValues": {"Output": f"Dataset {tmp_path}"}}
    namespace["__KFP_EMBEDDED_ASSET_FILE"] = str(tmp_path / "notes.txt")
    output = runtime.execute_function(namespace["reads"], executor_input(tmp_path))
    assert output == {"parameterValues": {"Output": f"Dataset {tmp_path / 'notes.txt'}"}}
