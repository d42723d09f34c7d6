"""On a machine with NVIDIA GPUs: Sluice detects them with nvidia-smi and gives each task only its own.

    python3 bench/gpu_check.py

Needs only the standard library (it loads the engine's resource module by path, so SQLAlchemy and the
other engine dependencies need not be installed): made to run on a bare GPU machine.
"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SOURCE))

# The resource module reads its ResourceSpec type from sluice.ir, which needs PyYAML: stand it in.
stub = types.ModuleType("sluice.ir")
stub.ResourceSpec = object  # type: ignore[attr-defined]
sys.modules["sluice.ir"] = stub
spec = importlib.util.spec_from_file_location("resources", SOURCE / "sluice" / "engine" / "_resources.py")
assert spec is not None and spec.loader is not None
resources = importlib.util.module_from_spec(spec)
sys.modules["resources"] = resources
spec.loader.exec_module(resources)

from sluice.launchers import LaunchSpec, LocalLauncher, PythonCall  # noqa: E402

TASK = """
def visible() -> str:
    import os, subprocess
    listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True).stdout
    return os.environ.get("CUDA_VISIBLE_DEVICES", "") + "|" + str(len(listing.splitlines()))
"""

os.environ.pop("SLUICE_GPUS", None)
capacity = resources.detect_capacity()
print(f"python {sys.version.split()[0]}; nvidia-smi sees {capacity.total_gpus} GPU(s): {capacity.gpus}")
assert capacity.total_gpus >= 1, "no GPU detected"
request = resources.Request(gpus=1)
with tempfile.TemporaryDirectory() as folder:
    module = Path(folder) / "component.py"
    module.write_text(TASK)
    launcher = LocalLauncher()
    gpus = capacity.take(request)
    executor_input = {
        "inputs": {"parameterValues": {}},
        "outputs": {
            "parameters": {"Output": {"outputFile": f"{folder}/out"}},
            "outputFile": f"{folder}/executor_output.json",
        },
    }
    started = time.perf_counter()
    launcher.launch(
        LaunchSpec(
            key="gpu-task",
            name="gpu-task",
            log_path=f"{folder}/log",
            cwd=folder,
            python_call=PythonCall(executor_input, "visible", None, str(module)),
            env={"CUDA_VISIBLE_DEVICES": ",".join(map(str, gpus))},
        )
    )
    exits = []
    while not exits:
        exits = launcher.wait(5)
    launcher.close()
    print("task:", exits[0].describe(), f"in {time.perf_counter() - started:.2f}s")
    assert exits[0].succeeded, Path(f"{folder}/log").read_text()
    devices, seen = Path(f"{folder}/out").read_text().split("|")
    print(json.dumps({"CUDA_VISIBLE_DEVICES": devices, "nvidia-smi -L lines in the task": int(seen)}))
    assert devices == "0"
    free_after = capacity.cpu, capacity.gpus
    print("free GPUs while the task held one:", free_after[1])
print("GPU check passed")
subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"], check=False)
