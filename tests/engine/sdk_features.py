"""Pipelines using kfp 2.x SDK features (embedded files, additional functions, the run workspace, exit
handler statuses), written once for both SDKs: ``build(dsl)`` takes ``kfp.dsl`` or ``sluice.dsl``.

No ``from __future__ import annotations``: kfp reads component annotations as live objects.
"""

# mypy: disable-error-code="name-defined, attr-defined, import-not-found"
# (``dsl`` is whichever SDK module the caller passes in; ``pkg`` exists only inside the task.)

from pathlib import Path
from types import ModuleType
from typing import Any

IMAGE = "python:3.11"


def triple(x: int) -> int:
    return 3 * x


def build(dsl: ModuleType, assets: Path, data_file: Path) -> dict[str, Any]:
    """The pipelines, made with ``dsl``; ``assets`` is a folder (with ``pkg/__init__.py``) and
    ``assets/notes.txt`` a file to embed; ``data_file`` a local file to import into the workspace."""
    Dataset, Output = dsl.Dataset, dsl.Output

    @dsl.component(base_image=IMAGE, embedded_artifact_path=str(assets), additional_funcs=[triple])
    def from_folder(assets: dsl.EmbeddedInput[dsl.Dataset], n: int) -> str:
        import os

        from pkg import VALUE  # the embedded folder is on sys.path

        return f"{sorted(os.listdir(assets.path))}|{VALUE}|{triple(n)}"

    @dsl.component(base_image=IMAGE, embedded_artifact_path=str(assets / "notes.txt"))
    def from_file(notes: dsl.EmbeddedInput[dsl.Artifact], copy: Output[Dataset]):
        with open(notes.path) as source, open(copy.path, "w") as target:
            target.write(source.read().upper())

    @dsl.pipeline(name="embedded")
    def embedded(n: int = 2) -> str:
        from_file()
        return from_folder(n=n).output

    @dsl.component(base_image=IMAGE)
    def write_into(folder: str, name: str, text: str) -> str:
        import os

        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "w") as handle:
            handle.write(text)
        return folder

    @dsl.component(base_image=IMAGE)
    def read_from(folder: str, names: list) -> str:
        import os

        texts = []
        for name in names:
            with open(os.path.join(folder, name)) as handle:
                texts.append(handle.read())
        return f"{folder}|{'+'.join(texts)}"

    @dsl.component(base_image=IMAGE)
    def read_imported(data: dsl.Input[Dataset]) -> str:
        with open(data.path) as handle:
            return f"{data.path}|{data.uri}|{handle.read()}"

    @dsl.pipeline(
        name="workspace-sharing",
        pipeline_config=dsl.PipelineConfig(workspace=dsl.WorkspaceConfig(size="1Gi")),
    )
    def workspace_sharing() -> str:
        first = write_into(folder=dsl.WORKSPACE_PATH_PLACEHOLDER, name="a.txt", text="from a")
        # KFP mounts the workspace at /kfp-workspace: a path under it means the workspace too.
        second = write_into(folder="/kfp-workspace/sub", name="b.txt", text="from b").after(first)
        imported = dsl.importer(
            artifact_uri=str(data_file), artifact_class=Dataset, download_to_workspace=True
        )
        read_imported(data=imported.output)
        return (
            read_from(folder=dsl.WORKSPACE_PATH_PLACEHOLDER, names=["a.txt", "sub/b.txt"])
            .after(second)
            .output
        )

    @dsl.component(base_image=IMAGE)
    def report(path: str, status: dsl.PipelineTaskFinalStatus):
        import json

        with open(path, "w") as handle:
            json.dump(
                {
                    "state": status.state,
                    "task": status.pipeline_task_name,
                    "job": status.pipeline_job_resource_name,
                    "code": status.error_code,
                    "message": status.error_message,
                },
                handle,
            )

    @dsl.component(base_image=IMAGE)
    def succeed() -> int:
        return 1

    @dsl.component(base_image=IMAGE)
    def fail() -> int:
        raise RuntimeError("failing on purpose")

    @dsl.pipeline(name="guarded-failure")
    def guarded_failure(path: str):
        with dsl.ExitHandler(report(path=path)):
            succeed()
            fail()

    @dsl.pipeline(name="guarded-success")
    def guarded_success(path: str):
        with dsl.ExitHandler(report(path=path)):
            succeed()

    @dsl.component(base_image=IMAGE)
    def linger(path: str, seconds: float) -> str:
        import time

        with open(path, "a") as handle:
            handle.write("started\n")
        time.sleep(seconds)
        with open(path, "a") as handle:
            handle.write("finished\n")
        return "done"

    @dsl.pipeline(name="bounded", pipeline_config=dsl.PipelineConfig(active_deadline_seconds=2))
    def bounded(path: str):
        linger(path=path, seconds=120.0)

    return {
        "bounded": bounded,
        "embedded": embedded,
        "workspace_sharing": workspace_sharing,
        "guarded_failure": guarded_failure,
        "guarded_success": guarded_success,
    }
