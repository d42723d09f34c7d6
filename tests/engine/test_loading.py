"""Loading a pipeline's .py file, the one loader ``sluice compile``, ``sluice run`` and ``sluice.run()`` share:
a file that does not load is the command's error naming the file and line (exit 2, no run recorded), and
the file's folder is on ``sys.path`` only while it imports. Real subprocesses, as a user types them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sluice.engine import list_runs, run_pipeline
from sluice.engine._workspace import Workspace

SLUICE = str(Path(sys.executable).with_name("sluice"))


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def _sluice(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SLUICE, *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd)


def _run_count(home: Path) -> int:
    with Workspace.resolve(home).store() as store:
        return len(list_runs(store, 100))


BROKEN = {
    "import": (
        "from sluice import dsl\nimport json\n\nsettings = json.loads('{not json')\n",
        ":4: JSONDecodeError",
    ),
    "syntax": ("def broken(:\n    pass\n", ":1: SyntaxError"),
    "definition": (
        """\
        from sluice import dsl


        @dsl.component
        def echo(text: str) -> str:
            return text


        @dsl.pipeline
        def wrong():
            echo(txt="typo")
        """,
        ":11: task 'echo': echo() got an unexpected argument 'txt'",
    ),
    "no pipeline": ("from sluice import dsl\n", "defines no @dsl.pipeline function"),
}


@pytest.mark.parametrize("case", BROKEN)
@pytest.mark.parametrize("command", ["run", "compile"])
def test_a_file_that_does_not_load_names_its_line_and_exits_2(
    home: Path, tmp_path: Path, case: str, command: str
) -> None:
    text, fragment = BROKEN[case]
    source = _write(tmp_path / "bad.py", text)
    argv = ["run", str(source)] if command == "run" else ["compile", str(source), "-o", "out.yaml"]
    completed = _sluice(*argv, cwd=tmp_path)
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.startswith("error: "), completed.stderr
    assert "Traceback" not in completed.stderr
    if case != "no pipeline":
        assert f"{source}{fragment}" in completed.stderr, completed.stderr
    else:
        assert fragment in completed.stderr, completed.stderr
    if command == "run":
        assert not (home / "sluice.db").exists() or _run_count(home) == 0  # nothing recorded


def test_a_pipeline_file_imports_its_neighbours_and_leaves_sys_path_as_it_was(
    home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    _write(folder / "greetings.py", "GREETING = 'hi'\n")
    source = _write(
        folder / "pipeline.py",
        """\
        from greetings import GREETING

        from sluice import dsl


        @dsl.component
        def greet(greeting: str) -> str:
            return greeting + "!"


        @dsl.pipeline
        def hello(greeting: str = GREETING) -> str:
            return greet(greeting=greeting).output
        """,
    )
    completed = _sluice("run", str(source), cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert 'output Output = "hi!"' in completed.stderr

    before = list(sys.path)
    result = run_pipeline(source, home=home, handle_sigint=False)
    assert result.succeeded and result.outputs == {"Output": "hi!"}
    assert sys.path == before
    assert str(folder) not in sys.path
