"""Components that carry files (embedded_artifact_path, EmbeddedInput, additional_funcs) and the run
workspace (PipelineConfig, WORKSPACE_PATH_PLACEHOLDER, importer(download_to_workspace=True)), as compiled;
their mistakes are reported where they are made, naming the component, the path or the task."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from sluice import compiler, dsl, ir
from sluice.dsl import PipelineDefinitionError

from .support import compiled, line_of

HERE = __file__


def _source_of(spec: dict[str, Any], executor: str) -> str:
    command: list[str] = spec["deploymentSpec"]["executors"][executor]["container"]["command"]
    return command[-1]


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "assets"
    (folder / "pkg").mkdir(parents=True)
    (folder / "pkg" / "__init__.py").write_text("VALUE = 41\n")
    (folder / "notes.txt").write_text("notes\n")
    return folder


def test_an_embedded_folder_is_compiled_into_the_source_and_not_into_the_interface(tmp_path: Path) -> None:
    folder = _folder(tmp_path)

    def plus_one(x: int) -> int:
        return x + 1

    @dsl.component(embedded_artifact_path=str(folder), additional_funcs=[plus_one])
    def reads(assets: dsl.EmbeddedInput[dsl.Dataset], n: int) -> int:
        return n

    spec = compiled(reads)
    assert set(spec["components"]["comp-reads"]["inputDefinitions"]["parameters"]) == {"n"}
    assert "artifacts" not in spec["components"]["comp-reads"]["inputDefinitions"]
    source = _source_of(spec, "exec-reads")
    # kfp's order: preamble, additional functions, the extraction, the function.
    assert (
        source.index("def plus_one(")
        < source.index("__KFP_EMBEDDED_ASSET_DIR =")
        < source.index("def reads(")
    )
    assert "__KFP_EMBEDDED_ASSET_FILE" not in source  # a folder, not a file


def test_an_embedded_file_names_the_file(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("rows: 3\n")

    @dsl.component(embedded_artifact_path=str(settings))
    def reads(config: dsl.EmbeddedInput[dsl.Artifact]) -> str:
        return config.path

    assert "__KFP_EMBEDDED_ASSET_FILE = " in _source_of(compiled(reads), "exec-reads")
    assert "'settings.yaml'" in _source_of(compiled(reads), "exec-reads")


def test_embedding_is_deterministic(tmp_path: Path) -> None:
    """Same content, same YAML (and so the same cache fingerprints), whatever the files' times."""
    folder = _folder(tmp_path)

    def make() -> Any:
        @dsl.component(embedded_artifact_path=str(folder))
        def reads(assets: dsl.EmbeddedInput[dsl.Dataset]) -> str:
            return assets.path

        return reads

    first = ir.dump_pipeline(compiler.compile_to_spec(make()))
    later = time.time() + 3600
    for path in folder.rglob("*"):
        os.utime(path, (later, later))
    assert ir.dump_pipeline(compiler.compile_to_spec(make())) == first
    (folder / "notes.txt").write_text("changed\n")
    assert ir.dump_pipeline(compiler.compile_to_spec(make())) != first


def test_a_missing_embedded_path_is_an_error_and_writes_nothing(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    target = str(tmp_path / "component.yaml")
    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.component(embedded_artifact_path="no/such/folder", output_component_file=target)  # missing-asset
        def reads(assets: dsl.EmbeddedInput[dsl.Dataset]) -> str:
            return assets.path

    message = str(error.value)
    assert "component 'reads'" in message
    assert "'no/such/folder'" in message and str(tmp_path / "no" / "such" / "folder") in message
    assert "does not exist" in message
    assert error.value.location is not None and error.value.location.line == line_of(HERE, "missing-asset")
    assert list(tmp_path.iterdir()) == []


def test_an_embedded_input_needs_something_embedded() -> None:
    with pytest.raises(PipelineDefinitionError, match=r"component 'reads'.*'assets' is an EmbeddedInput.*"):

        @dsl.component
        def reads(assets: dsl.EmbeddedInput[dsl.Dataset]) -> str:
            return assets.path


def test_an_embedded_input_is_for_python_components_only() -> None:
    with pytest.raises(PipelineDefinitionError, match=r"'assets'.*EmbeddedInput.*only @dsl.component"):

        @dsl.pipeline
        def pipeline(assets: dsl.EmbeddedInput[dsl.Dataset]) -> None:
            pass


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ([print], "takes plain functions"),
        ([lambda x: x], "takes plain functions"),
        ("helper", "must be a list of functions"),
    ],
    ids=["builtin", "lambda", "not-a-list"],
)
def test_additional_funcs_must_be_functions(given: Any, fragment: str) -> None:
    with pytest.raises(PipelineDefinitionError, match=fragment):

        @dsl.component(additional_funcs=given)
        def uses() -> int:
            return 1


def test_pipeline_config_compiles_to_the_kubernetes_platform_spec(tmp_path: Path) -> None:
    @dsl.component
    def echo(text: str) -> str:
        return text

    @dsl.pipeline(pipeline_config=dsl.PipelineConfig(workspace=dsl.WorkspaceConfig(size="5Gi")))
    def shares(text: str = "x") -> None:
        echo(text=dsl.WORKSPACE_PATH_PLACEHOLDER)

    target = tmp_path / "pipeline.yaml"
    compiler.Compiler().compile(shares, str(target))
    documents = list(yaml.safe_load_all(target.read_text()))
    assert documents[1] == {
        "platforms": {
            "kubernetes": {
                "pipelineConfig": {"workspace": {"size": "5Gi", "kubernetes": {"pvcSpecPatch": {}}}}
            }
        }
    }
    task = documents[0]["root"]["dag"]["tasks"]["echo"]
    assert task["inputs"]["parameters"]["text"]["runtimeValue"]["constant"] == "{{$.workspace_path}}"
    # As kfp: platform settings need YAML; a .json target is refused and nothing is written.
    with pytest.raises(PipelineDefinitionError, match="only written to YAML"):
        compiler.Compiler().compile(shares, str(tmp_path / "pipeline.json"))
    assert not (tmp_path / "pipeline.json").exists()


def test_the_workspace_placeholder_needs_a_workspace() -> None:
    @dsl.component
    def echo(text: str) -> str:
        return text

    with pytest.raises(PipelineDefinitionError) as error:

        @dsl.pipeline
        def no_workspace() -> None:
            echo(text=f"{dsl.WORKSPACE_PATH_PLACEHOLDER}/data")  # placeholder-without-workspace

    message = str(error.value)
    assert "task 'echo'" in message and "input 'text'" in message and "WorkspaceConfig" in message
    assert error.value.location is not None
    assert error.value.location.line == line_of(HERE, "placeholder-without-workspace")


def test_downloading_to_the_workspace_needs_a_workspace(tmp_path: Path) -> None:
    @dsl.pipeline
    def imports() -> None:
        dsl.importer(artifact_uri="/data/x.csv", artifact_class=dsl.Dataset, download_to_workspace=True)

    target = tmp_path / "pipeline.yaml"
    with pytest.raises(PipelineDefinitionError, match=r"importer 'exec-importer' downloads to the workspace"):
        compiler.Compiler().compile(imports, str(target))
    assert not target.exists()


@pytest.mark.parametrize("size", ["", "ten gigs", "10GB", "-1Gi"])
def test_a_workspace_needs_a_size(size: str) -> None:
    with pytest.raises(ValueError, match="WorkspaceConfig"):
        dsl.WorkspaceConfig(size=size)


def test_pipeline_config_takes_a_pipeline_config() -> None:
    with pytest.raises(PipelineDefinitionError, match=r"takes a dsl\.PipelineConfig"):

        @dsl.pipeline(pipeline_config={"workspace": "1Gi"})  # type: ignore[call-overload]
        def pipeline() -> None:
            pass
