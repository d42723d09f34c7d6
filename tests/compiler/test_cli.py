"""``sluice compile``: run as a user runs it, in a subprocess."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


SLUICE = Path(sys.executable).parent / "sluice"
# The installed console script, as a user runs it; without one (an uninstalled checkout), its entry point.
COMMAND = [str(SLUICE)] if SLUICE.exists() else [sys.executable, "-c", "from sluice.cli import main; main()"]


def sluice(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write(path: Path, source: str) -> Path:
    path.write_text(textwrap.dedent(source))
    return path


PIPELINE = """\
from sluice import dsl


@dsl.component
def echo(text: str, times: int = 1) -> str:
    return text * times


@dsl.pipeline
def inner(text: str) -> str:
    return echo(text=text).output


@dsl.pipeline(name="outer")
def outer(text: str = "hi", times: int = 1, ratio: float = 0.5, tags: list = []):
    echo(text=inner(text=text).output, times=times)
"""


def test_compiles_the_one_root_pipeline(tmp_path: Path) -> None:
    source = write(tmp_path / "flow.py", PIPELINE)
    result = sluice("compile", str(source), "-o", "out.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "compiled outer to out.yaml" in result.stderr
    spec = yaml.safe_load((tmp_path / "out.yaml").read_text())
    assert spec["pipelineInfo"]["name"] == "outer"


def test_parameters_and_function(tmp_path: Path) -> None:
    source = write(tmp_path / "flow.py", PIPELINE)
    result = sluice(
        "compile", str(source), "--function", "outer", "-o", "out.yaml",
        "-p", "text=3", "-p", "times=4", "-p", "ratio=1", "-p", 'tags=["a"]',
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    parameters = yaml.safe_load((tmp_path / "out.yaml").read_text())["root"]["inputDefinitions"]["parameters"]
    assert parameters["text"]["defaultValue"] == "3"
    assert parameters["times"]["defaultValue"] == 4
    assert parameters["ratio"]["defaultValue"] == 1.0
    assert parameters["tags"]["defaultValue"] == ["a"]
    inner = sluice("compile", str(source), "--function", "inner", "-o", "inner.yaml", cwd=tmp_path)
    assert inner.returncode == 0, inner.stderr


def test_a_component_compiles_too(tmp_path: Path) -> None:
    source = write(tmp_path / "flow.py", PIPELINE)
    result = sluice("compile", str(source), "--function", "echo", "-o", "echo.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load((tmp_path / "echo.yaml").read_text())["pipelineInfo"]["name"] == "echo"


def test_the_readme_command(tmp_path: Path) -> None:
    result = sluice(
        "compile", str(REPO / "examples" / "training.py"), "-o", str(tmp_path / "t.yaml"), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr


def _fails(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_a_missing_file(tmp_path: Path) -> None:
    _fails(sluice("compile", "nowhere.py", "-o", "out.yaml", cwd=tmp_path), "error: nowhere.py: no such file")
    assert not (tmp_path / "out.yaml").exists()


def test_an_import_error_names_the_users_file_and_line(tmp_path: Path) -> None:
    source = write(
        tmp_path / "broken.py",
        """\
        from sluice import dsl
        import json

        settings = json.loads("{not json")
        """,
    )
    _fails(
        sluice("compile", str(source), "-o", "out.yaml", cwd=tmp_path),
        f"error: importing {source} failed at {source}:4: JSONDecodeError",
    )
    syntax = write(tmp_path / "syntax.py", "def broken(:\n    pass\n")
    _fails(sluice("compile", str(syntax), "-o", "out.yaml", cwd=tmp_path), f"{syntax}:1: SyntaxError")


def test_a_definition_error_names_the_task_and_line(tmp_path: Path) -> None:
    source = write(
        tmp_path / "wrong.py",
        """\
        from sluice import dsl


        @dsl.component
        def echo(text: str) -> str:
            return text


        @dsl.pipeline
        def wrong():
            echo(txt="typo")
        """,
    )
    _fails(
        sluice("compile", str(source), "-o", "out.yaml", cwd=tmp_path),
        f"{source}:11: task 'echo': echo() got an unexpected argument 'txt'",
    )
    assert not (tmp_path / "out.yaml").exists()


def test_no_pipeline_and_several_pipelines(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.py", "from sluice import dsl\n")
    _fails(sluice("compile", str(empty), "-o", "out.yaml", cwd=tmp_path), "defines no @dsl.pipeline function")
    several = write(
        tmp_path / "several.py",
        """\
        from sluice import dsl


        @dsl.component
        def echo(text: str) -> str:
            return text


        @dsl.pipeline
        def first():
            echo(text="1")


        @dsl.pipeline
        def second():
            echo(text="2")
        """,
    )
    _fails(
        sluice("compile", str(several), "-o", "out.yaml", cwd=tmp_path),
        "defines several pipelines (first, second): choose one with --function NAME",
    )
    _fails(
        sluice("compile", str(several), "--function", "third", "-o", "out.yaml", cwd=tmp_path),
        "defines no 'third'",
    )


def test_bad_parameters(tmp_path: Path) -> None:
    source = write(tmp_path / "flow.py", PIPELINE)
    _fails(
        sluice("compile", str(source), "-o", "out.yaml", "-p", "nope=1", cwd=tmp_path),
        "-p nope: the pipeline has no such parameter",
    )
    _fails(
        sluice("compile", str(source), "-o", "out.yaml", "-p", "times=many", cwd=tmp_path),
        "times is typed Integer; give its value as JSON",
    )
    _fails(
        sluice("compile", str(source), "-o", "out.yaml", "-p", "times", cwd=tmp_path), "expected NAME=VALUE"
    )
