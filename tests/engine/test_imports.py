"""What the commands import: ``sluice --help`` none of the engine, reading runs back not the machinery that runs
them, a one-shot ``sluice run`` nothing it does not use, the service no HTTP client until it needs one. Each
check runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
{statements}
print(json.dumps(sorted(sys.modules)))
"""

# Loaded only to run a pipeline: launchers, the CEL library, the loop and its parts.
RUN_MACHINERY = (
    "sluice.launchers",
    "sluice.engine._api",
    "sluice.engine._engine",
    "sluice.engine._scheduler",
    "sluice.engine._cel",
    "celpy",
)


def _imported(statements: str, env: dict[str, str] | None = None) -> set[str]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(statements=statements)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr
    return set(json.loads(completed.stdout.splitlines()[-1]))


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(name for name in modules if name.startswith(packages))


def test_help_imports_neither_the_engine_nor_the_store_nor_the_http_client() -> None:
    modules = _imported(
        "from sluice.cli import main\n"
        "try:\n    main(['--help'], prog_name='sluice')\nexcept SystemExit:\n    pass\n"
        "for name in ('run', 'runs'):\n"
        "    try:\n        main([name, '--help'], prog_name='sluice')\n    except SystemExit:\n        pass\n"
    )
    heavy = ("sluice.engine", "sluice.store", "sluice.ir", "sqlalchemy", "yaml", "httpx", *RUN_MACHINERY)
    assert _loaded(modules, heavy) == []


def test_reading_runs_back_does_not_load_what_runs_them() -> None:
    modules = _imported(
        "from sluice.engine import RunResult, RunSummary, Workspace, list_runs, load_run_result"
    )
    assert "sluice.engine._result" in modules
    assert _loaded(modules, RUN_MACHINERY) == []


def test_every_public_name_resolves() -> None:
    import sluice.engine

    for name in sluice.engine.__all__:
        assert getattr(sluice.engine, name).__name__ == name
    assert set(sluice.engine.__all__) <= set(dir(sluice.engine))


ONE_SHOT_PIPELINE = """
from sluice import dsl


@dsl.component
def hello(name: str) -> str:
    return f"Hello, {name}!"


@dsl.pipeline(name="hello")
def pipeline(name: str = "world") -> str:
    return hello(name=name).output
"""

# What a one-shot `sluice run hello.py` needs none of (bench/one_shot.py times it): kfp and the protobuf
# schema (a pipeline Sluice compiles here runs as compiled), Alembic (an up-to-date store is checked with one
# query), the service and its HTTP stack, the CEL library (no conditions), other launchers and object stores,
# PostgreSQL's and MySQL's database dialects, YAML (the pipeline is never written out), SQLAlchemy's ORM
# (the engine reads and writes the store's Core tables).
NOT_FOR_A_ONE_SHOT_RUN = (
    "kfp",
    "google.protobuf",
    "alembic",
    "cel",
    "httpx",
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "fsspec",
    "s3fs",
    "ray",
    "sluice.server",
    "sluice.client",
    "sluice.serving",
    "sluice.launchers._ray",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.mysql",
    "sqlalchemy.orm",
    "sluice.store.models",
    "yaml",
)


def test_a_one_shot_run_imports_only_what_it_needs(tmp_path: Path) -> None:
    source = tmp_path / "hello.py"
    source.write_text(ONE_SHOT_PIPELINE)
    statements = (
        "from sluice.cli import main\n"
        f"try:\n    main(['run', {str(source)!r}], prog_name='sluice')\n"
        "except SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
    )
    env = {**os.environ, "SLUICE_HOME": str(tmp_path / "home")}
    env.pop("SLUICE_DATABASE_URL", None)
    first = _imported(statements, env)  # creates and migrates the store
    assert "alembic" in first
    again = _imported(statements, env)
    assert "sluice.engine._engine" in again  # it did run the pipeline here
    assert _loaded(again, NOT_FOR_A_ONE_SHOT_RUN) == []


def test_the_service_imports_no_http_client_until_it_fetches_a_package_url() -> None:
    # httpx (and the rich console its package imports) cost `sluice up` ~0.1 s at every start; only a
    # pipeline uploaded by URL needs it.
    modules = _imported("import sluice.server, sluice.server._package_url")
    assert "sluice.server._app" in modules
    assert _loaded(modules, ("httpx", "rich")) == []
