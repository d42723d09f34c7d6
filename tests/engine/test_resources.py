"""Resource requests against what the machine has."""

from __future__ import annotations

import pytest

from sluice.engine._resources import Capacity, Request, parse_cpu, parse_memory, request_of
from sluice.ir import AcceleratorConfig, ResourceSpec


def test_quantities() -> None:
    assert parse_cpu("500m") == 0.5
    assert parse_cpu("2") == 2.0
    assert parse_memory("1Gi") == 2**30
    assert parse_memory("512M") == 512e6
    with pytest.raises(ValueError, match="not a CPU quantity"):
        parse_cpu("lots")


def test_request_prefers_requests_then_limits() -> None:
    spec = ResourceSpec(
        resource_cpu_limit="4",
        resource_cpu_request="1",
        resource_memory_limit="2Gi",
        accelerator=AcceleratorConfig(resource_type="nvidia.com/gpu", resource_count="2"),
    )
    assert request_of(spec) == Request(cpu=1.0, memory=2 * 2**30, gpus=2, accelerator_type="nvidia.com/gpu")


def test_capacity_takes_and_gives_back_gpus() -> None:
    capacity = Capacity(cpu=2, memory=8e9, gpus=[0, 1, 2], total_cpu=2, total_memory=8e9, total_gpus=3)
    big = capacity.clamp(Request(cpu=16, memory=64e9))
    assert big == Request(cpu=2, memory=8e9)  # capped to the machine: it runs, alone
    two = Request(cpu=1, gpus=2)
    assert capacity.fits(two)
    taken = capacity.take(two)
    assert taken == [0, 1]
    assert not capacity.fits(two)
    capacity.give_back(two, taken)
    assert capacity.gpus == [0, 1, 2]
