"""Failure handling, exit handlers, retries, caching, loops, placeholders and timeouts, on real processes."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from sluice.engine import run_pipeline
from tests.engine.conftest import read_marks


def _run(pipeline: Path, home: Path, **options: object):
    arguments = options.pop("arguments", {})
    return run_pipeline(pipeline, arguments, home=home, handle_sigint=False, **options)  # type: ignore[arg-type]


def test_failure_skips_dependents_and_finishes_independent_branches(
    compiled: dict[str, Path], home: Path, marks: Path
) -> None:
    result = _run(compiled["failing"], home, arguments={"marks": str(marks)})
    assert result.state == "FAILED"
    assert result.error is not None and "root/fail" in result.error and "boom on purpose" in result.error
    broken = result.task("fail")
    assert broken.state == "FAILED" and "RuntimeError: boom on purpose" in (broken.log_tail or "")
    assert result.task("mark").state == "SKIPPED"  # after-broken
    assert "upstream task 'fail' failed" in (result.task("mark").message or "")
    assert read_marks(marks, "after-broken") == 0
    assert read_marks(marks, "independent") == 1
    # ignore_upstream_failure: runs anyway, the failed producer's output falls back to the default.
    assert result.task("maybe").state == "SUCCEEDED"
    assert (marks / "maybe").read_text() == "default"


def test_exit_handler_sees_the_final_status(compiled: dict[str, Path], home: Path, marks: Path) -> None:
    result = _run(compiled["exit_handling"], home, arguments={"marks": str(marks)})
    assert result.state == "FAILED"
    state, task_name, message = (marks / "status").read_text().split("|", 2)
    assert state == "FAILED"
    assert task_name == "exit-handler-1"
    assert "fail" in message
    assert result.task("report-status").state == "SUCCEEDED"


def test_retries_record_attempts(compiled: dict[str, Path], home: Path, marks: Path) -> None:
    result = _run(compiled["retrying"], home, arguments={"marks": str(marks)})
    assert result.succeeded, result.error
    task = result.task("flaky")
    assert task.attempts == 3
    assert task.outputs == {"Output": 3}


def test_cache_hits_reuse_outputs_and_can_be_disabled(
    compiled: dict[str, Path], home: Path, marks: Path
) -> None:
    arguments = {"marks": str(marks)}
    first = _run(compiled["cached_chain"], home, arguments=arguments)
    second = _run(compiled["cached_chain"], home, arguments=arguments)
    assert first.succeeded and second.succeeded
    hit = second.task("mark")
    assert hit.state == "CACHED"
    assert hit.cached_from_task_id == first.task("mark").id
    assert hit.outputs == first.task("mark").outputs
    assert second.task("mark-2").state == "SUCCEEDED"  # enableCache: false
    assert read_marks(marks, "cached-first") == 1
    assert read_marks(marks, "uncached") == 2
    third = _run(compiled["cached_chain"], home, arguments=arguments, cache=False)
    assert third.task("mark").state == "SUCCEEDED"
    assert read_marks(marks, "cached-first") == 2


def test_cache_key_overrides_the_fingerprint(
    compiled: dict[str, Path], home: Path, marks: Path, tmp_path: Path
) -> None:
    document = yaml.safe_load(compiled["cached_chain"].read_text())
    document["root"]["dag"]["tasks"]["mark"]["cachingOptions"] = {"enableCache": True, "cacheKey": "fixed"}
    keyed = tmp_path / "keyed.yaml"
    keyed.write_text(yaml.safe_dump(document))
    _run(keyed, home, arguments={"marks": str(marks)})
    other = tmp_path / "other-marks"
    other.mkdir()
    # Different inputs, same cache key: still a hit.
    second = _run(keyed, home, arguments={"marks": str(other)})
    assert second.task("mark").state == "CACHED"


def test_loop_with_parallelism_limit_collects_in_order(compiled: dict[str, Path], home: Path) -> None:
    result = _run(compiled["loop_sum"], home)
    assert result.succeeded, result.error
    assert result.task("for-loop-2").outputs["pipelinechannel--add-Output"] == [11, 12, 13, 14, 15]
    assert result.task("total").outputs == {"Output": 65}
    iterations = [task for task in result.tasks if task.kind == "loop_iteration"]
    assert len(iterations) == 5
    # parallelismLimit 2: no moment with three iterations running. (Which of the running ones ends first
    # is up to the tasks, so count the iterations running when each one starts.)
    for starting in iterations:
        moment = starting.started_at or ""
        running = [
            task for task in iterations if (task.started_at or "") <= moment < (task.finished_at or "")
        ]
        assert len(running) <= 2, (moment, [task.path for task in running])


def test_artifacts_collected_from_a_loop(compiled: dict[str, Path], home: Path) -> None:
    result = _run(compiled["artifact_fan_in"], home)
    assert result.succeeded, result.error
    assert result.task("count-datasets").outputs == {"Output": "a,b,c"}


def test_container_placeholders_if_present_and_concat(compiled: dict[str, Path], home: Path) -> None:
    result = _run(compiled["placeholders"], home, arguments={"text": "yo"})
    assert result.succeeded, result.error
    # As on KFP, a default counts as present: IfPresent takes its "then" with the default value.
    assert result.task("echo-args").outputs == {"out": "say-yo|echo-args|"}
    assert result.task("echo-args-2").outputs == {"out": "say-yo|echo-args-2|--loud"}


def test_task_timeout_kills_the_task(compiled: dict[str, Path], home: Path, marks: Path) -> None:
    started = time.monotonic()
    result = _run(
        compiled["slow_chain"], home, arguments={"marks": str(marks), "seconds": 30.0}, task_timeout=1.0
    )
    assert time.monotonic() - started < 15
    assert result.state == "FAILED"
    assert "timed out after 1s" in (result.task("mark-2").error or "")


def test_platform_timeout_applies_per_executor(
    compiled: dict[str, Path], home: Path, marks: Path, tmp_path: Path
) -> None:
    spec = yaml.safe_load(compiled["slow_chain"].read_text())
    platform = {
        "platforms": {
            "kubernetes": {"deploymentSpec": {"executors": {"exec-mark-2": {"activeDeadlineSeconds": "1"}}}}
        }
    }
    timed = tmp_path / "timed.yaml"
    timed.write_text(yaml.safe_dump(spec) + "---\n" + yaml.safe_dump(platform))
    result = _run(timed, home, arguments={"marks": str(marks), "seconds": 30.0})
    assert result.state == "FAILED"
    assert "timed out" in (result.task("mark-2").error or "")
    assert result.task("mark-3").state == "SKIPPED"
