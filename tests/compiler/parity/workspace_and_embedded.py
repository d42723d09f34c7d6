"""A run workspace (PipelineConfig, WORKSPACE_PATH_PLACEHOLDER, importer(download_to_workspace=True)) and
components carrying files (embedded_artifact_path, EmbeddedInput, additional_funcs)."""

from pathlib import Path

import tests.compiler.parity as _parity
from sluice import dsl
from sluice.dsl import Dataset, EmbeddedInput, Output

ASSETS = Path(_parity.__file__).parent / "assets"


def double(x: int) -> int:
    return 2 * x


@dsl.component(embedded_artifact_path=str(ASSETS / "package"), additional_funcs=[double])
def uses_folder(code: EmbeddedInput[dsl.Artifact], n: int) -> str:
    from greeting import GREETING  # type: ignore[import-not-found]  # the embedded folder, in the task

    return f"{GREETING} {double(n)} {code.path}"


@dsl.component(embedded_artifact_path=str(ASSETS / "settings.yaml"))
def uses_file(settings: EmbeddedInput[Dataset], out: Output[Dataset]):
    with open(settings.path) as source, open(out.path, "w") as target:
        target.write(source.read())


@dsl.component
def write_to(workspace: str, name: str) -> str:
    import os

    path = os.path.join(workspace, name)
    with open(path, "w") as handle:
        handle.write(name)
    return path


@dsl.pipeline(
    pipeline_config=dsl.PipelineConfig(
        workspace=dsl.WorkspaceConfig(
            size="2Gi", kubernetes=dsl.KubernetesWorkspaceConfig(pvcSpecPatch={"storageClassName": "fast"})
        ),
        ttl_seconds_after_finished=3600,
        active_deadline_seconds=600,
    )
)
def workspace_and_embedded(n: int = 2):
    uses_folder(n=n)
    uses_file()
    written = write_to(workspace=dsl.WORKSPACE_PATH_PLACEHOLDER, name="a.txt")
    write_to(workspace=f"{dsl.WORKSPACE_PATH_PLACEHOLDER}/sub", name="b.txt").after(written)
    dsl.importer(
        artifact_uri="gs://bucket/data.csv",
        artifact_class=Dataset,
        download_to_workspace=True,
    )
