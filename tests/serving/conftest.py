"""Model serving against a real ``sluice up``: real replica processes (KServe's ModelServer), real HTTP on
loopback, and a bounded load generator that records every request it makes."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.client import Client
from tests.server.conftest import ServerProcess

# A predictor whose every prediction is its model's tag: responses say which model answered.
TAGGED_PREDICTOR = """
class Tagged:
    def load(self, model_path):
        with open(model_path + "/tag") as handle:
            self.tag = handle.read().strip()

    def predict(self, instances):
        return [self.tag for _ in instances]
"""


def tagged_model(folder: Path, tag: str) -> Path:
    """A model folder whose ``predictor.py`` answers ``tag`` for every instance."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "predictor.py").write_text(TAGGED_PREDICTOR)
    (folder / "tag").write_text(tag)
    return folder


def wait_for(condition: Callable[[], Any], timeout: float = 60, what: str = "the condition") -> Any:
    """Poll ``condition`` until it is truthy (returning its value); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


@dataclass(frozen=True)
class Outcome:
    started: float  # time.monotonic() before the request was sent
    finished: float
    status: int  # 0: no HTTP answer at all
    revision: int | None  # the x-sluice-revision header
    body: Any
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class LoadGenerator:
    """``workers`` threads, each on its own keep-alive connection, calling ``url`` with ``body`` until stopped
    or ``max_requests`` are made in all; each paced to at most ``rate_per_worker`` requests a second."""

    url: str
    body: dict[str, Any]
    workers: int = 4
    max_requests: int = 60_000
    rate_per_worker: float = 150.0
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> LoadGenerator:
        for index in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"load-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)
        return list(self.outcomes)

    def count(self, since: float = 0.0) -> int:
        with self._lock:
            return sum(1 for outcome in self.outcomes if outcome.started >= since)

    def since(self, moment: float) -> list[Outcome]:
        with self._lock:
            return [outcome for outcome in self.outcomes if outcome.started >= moment]

    def _work(self) -> None:
        interval = 1.0 / self.rate_per_worker
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                with self._lock:
                    if len(self.outcomes) >= self.max_requests:
                        return
                started = time.monotonic()
                try:
                    response = client.post(self.url, json=self.body)
                    revision = response.headers.get("x-sluice-revision")
                    try:
                        body = response.json()
                    except ValueError:
                        body = response.text
                    outcome = Outcome(
                        started,
                        time.monotonic(),
                        response.status_code,
                        int(revision) if revision else None,
                        body,
                    )
                except httpx.HTTPError as error:
                    outcome = Outcome(started, time.monotonic(), 0, None, None, repr(error))
                with self._lock:
                    self.outcomes.append(outcome)
                pause = interval - (time.monotonic() - started)
                if pause > 0:
                    self._stop.wait(pause)


def failures(outcomes: list[Outcome]) -> list[Outcome]:
    return [outcome for outcome in outcomes if not outcome.ok]


@pytest.fixture(scope="module")
def serving_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One ``sluice up`` for the module; every deployment it still has is deleted at the end."""
    running = ServerProcess(tmp_path_factory.mktemp("serving") / "home", None).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(serving_server: ServerProcess) -> Iterator[Client]:
    with Client(serving_server.url) as connected:
        yield connected


def replica_pids(client: Client, name: str) -> dict[int, list[int]]:
    """Running replica processes by revision."""
    deployment = client.get_deployment(name)
    return {
        revision.number: [status["pid"] for status in revision.raw["replica_status"] if status["pid"]]
        for revision in deployment.revisions
        if revision.raw["replica_status"]
    }


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not alive for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return False


def kill(pid: int, sig: int = signal.SIGKILL) -> None:
    os.kill(pid, sig)
