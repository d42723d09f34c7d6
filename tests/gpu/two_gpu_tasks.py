"""Device check (run by scripts/gpu-check on a machine with a GPU; not part of the CPU test suite).

Two tasks each request one GPU. On a one-GPU machine the engine must run them one after the other, and
each must see its GPU through CUDA_VISIBLE_DEVICES when it imports torch.
"""

from typing import NamedTuple

from sluice import dsl


@dsl.component
def use_gpu(seconds: float) -> NamedTuple(
    "GpuUse", [("started", float), ("ended", float), ("device", str), ("visible", str)]
):
    import os
    import time
    from collections import namedtuple

    import torch  # type: ignore[import-not-found]  # on the GPU machine only

    started = time.time()
    assert torch.cuda.is_available(), "torch sees no GPU"
    x = torch.randn(2048, 2048, device="cuda")
    for _ in range(10):
        x = x @ x / x.norm()
    torch.cuda.synchronize()
    time.sleep(seconds)
    GpuUse = namedtuple("GpuUse", ["started", "ended", "device", "visible"])
    return GpuUse(
        started, time.time(), torch.cuda.get_device_name(0), os.environ.get("CUDA_VISIBLE_DEVICES", "")
    )


@dsl.pipeline(name="two-gpu-tasks")
def two_gpu_tasks(seconds: float = 2.0) -> None:
    for _ in range(2):
        use_gpu(seconds=seconds).set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(
            1
        ).set_caching_options(False)
