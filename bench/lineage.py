"""How fast lineage is read in a big store: the graph of depth 10 around one artifact, and list pages.

Seeds a fresh SQLite database (and PostgreSQL when reachable) with ``--artifacts`` artifacts (default
100,000) made by chains of executions, each reading the artifact before it (a chain of 20 steps, so a depth
10 walk crosses many nodes and several "runs"), plus wide fan-ins every 100 artifacts. Then times, in
process through ``sluice.lineage`` on the store's own sessions: the lineage graph of depth 10 (both ways)
around artifacts in the middle of chains, a filtered artifacts page, and one artifact's detail.

    .venv/bin/python bench/lineage.py [--artifacts 100000] [--requests 200] [--backends sqlite,postgresql]

Target (issue 15): lineage of depth 10 around an artifact in a store of 100,000 artifacts under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url

from sluice.lineage import ArtifactFilter, artifact_detail, lineage_graph, list_artifacts
from sluice.store import EventType, ExecutionState, Store
from sluice.store.models import Artifact, Event, Execution

CHAIN = 20


def seed(store: Store, artifacts: int) -> list[str]:
    """Chains of ``CHAIN`` artifacts, each made by an execution that read the one before; the ids in the
    middle of each chain come back."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    middles: list[str] = []
    artifact_rows, execution_rows, event_rows = [], [], []
    previous: str | None = None
    for index in range(artifacts):
        if index % CHAIN == 0:
            previous = None
        artifact_id, execution_id = str(uuid.uuid4()), str(uuid.uuid4())
        moment = start + timedelta(seconds=index)
        artifact_rows.append(
            {
                "id": artifact_id,
                "uri": f"s3://bench/{index}",
                "schema_title": "system.Model" if index % 5 == 0 else "system.Dataset",
                "schema_version": "0.0.1",
                "name": f"out-{index % 7}",
                "display_name": "",
                "metadata": {"step": index % CHAIN},
                "created_at": moment,
                "updated_at": moment,
            }
        )
        execution_rows.append(
            {
                "id": execution_id,
                "type": "system.ContainerExecution",
                "name": f"step-{index % CHAIN}",
                "state": ExecutionState.COMPLETE,
                "properties": {"component": f"comp-step-{index % CHAIN}"},
                "created_at": moment,
                "updated_at": moment,
            }
        )
        event_rows.append(
            {"execution_id": execution_id, "artifact_id": artifact_id, "type": EventType.OUTPUT, "key": "out"}
        )
        if previous is not None:
            event_rows.append(
                {"execution_id": execution_id, "artifact_id": previous, "type": EventType.INPUT, "key": "in"}
            )
        if index % 100 == 99:  # a fan-in: this execution also read ten artifacts of earlier chains
            for back in random.sample(range(max(1, index - 5000), index), k=10):
                event_rows.append(
                    {
                        "execution_id": execution_id,
                        "artifact_id": artifact_rows[back]["id"],
                        "type": EventType.INPUT,
                        "key": "extra",
                    }
                )
        if index % CHAIN == CHAIN // 2:
            middles.append(artifact_id)
        previous = artifact_id
    with store.session() as session:
        for rows, model in ((artifact_rows, Artifact), (execution_rows, Execution), (event_rows, Event)):
            for at in range(0, len(rows), 5000):
                session.execute(insert(model), rows[at : at + 5000])
    return middles


def timed(label: str, samples: list[float]) -> None:
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(f"  {label:<46} p50 {statistics.median(samples):7.1f} ms   p99 {p99:7.1f} ms")


def bench(url: str, artifacts: int, requests: int) -> None:
    store = Store.open(url)
    try:
        began = time.perf_counter()
        middles = seed(store, artifacts)
        print(f"  seeded {artifacts:,} artifacts in {time.perf_counter() - began:.1f} s")
        graph_ms, nodes = [], []
        for artifact_id in random.sample(middles, min(requests, len(middles))):
            began = time.perf_counter()
            with store.read_session() as session:
                graph = lineage_graph(session, artifact_id=artifact_id, depth=10, direction="both")
            graph_ms.append((time.perf_counter() - began) * 1000)
            assert graph is not None
            nodes.append(len(graph.artifacts) + len(graph.executions))
        timed(f"lineage depth 10, both ways (~{statistics.median(nodes):.0f} nodes)", graph_ms)
        list_ms, detail_ms = [], []
        for _ in range(requests):
            began = time.perf_counter()
            with store.read_session() as session:
                list_artifacts(
                    session, ArtifactFilter(type="system.Model", name="out-3"), page_size=50, after=None
                )
            list_ms.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            with store.read_session() as session:
                artifact_detail(session, random.choice(middles))
            detail_ms.append((time.perf_counter() - began) * 1000)
        timed("artifacts page of 50 (type + name filter)", list_ms)
        timed("one artifact with its producers and consumers", detail_ms)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgresql")
    options = parser.parse_args()
    random.seed(15)
    for backend in options.backends.split(","):
        print(f"{backend}:")
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                bench(f"sqlite:///{Path(folder) / 'bench.db'}", options.artifacts, options.requests)
            continue
        admin = make_url(
            os.environ.get("SLUICE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1/test")
        )
        name = f"sluice_bench_lineage_{uuid.uuid4().hex[:8]}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
        except Exception as error:  # a bench: say why and go on
            print(f"  skipped: {error}".splitlines()[0], file=sys.stderr)
            continue
        try:
            bench(
                admin.set(database=name).render_as_string(hide_password=False),
                options.artifacts,
                options.requests,
            )
        finally:
            with engine.connect() as connection:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            engine.dispose()


if __name__ == "__main__":
    main()
