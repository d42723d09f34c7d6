"""The install a new user does, checked from nothing: clean virtual environments, no dev tools.

Run by ``scripts/check-install`` (so by ``scripts/test`` and ``.ci/run``) with the test environment's Python,
which only drives the check (free ports, a SeaweedFS server, a database to point at); every ``sluice``
command runs from a fresh venv that got exactly what README says and nothing else:

- ``base``: ``pip install -e .``, then ``sluice run`` of an example, README's secret example (``sluice
  secrets create``, a pipeline using ``use_secret_as_env``), ``sluice up`` with a run submitted over HTTP and
  waited for, and the web UI served at ``/``;
- one venv per optional extra (``postgres``, ``mysql``, ``s3``, ``ray``, ``serving``, ``notebooks``), installed alone, its
  feature used once (``ray``: ``sluice run --launcher ray`` on a one-node Ray cluster started from that
  venv; ``serving``: a model deployed with ``sluice deployments create`` and one prediction made;
  ``notebooks``: ``sluice run notebook.ipynb -p ...``);
- ``wheel``: ``python -m build`` (wheel and sdist), the wheel installed with no Node.js on PATH, and
  ``sluice up`` from it serving the UI and running a pipeline.

A missing runtime dependency (one that only the dev extra brought in) fails here, not at a user's.
Usage: ``check_install.py [base] [postgres] [mysql] [s3] [ray] [serving] [notebooks] [wheel]`` (default: all).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hello_world.py"
CHECKS = ("base", "postgres", "mysql", "s3", "ray", "serving", "notebooks", "wheel")
POSTGRES_ADMIN = os.environ.get("SLUICE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN = os.environ.get("SLUICE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


class CheckFailed(Exception):
    pass


_lines = threading.local()


def step(message: str) -> None:
    """A line of the current check's report (checks run in parallel; each prints its report whole)."""
    _lines.report.append(f"   {message}")


def run(
    argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 600
) -> str:
    result = subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise CheckFailed(
            f"{' '.join(argv[:4])} ... exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def clean_env(home: Path, path: str | None = None) -> dict[str, str]:
    """Only what a shell on a fresh machine has: no SLUICE_*, no AWS_*, no PYTHONPATH."""
    keep = (
        "HOME",
        "LANG",
        "LC_ALL",
        "TMPDIR",
        "USER",
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_FIND_LINKS",
    )
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["PATH"] = path if path is not None else os.environ.get("PATH", "/usr/bin:/bin")
    env["SLUICE_HOME"] = str(home)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def make_venv(where: Path) -> Path:
    # The interpreter the venv was made from, not the test venv itself.
    python = getattr(sys, "_base_executable", sys.executable)
    run([python, "-m", "venv", "--clear", str(where)])
    return where / "bin"


def pip_install(bin_dir: Path, requirement: str, env: dict[str, str]) -> None:
    started = time.monotonic()
    # --no-compile: byte-compiling every dependency (a third of the install's time) is not what is checked.
    argv = [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-compile", *requirement.split()]
    run(argv, env=env, cwd=ROOT)
    step(f"pip install {requirement}: {time.monotonic() - started:.0f} s")


def sluice_run(bin_dir: Path, env: dict[str, str], *extra: str) -> None:
    output = run([str(bin_dir / "sluice"), "run", str(EXAMPLE), "--json", *extra], env=env, cwd=ROOT)
    summary = json.loads(output)
    if summary.get("state") != "SUCCEEDED":
        raise CheckFailed(f"sluice run ended {summary.get('state')}: {summary.get('error')}")
    step(f"sluice run {EXAMPLE.name} {' '.join(extra)}: SUCCEEDED")


def http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
        return body


@contextlib.contextmanager
def sluice_up(bin_dir: Path, env: dict[str, str], *extra: str) -> Iterator[str]:
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    log_path = Path(env["SLUICE_HOME"]) / f"sluice-up-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(bin_dir / "sluice"), "up", "--port", str(port), *extra],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise CheckFailed(f"sluice up exited {server.returncode}:\n{log_path.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                http_get(f"{host}/apis/v2beta1/healthz")
                break
            if time.monotonic() > deadline:
                raise CheckFailed("sluice up did not answer within 60 s")
            time.sleep(0.2)
        yield host
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def submit_over_http(bin_dir: Path, env: dict[str, str], host: str) -> None:
    compiled = Path(env["SLUICE_HOME"]) / "hello_world.yaml"
    run([str(bin_dir / "sluice"), "compile", str(EXAMPLE), "-o", str(compiled)], env=env, cwd=ROOT)
    output = run(
        [str(bin_dir / "sluice"), "runs", "submit", str(compiled), "--host", host, "--wait", "--json"],
        env=env,
        cwd=ROOT,
    )
    state = json.loads(output).get("state")
    if state != "SUCCEEDED":
        raise CheckFailed(f"the run submitted to sluice up ended {state}: {output[-2000:]}")
    step("sluice up: a run submitted over HTTP SUCCEEDED")


def check_ui(host: str) -> None:
    page = http_get(f"{host}/").decode()
    if '<div id="app"' not in page or "/assets/" not in page:
        raise CheckFailed(f"sluice up does not serve the web UI at /:\n{page[:500]}")
    step("sluice up serves the web UI at /")


# ---------------------------------------------------------------------------------------------- checks


def check_readme_secret(bin_dir: Path, env: dict[str, str], work: Path) -> None:
    """README's "Secrets in a pipeline": its secret, its pipeline file, its run (the secret's value arrives)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Secrets in a pipeline", 1)[1]
    source = section.split("```python\n", 1)[1].split("```", 1)[0]
    pipeline = work / "call_api.py"
    pipeline.write_text(source)
    run(
        [str(bin_dir / "sluice"), "secrets", "create", "api-token", "--from-literal", "token=s3cr3t"],
        env=env,
        cwd=ROOT,
    )
    summary = json.loads(run([str(bin_dir / "sluice"), "run", str(pipeline), "--json"], env=env, cwd=ROOT))
    if summary.get("state") != "SUCCEEDED" or summary.get("outputs") != {"Output": len("s3cr3t")}:
        raise CheckFailed(f"README's secret pipeline ended {summary.get('state')}: {summary.get('error')}")
    step("README's secret example: the task read the secret (SUCCEEDED)")


def check_base(work: Path) -> None:
    env = clean_env(work / "home")
    bin_dir = make_venv(work / "venv")
    pip_install(bin_dir, "-e .", env)
    sluice_run(bin_dir, env)
    check_readme_secret(bin_dir, env, work)
    with sluice_up(bin_dir, env) as host:
        submit_over_http(bin_dir, env, host)
        check_ui(host)
        check_serving_needs_its_extra(bin_dir, env, host)


def check_serving_needs_its_extra(bin_dir: Path, env: dict[str, str], host: str) -> None:
    """Without the serving extra, sluice up runs (nothing imports kserve) and says what deploying needs."""
    result = subprocess.run(
        [str(bin_dir / "sluice"), "deployments", "create", "m", "--model", str(EXAMPLE), "--host", host],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 2 or "pip install 'sluice[serving]'" not in result.stderr:
        raise CheckFailed(
            f"deploying without the serving extra: exit {result.returncode}: {result.stderr[-2000:]}"
        )
    step("sluice deployments create without the serving extra: refused, naming the extra")


def _database(admin_url: str, bin_dir: Path, env: dict[str, str]) -> str:
    """A new, empty database on the local server, made with the driver the extra installed."""
    name = f"sluice_install_{uuid.uuid4().hex[:8]}"
    script = (
        "import sys\n"
        "from sqlalchemy import create_engine\n"
        "from sluice.store._url import parse_database_url\n"
        "engine = create_engine(parse_database_url(sys.argv[1]), isolation_level='AUTOCOMMIT')\n"
        "with engine.connect() as c: c.exec_driver_sql(sys.argv[2])\n"
    )
    run([str(bin_dir / "python"), "-c", script, admin_url, f"CREATE DATABASE {name}"], env=env)
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _drop_database(admin_url: str, bin_dir: Path, env: dict[str, str], url: str) -> None:
    name = url.rsplit("/", 1)[1]
    script = (
        "import sys\n"
        "from sqlalchemy import create_engine\n"
        "from sluice.store._url import parse_database_url\n"
        "engine = create_engine(parse_database_url(sys.argv[1]), isolation_level='AUTOCOMMIT')\n"
        "with engine.connect() as c: c.exec_driver_sql(sys.argv[2])\n"
    )
    with contextlib.suppress(CheckFailed):
        run([str(bin_dir / "python"), "-c", script, admin_url, f"DROP DATABASE IF EXISTS {name}"], env=env)


def check_database(work: Path, extra: str, admin_url: str) -> None:
    env = clean_env(work / "home")
    bin_dir = make_venv(work / "venv")
    pip_install(bin_dir, f"-e .[{extra}]", env)
    url = _database(admin_url, bin_dir, env)
    try:
        env_with_db = {**env, "SLUICE_DATABASE_URL": url}
        sluice_run(bin_dir, env_with_db)
        with sluice_up(bin_dir, env, "--database-url", url) as host:
            submit_over_http(bin_dir, env, host)
    finally:
        _drop_database(admin_url, bin_dir, env, url)


def check_s3(work: Path) -> None:
    env = clean_env(work / "home")
    bin_dir = make_venv(work / "venv")
    pip_install(bin_dir, "-e .[s3]", env)
    sys.path.insert(0, str(ROOT))
    from tests.seaweedfs import start_s3_server  # the dev environment's SeaweedFS, not the user's

    with start_s3_server(work / "weed") as server:
        env_s3 = {**env, **server.environment()}
        root = f"s3://{server.bucket}/install-check"
        sluice_run(bin_dir, env_s3, "--artifact-root", root)
        with sluice_up(bin_dir, env_s3, "--artifact-root", root) as host:
            submit_over_http(bin_dir, env_s3, host)


def check_ray(work: Path) -> None:
    env = clean_env(work / "home")
    bin_dir = make_venv(work / "venv")
    pip_install(bin_dir, "-e .[ray]", env)
    sys.path.insert(0, str(ROOT))
    from tests.ray_cluster import NodeSpec, start_ray_cluster  # nodes started from the new venv

    started = time.monotonic()
    node_env = {"HOME": env.get("HOME", ""), "PATH": env["PATH"]}
    with start_ray_cluster(work / "ray", [NodeSpec("head", cpus=2)], node_env, bin_dir / "ray") as cluster:
        step(f"ray start (one node, from the venv): {time.monotonic() - started:.0f} s")
        sluice_run(bin_dir, env, "--launcher", "ray", "--ray-address", cluster.address)


SERVING_PREDICTOR = """
class Doubler:
    def load(self, model_path):
        with open(model_path + "/factor") as handle:
            self.factor = float(handle.read())

    def predict(self, instances):
        return [[self.factor * x for x in row] for row in instances]
"""


def check_serving(work: Path) -> None:
    env = clean_env(work / "home")
    bin_dir = make_venv(work / "venv")
    pip_install(bin_dir, "-e .[serving]", env)
    model = work / "doubler"
    model.mkdir()
    (model / "predictor.py").write_text(SERVING_PREDICTOR)
    (model / "factor").write_text("2")
    with sluice_up(bin_dir, env) as host:
        created = run(
            [
                str(bin_dir / "sluice"),
                "deployments",
                "create",
                "doubler",
                "--model",
                str(model),
                "--host",
                host,
                "--json",
            ],
            env=env,
            cwd=ROOT,
        )
        url = json.loads(created)["url"]
        step(f"sluice deployments create: serving at {url}")
        request = urllib.request.Request(
            f"{url}/v1/models/doubler:predict",
            data=b'{"instances": [[1.5, 2]]}',
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        if answer != {"predictions": [[3.0, 4.0]]}:
            raise CheckFailed(f"the deployment answered {answer}")
        step("a V1 prediction through the stable URL: {'predictions': [[3.0, 4.0]]}")


def check_wheel(work: Path) -> None:
    dist = work / "dist"
    started = time.monotonic()
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], timeout=900)
    wheels = list(dist.glob("sluice-*.whl"))
    sdists = list(dist.glob("sluice-*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise CheckFailed(f"python -m build made {[p.name for p in dist.iterdir()]}")
    step(f"python -m build: {wheels[0].name}, {sdists[0].name} ({time.monotonic() - started:.0f} s)")
    import tarfile
    import zipfile

    with zipfile.ZipFile(wheels[0]) as wheel:
        if "sluice/ui/static/index.html" not in wheel.namelist():
            raise CheckFailed("the wheel has no web UI (sluice/ui/static/index.html)")
    with tarfile.open(sdists[0]) as sdist:
        names = sdist.getnames()
    if not any(name.endswith("src/sluice/ui/static/index.html") for name in names):
        raise CheckFailed("the sdist has no built web UI")
    if any("/node_modules/" in name for name in names):
        raise CheckFailed("the sdist carries ui/node_modules")
    # No Node.js on PATH: only the venv and a folder with a shell.
    shims = work / "bin"
    shims.mkdir()
    for tool in ("sh", "env"):
        found = shutil.which(tool)
        if found:
            (shims / tool).symlink_to(found)
    bin_dir = make_venv(work / "venv")
    env = clean_env(work / "home", path=f"{bin_dir}{os.pathsep}{shims}")
    if shutil.which("node", path=env["PATH"]) or shutil.which("npm", path=env["PATH"]):
        raise CheckFailed("node is still on PATH")
    pip_install(bin_dir, str(wheels[0]), env)
    sluice_run(bin_dir, env)
    with sluice_up(bin_dir, env) as host:
        check_ui(host)
        submit_over_http(bin_dir, env, host)


NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "p",
            "metadata": {"tags": ["parameters"]},
            "outputs": [],
            "source": "text = 'default'\n",
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "r",
            "metadata": {},
            "outputs": [],
            "source": "print('notebook says', text)\n",
        },
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def check_notebooks(work: Path) -> None:
    env = clean_env(work / "home")
    bin_dir = make_venv(work / "venv")
    pip_install(bin_dir, "-e .[notebooks]", env)
    notebook = work / "hello.ipynb"
    notebook.write_text(json.dumps(NOTEBOOK))
    output = run(
        [str(bin_dir / "sluice"), "run", str(notebook), "-p", "text=installed", "--json"], env=env, cwd=ROOT
    )
    summary = json.loads(output)
    if summary.get("state") != "SUCCEEDED":
        raise CheckFailed(f"sluice run hello.ipynb ended {summary.get('state')}: {summary.get('error')}")
    step("sluice run hello.ipynb -p text=installed: SUCCEEDED")


def run_check(name: str) -> bool:
    _lines.report = []
    started = time.monotonic()
    ok = True
    with tempfile.TemporaryDirectory(prefix=f"sluice-install-{name}-") as folder:
        work = Path(folder)
        try:
            if name == "base":
                check_base(work)
            elif name == "postgres":
                check_database(work, "postgres", POSTGRES_ADMIN)
            elif name == "mysql":
                check_database(work, "mysql", MYSQL_ADMIN)
            elif name == "s3":
                check_s3(work)
            elif name == "ray":
                check_ray(work)
            elif name == "serving":
                check_serving(work)
            elif name == "notebooks":
                check_notebooks(work)
            else:
                check_wheel(work)
        except (CheckFailed, subprocess.TimeoutExpired) as error:
            step(f"FAILED: {error}")
            ok = False
    step(f"{'ok' if ok else 'FAILED'} ({time.monotonic() - started:.0f} s)")
    print(f"== install check: {name}", *_lines.report, sep="\n", flush=True)
    return ok


def main(argv: list[str]) -> int:
    from concurrent.futures import ThreadPoolExecutor

    chosen = argv or list(CHECKS)
    unknown = [name for name in chosen if name not in CHECKS]
    if unknown:
        print(f"unknown check(s) {unknown}; choose from {', '.join(CHECKS)}", file=sys.stderr)
        return 2
    # pip spends most of its time waiting on files and the index: three at once fit two cores.
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(chosen, pool.map(run_check, chosen)))
    failed = [name for name, ok in results.items() if not ok]
    if failed:
        print(f"install checks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
