"""Prometheus metrics at ``/metrics`` (the text format, with ``prometheus-client``).

Runs and tasks by state and the queue lengths are read from the store at each scrape (so they hold for
runs any process drives); task durations are observed for tasks that ended since the service started (each
scrape reads the ones that ended since the one before); HTTP latency is measured around every request, by
route template (``/apis/v2beta1/runs/{run_id}``, never the ids themselves) so labels stay few.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sluice.store import RuntimeState, utcnow
from sluice.store.models import Run, Task

__all__ = ["METRICS_PATH", "install_metrics"]

METRICS_PATH = "/metrics"
_TASK_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class _StoreCollector(Collector):
    """Reads the counts from the store when Prometheus scrapes; observes the durations of tasks that ended."""

    def __init__(self, app: FastAPI, task_seconds: Histogram) -> None:
        self._app = app
        self._task_seconds = task_seconds
        self._since: datetime = utcnow()
        self._lock = threading.Lock()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        context = getattr(self._app.state, "service", None)
        if context is None:  # not started yet
            return
        runs = GaugeMetricFamily("sluice_runs", "Runs in the store by state", labels=["state"])
        tasks = GaugeMetricFamily("sluice_tasks", "Tasks in the store by state", labels=["state"])
        with context.store.read_session() as session:
            run_counts = dict(session.execute(select(Run.state, func.count()).group_by(Run.state)).all())
            task_counts = dict(session.execute(select(Task.state, func.count()).group_by(Task.state)).all())
            self._observe_ended_tasks(session)
        for state in RuntimeState:
            runs.add_metric([state.value], float(run_counts.get(state, 0)))
            tasks.add_metric([state.value], float(task_counts.get(state, 0)))
        yield runs
        yield tasks
        queued = GaugeMetricFamily(
            "sluice_runs_queued", "Runs submitted to this service waiting for a free worker"
        )
        queued.add_metric([], float(context.executor.queued_runs))
        yield queued
        executing = GaugeMetricFamily("sluice_runs_executing", "Runs this service is executing or has queued")
        executing.add_metric([], float(len(context.executor.active_runs)))
        yield executing
        pending = GaugeMetricFamily(
            "sluice_runs_pending", "Runs waiting to start (PENDING in the store, any process's queue)"
        )
        pending.add_metric([], float(run_counts.get(RuntimeState.PENDING, 0)))
        yield pending

    def _observe_ended_tasks(self, session: Any) -> None:
        with self._lock:
            rows = session.execute(
                select(Task.started_at, Task.finished_at)
                .where(Task.finished_at > self._since, Task.started_at.is_not(None))
                .order_by(Task.finished_at)
            ).all()
            for started_at, finished_at in rows:
                self._task_seconds.observe(max(0.0, (finished_at - started_at).total_seconds()))
                self._since = max(self._since, finished_at)


class _HttpLatency:
    """ASGI middleware: request seconds by method, route template and status code."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or (
                "/serving" if "/serving/" in scope["path"] else "other"
            )
            self.histogram.labels(scope["method"], template, str(status)).observe(
                time.perf_counter() - started
            )


def install_metrics(app: FastAPI) -> None:
    """Serve ``/metrics`` and measure requests; a registry of the app's own (several apps share a process in
    tests)."""
    registry = CollectorRegistry(auto_describe=True)
    task_seconds = Histogram(
        "sluice_task_duration_seconds",
        "Seconds from start to end of tasks that ended since the service started",
        buckets=_TASK_BUCKETS,
        registry=None,  # registered after the collector that feeds it, so a scrape shows what it just read
    )
    http_seconds = Histogram(
        "sluice_http_request_duration_seconds",
        "Seconds to answer HTTP requests, by method, route template and status code",
        labelnames=["method", "route", "status"],
        buckets=_HTTP_BUCKETS,
        registry=registry,
    )
    registry.register(_StoreCollector(app, task_seconds))
    registry.register(task_seconds)
    app.add_middleware(_HttpLatency, histogram=http_seconds)

    @app.get(METRICS_PATH, include_in_schema=False)
    def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
