"""Shared helpers of the benchmarks: timing Sluice and kfp.local on the same kfp-compiled pipeline."""

from __future__ import annotations

import os
import resource
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Timing:
    label: str
    wall_s: float
    tasks: int
    engine_cpu_s: float | None = None

    def line(self) -> str:
        per_task = 1000 * self.wall_s / self.tasks
        text = f"{self.label:<28} {self.wall_s:8.2f} s  {per_task:8.1f} ms/task"
        if self.engine_cpu_s is not None:
            text += f"  engine CPU {1000 * self.engine_cpu_s / self.tasks:6.2f} ms/task"
        return text


def compile_with_kfp(pipeline: Any, folder: Path) -> Path:
    from kfp import compiler

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "pipeline.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiler.Compiler().compile(pipeline, str(target))
    return target


def time_sluice(
    label: str,
    pipeline_file: Path,
    tasks: int,
    arguments: dict[str, Any] | None = None,
    **options: Any,
) -> Timing:
    """One run on a fresh SLUICE_HOME with caching off; engine CPU is this process's user+system time.

    ``options`` go to ``run_pipeline`` (e.g. ``launcher="ray"``, ``pipeline_root="s3://..."``)."""
    from sluice.engine import run_pipeline

    with tempfile.TemporaryDirectory(prefix="sluice-bench-") as home:
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        result = run_pipeline(pipeline_file, arguments or {}, home=home, cache=False, **options)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        if not result.succeeded:
            raise SystemExit(f"{label}: the run failed: {result.error}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(label, wall, tasks, cpu)


def time_kfp_local(label: str, run: Callable[[], Any], tasks: int) -> Timing:
    """kfp.local with the SubprocessRunner, no venv, stock components (each task runs kfp's own command)."""
    from kfp import local

    with tempfile.TemporaryDirectory(prefix="kfp-local-bench-") as root, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=root)
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1), os.dup(2)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            started = time.perf_counter()
            run()
            wall = time.perf_counter() - started
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
    return Timing(label, wall, tasks)
