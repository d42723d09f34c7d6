"""Constants of every type, f-strings of pipeline values, lists holding channels, placeholders, resources
from pipeline parameters, image from a parameter, optional inputs, retry defaults, cache keys."""

# kfp-style pipeline code on purpose: typing generics, list defaults, tasks kept in variables.
# ruff: noqa: B006, UP006, UP035, UP045

from typing import Dict, List, Optional

from sluice import dsl


@dsl.component(
    base_image="python:3.12-slim",
    packages_to_install=["requests", "numpy>=1"],
    pip_index_urls=["https://pypi.example.com/simple", "https://extra.example.com/simple"],
)
def everything(
    text: str,
    number: int,
    ratio: float,
    flag: bool,
    items: list,
    mapping: dict,
    typed_items: List[int],
    typed_mapping: Dict[str, float],
    maybe: Optional[str] = None,
    default_list: list = [1, 2],
    default_dict: dict = {"a": {"b": 1}},
    default_ratio: float = 1,
) -> Dict[str, int]:
    return {}


@dsl.component
def echo(text: str) -> str:
    return text


@dsl.pipeline(
    name="task-inputs",
    description="Every kind of task input.\n\nWith a long description.",
    pipeline_root="file:///tmp/root",
)
def task_inputs(name: str = "world", cpu: str = "500m", image: str = "python:3.12", count: int = 3):
    first = echo(text=f"hello {name}, from {dsl.PIPELINE_JOB_NAME_PLACEHOLDER}")
    everything(
        text=f"{first.output}-{name}",
        number=count,
        ratio=0.5,
        flag=True,
        items=[first.output, "two", 3],
        mapping={"key": first.output, "nested": {"n": name}},
        typed_items=[1, 2],
        typed_mapping={"a": 1.5},
        default_ratio=2.5,
    ).set_cpu_limit(cpu).set_memory_request("1Gi").set_memory_limit("2G").set_cpu_request("0.25").set_retry(
        num_retries=0
    ).set_caching_options(True, cache_key="key-1").set_env_variable("A", "1").set_env_variable("B", "2")
    echo(text=name).set_container_image(image).set_accelerator_limit(2).set_retry(
        5, backoff_duration="1m", backoff_factor=3, backoff_max_duration="2h"
    ).set_display_name("shown name").after(first)
    echo(text="gpu").set_accelerator_type("nvidia.com/gpu").set_accelerator_limit("4")
