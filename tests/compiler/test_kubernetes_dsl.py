"""``sluice.kubernetes``: kfp-kubernetes' functions for Sluice's tasks. The whole PlatformSpec is compared with
kfp's in ``parity/kubernetes_settings.py``; here CreatePVC/DeletePVC, the API itself, and its errors."""

from __future__ import annotations

import inspect
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from sluice import compiler, dsl, kubernetes


@dsl.component
def work(text: str) -> str:
    return text


def _documents(pipeline: Any, tmp_path: Path) -> list[dict]:
    target = tmp_path / "pipeline.yaml"
    compiler.Compiler().compile(pipeline, target)
    return list(yaml.safe_load_all(target.read_text()))


@pytest.mark.kfp
def test_create_and_delete_pvc_compile_like_kfp_kubernetes(tmp_path: Path) -> None:
    from kfp import compiler as kfp_compiler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from tests.compiler import kfp_pvc

        kfp_compiler.Compiler().compile(kfp_pvc.pvc_pipeline, str(tmp_path / "kfp.yaml"))
    expected = list(yaml.safe_load_all((tmp_path / "kfp.yaml").read_text()))

    @dsl.pipeline(name="pvc")
    def pvc_pipeline() -> None:
        pvc = kubernetes.CreatePVC(
            pvc_name_suffix="-data", access_modes=["ReadWriteOnce"], size="1Gi", storage_class_name="std"
        )
        task = work(text="x")
        kubernetes.mount_pvc(task, pvc_name=pvc.outputs["name"], mount_path="/data")
        kubernetes.DeletePVC(pvc_name=pvc.outputs["name"]).after(task)

    actual = _documents(pvc_pipeline, tmp_path)
    assert actual[1] == expected[1]  # the PlatformSpec
    for label in ("exec-createpvc", "exec-deletepvc"):
        assert (
            actual[0]["deploymentSpec"]["executors"][label]
            == expected[0]["deploymentSpec"]["executors"][label]
        )

    def interface(spec: dict, name: str) -> dict:  # types and defaults; the docstrings are each SDK's own
        component = spec["components"][name]
        return {
            side: {
                key: {field: value for field, value in item.items() if field != "description"}
                for key, item in component.get(side, {}).get("parameters", {}).items()
            }
            for side in ("inputDefinitions", "outputDefinitions")
        }

    for name in ("comp-createpvc", "comp-deletepvc"):
        assert interface(actual[0], name) == interface(expected[0], name)
    assert actual[0]["root"]["dag"]["tasks"]["work"]["dependentTasks"] == ["createpvc"]


@pytest.mark.kfp
def test_the_functions_have_kfp_kubernetes_names_and_arguments() -> None:
    from kfp import kubernetes as kfp_kubernetes

    assert sorted(kubernetes.__all__) == sorted(kfp_kubernetes.__all__)
    for name in kfp_kubernetes.__all__:
        ours, theirs = getattr(kubernetes, name), getattr(kfp_kubernetes, name)
        if name in ("CreatePVC", "DeletePVC"):
            ours_inputs = ours.component_spec.inputs
            theirs_inputs = theirs.component_spec.inputs
            assert list(ours_inputs) == list(theirs_inputs), name
            continue
        ours_parameters = [(p.name, p.kind, p.default) for p in inspect.signature(ours).parameters.values()]
        theirs_parameters = [
            (p.name, p.kind, p.default) for p in inspect.signature(theirs).parameters.values()
        ]
        assert ours_parameters == theirs_parameters, name


def test_settings_compile_into_the_platform_spec_and_json_is_refused(tmp_path: Path) -> None:
    @dsl.pipeline
    def secret_pipeline() -> str:
        task = work(text="x")
        kubernetes.use_secret_as_env(task, secret_name="db", secret_key_to_env={"password": "PW"})
        return task.output

    documents = _documents(secret_pipeline, tmp_path)
    executors = documents[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert executors["exec-work"]["secretAsEnv"][0]["keyToEnv"] == [{"secretKey": "password", "envVar": "PW"}]
    with pytest.raises(dsl.PipelineDefinitionError, match=r"platform settings .* are only written to YAML"):
        compiler.Compiler().compile(secret_pipeline, tmp_path / "pipeline.json")
    assert not (tmp_path / "pipeline.json").exists()


def test_a_pipeline_without_settings_has_no_platform_spec(tmp_path: Path) -> None:
    @dsl.pipeline
    def plain() -> str:
        return work(text="x").output

    assert len(_documents(plain, tmp_path)) == 1


@pytest.mark.parametrize(
    ("apply", "message"),
    [
        (
            lambda task: kubernetes.set_image_pull_policy(task, "Sometimes"),
            "'Sometimes' is not one of Always",
        ),
        (lambda task: kubernetes.set_timeout(task, -1), "seconds must be an integer >= 0, got -1"),
        (lambda task: kubernetes.add_node_affinity(task, weight=500), "weight must be between 1 and 100"),
        (
            lambda task: kubernetes.add_node_affinity(
                task, match_expressions=[{"key": "z", "operator": "Is"}]
            ),
            "operator 'Is' of match_expression 'z' is not one of",
        ),
        (kubernetes.set_security_context, "give at least one setting"),
        (
            lambda task: kubernetes.use_secret_as_env(task, secret_name=3, secret_key_to_env={"a": "A"}),
            "secret_name must be a string, a dict or a pipeline channel, got int 3",
        ),
        (
            lambda task: kubernetes.use_secret_as_env(task, secret_name="s", secret_key_to_env=["a"]),  # type: ignore[arg-type]
            "the mapping must be {key: 'ENV_VAR', ...}",
        ),
    ],
)
def test_bad_settings_are_errors_naming_the_task_and_the_line(apply, message: str) -> None:
    with pytest.raises(dsl.PipelineDefinitionError) as raised:

        @dsl.pipeline
        def bad() -> None:
            apply(work(text="x"))

    assert "task 'work': kubernetes." in str(raised.value) and message in str(raised.value)
    assert raised.value.location is not None and raised.value.location.file == __file__


def test_settings_on_a_pipeline_task_are_refused() -> None:
    @dsl.pipeline
    def inner() -> str:
        return work(text="x").output

    with pytest.raises(dsl.PipelineDefinitionError, match="applies to a task that runs a container"):

        @dsl.pipeline
        def outer() -> None:
            kubernetes.add_pod_label(inner(), "a", "b")


def test_sluice_kubernetes_imports_only_the_standard_library() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import sluice.kubernetes\n"
        "new = {name.split('.')[0] for name in set(sys.modules) - before}\n"
        "print(sorted(new - set(sys.stdlib_module_names) - {'sluice'}))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
