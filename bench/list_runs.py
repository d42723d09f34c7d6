"""How fast the service lists runs with 100,000 of them in the database, and how fast it creates runs.

For each backend (SQLite, and PostgreSQL when reachable): seed 100,000 finished runs (with an accuracy
metric each) straight into a fresh database, start a real ``sluice up`` on it, then time pages of 50 over
HTTP with a filter and a sort (p50/p99 of many requests), and the rate of POST /runs.

    .venv/bin/python bench/list_runs.py [--runs 100000] [--requests 300] [--backends sqlite,postgresql]
        [--multi-user]

--multi-user: the runs belong to namespace team-a, the server runs with --multi-user, and every request signs
in with a token and lists with namespace=team-a (what kfp.Client(namespace=...) does).

PostgreSQL's admin URL comes from SLUICE_BENCH_POSTGRES_URL (default: the local CI server); a database is
created for the run and dropped after. Target: p99 under 50 ms for a page of 50.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url

from sluice.auth import Directory
from sluice.store import RuntimeState, StorageState, Store
from sluice.store.models import Experiment, Run, RunMetric, RunStateHistory

API = "/apis/v2beta1"
SLUICE = str(Path(sys.executable).with_name("sluice"))
PAGE = 50
BATCH = 5000
TINY_SPEC: dict[str, Any] = {
    "pipelineInfo": {"name": "bench"},
    "schemaVersion": "2.1.0",
    "sdkVersion": "sluice-bench",
    "components": {"comp-noop": {"executorLabel": "exec-noop"}},
    "deploymentSpec": {"executors": {"exec-noop": {"container": {"image": "none", "command": ["true"]}}}},
    "root": {
        "dag": {"tasks": {"noop": {"taskInfo": {"name": "noop"}, "componentRef": {"name": "comp-noop"}}}}
    },
}


def seed(url: str, count: int, namespace: str = "") -> str:
    """``count`` finished runs over the last 30 days, each with an accuracy metric; returns an experiment id.
    With ``namespace``: in an experiment of that namespace."""
    store = Store.open(url)
    try:
        if namespace:
            with store.session() as session:
                experiment = Experiment(name="bench", display_name="bench", namespace=namespace)
                session.add(experiment)
            experiment_id = experiment.id
        else:
            experiment_id = store.default_experiment().id
        states = [RuntimeState.SUCCEEDED] * 6 + [RuntimeState.FAILED] * 3 + [RuntimeState.CANCELED]
        randomness = random.Random(7)
        start = datetime.now(UTC) - timedelta(days=30)
        step = timedelta(days=30) / count
        with store.engine.begin() as connection:
            for first in range(0, count, BATCH):
                runs, metrics, history = [], [], []
                for index in range(first, min(count, first + BATCH)):
                    run_id = str(uuid.uuid4())
                    created = start + step * index
                    state = states[index % len(states)]
                    runs.append(
                        {
                            "id": run_id,
                            "experiment_id": experiment_id,
                            "namespace": namespace,
                            "display_name": f"train-{index:06d}-{randomness.choice(['resnet', 'bert', 'xgb'])}",
                            "description": "",
                            "pipeline_spec": TINY_SPEC,
                            "runtime_config": {"parameters": {"lr": randomness.random()}},
                            "state": state,
                            "storage_state": StorageState.AVAILABLE,
                            "created_at": created,
                            "scheduled_at": created,
                            "finished_at": created + timedelta(minutes=5),
                            "service_account": "",
                            "cache_enabled": True,
                        }
                    )
                    metrics.append(
                        {
                            "run_id": run_id,
                            "name": "accuracy",
                            "value": randomness.random(),
                            "created_at": created,
                        }
                    )
                    history.append({"run_id": run_id, "state": state, "at": created})
                connection.execute(insert(Run), runs)
                connection.execute(insert(RunMetric), metrics)
                connection.execute(insert(RunStateHistory), history)
        if store.backend == "postgresql":
            # What autovacuum would have done by now: statistics, and the visibility map index-only scans need.
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        elif store.backend == "sqlite":
            with store.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        return experiment_id
    finally:
        store.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(home: Path, url: str, *, multi_user: bool = False) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "SLUICE_HOME": str(home)}
    command = [SLUICE, "up", "--port", str(port), "--database-url", url, "--log-level", "warning"]
    if multi_user:
        command.append("--multi-user")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{address}{API}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("sluice up did not start")
            time.sleep(0.2)
        time.sleep(2)  # let start-up work (resuming runs, the first scheduler tick) finish
        yield address
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_listing(client: httpx.Client, label: str, params: dict[str, Any], requests: int) -> str:
    for _ in range(20):  # warm caches and connections
        client.get(f"{API}/runs", params=params).raise_for_status()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(f"{API}/runs", params=params)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    body = response.json()
    assert len(body["runs"]) == PAGE, body
    return (
        f"  {label:<46} p50 {statistics.median(samples):6.1f} ms   p99 {percentile(samples, 0.99):6.1f} ms"
        f"   (total_size {body['total_size']})"
    )


def time_creation(client: httpx.Client, count: int, experiment_id: str | None) -> str:
    started = time.perf_counter()
    for index in range(count):
        body: dict[str, Any] = {"display_name": f"created-{index}", "pipeline_spec": TINY_SPEC}
        if experiment_id:
            body["experiment_id"] = experiment_id
        client.post(f"{API}/runs", json=body).raise_for_status()
    elapsed = time.perf_counter() - started
    return (
        f"  {'POST /runs (one client; runs execute meanwhile)':<46} {count / elapsed:6.0f} runs/s"
        f"   ({1000 * elapsed / count:.1f} ms each)"
    )


def bench(backend: str, url: str, runs: int, requests: int, *, multi_user: bool = False) -> None:
    print(f"{backend}{' (multi-user)' if multi_user else ''}: seeding {runs:,} runs ...", flush=True)
    started = time.perf_counter()
    namespace = "team-a" if multi_user else ""
    experiment_id = seed(url, runs, namespace)
    headers: dict[str, str] = {}
    scope: dict[str, str] = {}
    if multi_user:
        store = Store.open(url)
        try:
            directory = Directory(store)
            headers["Authorization"] = f"Bearer {directory.create_user('bench')}"
            directory.create_namespace(namespace, owner="bench")
        finally:
            store.close()
        scope["namespace"] = namespace
    print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
    succeeded = json.dumps(
        {"predicates": [{"key": "state", "operation": "EQUALS", "string_value": "SUCCEEDED"}]}
    )
    bert = json.dumps(
        {"predicates": [{"key": "display_name", "operation": "IS_SUBSTRING", "string_value": "bert"}]}
    )
    recent = json.dumps(
        {
            "predicates": [
                {"key": "created_at", "operation": "GREATER_THAN", "timestamp_value": "2000-01-01T00:00:00Z"},
                {"key": "state", "operation": "IN", "string_values": {"values": ["FAILED", "CANCELED"]}},
            ]
        }
    )
    good = json.dumps(
        {"predicates": [{"key": "metric:accuracy", "operation": "GREATER_THAN", "string_value": "0.9"}]}
    )
    with (
        tempfile.TemporaryDirectory() as home,
        serving(Path(home), url, multi_user=multi_user) as address,
        httpx.Client(base_url=address, timeout=60, headers=headers) as client,
    ):
        cases = [
            ("state = SUCCEEDED, created_at desc", {"filter": succeeded, "sort_by": "created_at desc"}),
            ("name contains 'bert', display_name asc", {"filter": bert, "sort_by": "display_name"}),
            ("created_at > t AND state IN (..), created_at", {"filter": recent, "sort_by": "created_at"}),
            ("metric:accuracy > 0.9, created_at desc", {"filter": good, "sort_by": "created_at desc"}),
            ("sort_by metric:accuracy desc", {"sort_by": "metric:accuracy desc"}),
        ]
        print(f"  page of {PAGE} over HTTP, {requests} requests each:")
        for label, params in cases:
            print(time_listing(client, label, {"page_size": PAGE, **scope, **params}, requests), flush=True)
        print(time_creation(client, 200, experiment_id if multi_user else None), flush=True)


@contextmanager
def postgres_database() -> Iterator[str]:
    admin = make_url(
        os.environ.get("SLUICE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    )
    name = f"sluice_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--multi-user", action="store_true", help="Sign in, runs in namespace team-a.")
    options = parser.parse_args()
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (other work on the machine skews the figures)"
    )
    for backend in options.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                bench(
                    "sqlite",
                    f"sqlite:///{folder}/bench.db",
                    options.runs,
                    options.requests,
                    multi_user=options.multi_user,
                )
        elif backend == "postgresql":
            try:
                with postgres_database() as url:
                    bench("postgresql", url, options.runs, options.requests, multi_user=options.multi_user)
            except Exception as error:
                print(f"postgresql: skipped ({type(error).__name__}: {error})")
        else:
            raise SystemExit(f"unknown backend {backend!r}")


if __name__ == "__main__":
    main()
