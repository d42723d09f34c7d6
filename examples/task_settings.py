"""Configure how and when each task runs.

Calling a component in a pipeline returns a task, and the task's ``set_*`` methods (each returns
the task, so they chain) configure it without touching the component:

* ordering without data: ``.after(other_task)``;
* resources: ``set_cpu_request/limit``, ``set_memory_request/limit``,
  ``set_accelerator_type/limit`` (what a scheduler reserves for the task);
* robustness: ``set_retry(...)`` with exponential backoff, and ``ignore_upstream_failure()``
  for a task that must run even when the tasks it depends on failed;
* caching: ``set_caching_options(enable_caching=False)`` for a task that must rerun every time;
* environment and naming: ``set_env_variable``, ``set_display_name``.

It also shows pipeline placeholders (``dsl.PIPELINE_JOB_NAME_PLACEHOLDER`` and friends), passed as
ordinary arguments and replaced by the run's values when the task starts; a component on its own
``base_image``; and one that needs a package from PyPI (``packages_to_install``).
"""

from sluice import dsl


@dsl.component(base_image="python:3.11-slim")
def describe_run(job_name: str, job_id: str, task_name: str, task_id: str, created_at: str) -> str:
    """Prints where this task is running; returns a tag that identifies the run."""
    print(f"job {job_name} ({job_id}), created {created_at}")
    print(f"task {task_name} ({task_id})")
    return f"{job_name}/{task_name}"


@dsl.component
def sum_of_squares(n: int) -> int:
    """Sums the squares of 1..n, printing progress at the log level from the environment."""
    import os

    verbose = os.environ.get("LOG_LEVEL", "info") == "debug"
    total = 0
    for i in range(1, n + 1):
        total += i * i
        if verbose and i % (max(n // 4, 1)) == 0:
            print(f"{i}/{n}: running total {total}")
    return total


@dsl.component
def check_gpu(device: str) -> str:
    """Reports the accelerator the task was given, if any."""
    import os

    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    message = f"asked for a {device}; CUDA_VISIBLE_DEVICES={visible or '(unset)'}"
    print(message)
    return message


@dsl.component(packages_to_install=["pyyaml"])
def render_config(run_tag: str, total: int) -> str:
    """Renders the run's results as a YAML document, with PyYAML."""
    import yaml

    document = yaml.safe_dump({"run": run_tag, "results": {"sum_of_squares": total}}, sort_keys=True)
    print(document)
    return document


@dsl.component
def final_report(total: int = -1, config: str = "") -> str:
    """Summarises the run, even when an upstream task failed (its inputs then keep their defaults)."""
    if total < 0:
        return "the computation did not finish"
    return f"sum of squares: {total}; {len(config.splitlines())} lines of config"


@dsl.pipeline(name="task-settings", display_name="Task settings tour")
def task_settings(n: int = 10000):
    described = describe_run(
        job_name=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
        job_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
        task_name=dsl.PIPELINE_TASK_NAME_PLACEHOLDER,
        task_id=dsl.PIPELINE_TASK_ID_PLACEHOLDER,
        created_at=dsl.PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER,
    )
    # The run's identity changes every run: a cached result would be wrong.
    described.set_display_name("Describe the run").set_caching_options(enable_caching=False)

    computed = (
        sum_of_squares(n=n)
        .set_display_name("Sum of squares")
        .set_cpu_request("500m")
        .set_cpu_limit("1")
        .set_memory_request("128Mi")
        .set_memory_limit("512Mi")
        .set_env_variable("LOG_LEVEL", "debug")
        .set_retry(num_retries=3, backoff_duration="2s", backoff_factor=2.0, backoff_max_duration="30s")
        .after(described)
    )

    check_gpu(device="nvidia.com/gpu").set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1)

    config = render_config(run_tag=described.output, total=computed.output)
    final_report(total=computed.output, config=config.output).ignore_upstream_failure()
