"""Request rate, errors and latency per deployment and revision over time, as the router saw them.

Kept in memory in 10-second buckets for the last hour (what the UI's charts show); a restart of
``sluice up`` starts them afresh. Latencies go into a log-scaled histogram (each bucket 25% wider than the
last), so percentiles are exact to within a bucket.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field

__all__ = ["BUCKET_SECONDS", "MetricPoint", "ServingMetrics"]

BUCKET_SECONDS = 10
KEPT_BUCKETS = 360
_SMALLEST_S = 1e-4
_GROWTH = 1.25
_HISTOGRAM_SIZE = 80  # 0.1 ms * 1.25**80: about 9 minutes


def _slot(seconds: float) -> int:
    if seconds <= _SMALLEST_S:
        return 0
    return min(_HISTOGRAM_SIZE - 1, 1 + int(math.log(seconds / _SMALLEST_S, _GROWTH)))


def _slot_upper(slot: int) -> float:
    return _SMALLEST_S * _GROWTH**slot


@dataclass
class _Counts:
    requests: int = 0
    errors: int = 0  # 5xx, and requests no replica answered
    client_errors: int = 0  # 4xx
    latency_total: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * _HISTOGRAM_SIZE)

    def percentile(self, fraction: float) -> float:
        wanted = max(1, math.ceil(self.requests * fraction))
        seen = 0
        for slot, count in enumerate(self.histogram):
            seen += count
            if seen >= wanted:
                return _slot_upper(slot)
        return _slot_upper(_HISTOGRAM_SIZE - 1)


@dataclass(frozen=True)
class MetricPoint:
    at: float  # the bucket's start, seconds since the epoch
    revision: int
    requests: int
    errors: int
    client_errors: int
    latency_mean_ms: float
    latency_p50_ms: float
    latency_p99_ms: float


class ServingMetrics:
    """Written by the router (the event loop), read by API handlers (threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # deployment id -> deque of (bucket start, {revision: counts})
        self._series: dict[str, deque[tuple[int, dict[int, _Counts]]]] = {}

    def record(self, deployment_id: str, revision: int, status: int, seconds: float) -> None:
        bucket = int(time.time()) // BUCKET_SECONDS * BUCKET_SECONDS
        with self._lock:
            series = self._series.get(deployment_id)
            if series is None:
                series = self._series[deployment_id] = deque(maxlen=KEPT_BUCKETS)
            if not series or series[-1][0] != bucket:
                series.append((bucket, {}))
            by_revision = series[-1][1]
            counts = by_revision.get(revision)
            if counts is None:
                counts = by_revision[revision] = _Counts()
            counts.requests += 1
            if status >= 500:
                counts.errors += 1
            elif status >= 400:
                counts.client_errors += 1
            counts.latency_total += seconds
            counts.histogram[_slot(seconds)] += 1

    def points(self, deployment_id: str, since: float = 0.0) -> list[MetricPoint]:
        with self._lock:
            buckets = [
                (start, [(revision, _copy(counts)) for revision, counts in by_revision.items()])
                for start, by_revision in self._series.get(deployment_id, ())
                if start + BUCKET_SECONDS > since
            ]
        points = []
        for start, by_revision in buckets:
            for revision, counts in sorted(by_revision):
                points.append(
                    MetricPoint(
                        at=float(start),
                        revision=revision,
                        requests=counts.requests,
                        errors=counts.errors,
                        client_errors=counts.client_errors,
                        latency_mean_ms=round(counts.latency_total / counts.requests * 1000, 3),
                        latency_p50_ms=round(counts.percentile(0.5) * 1000, 3),
                        latency_p99_ms=round(counts.percentile(0.99) * 1000, 3),
                    )
                )
        return points

    def forget(self, deployment_id: str) -> None:
        with self._lock:
            self._series.pop(deployment_id, None)


def _copy(counts: _Counts) -> _Counts:
    return _Counts(
        counts.requests, counts.errors, counts.client_errors, counts.latency_total, list(counts.histogram)
    )
