"""Components compile to YAML on their own, and load back (from Sluice's YAML or kfp's) to use in pipelines."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml

import tests.dsl.components as shared
from sluice import compiler, components, dsl, ir
from sluice.components import YamlComponent
from sluice.dsl import BaseComponent
from sluice.dsl._component import CompiledImplementation, ContainerImplementation
from tests.examples.spec_compare import structural_differences
from tests.examples.support import regen_script

from .wiring import assert_wired

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kfp_compiled"
SHARED_COMPONENTS = {name: value for name, value in vars(shared).items() if isinstance(value, BaseComponent)}


@pytest.fixture(scope="module")
def kfp_shared_components() -> Any:
    """tests/dsl/components.py with its import pointed at kfp."""
    regen = regen_script()
    path = Path(shared.__file__)
    return regen.load_module(path, regen.rewrite_to_kfp(path.read_text()), "_kfp_shared_components")


@pytest.mark.kfp
@pytest.mark.filterwarnings("ignore:The default base_image:FutureWarning")
@pytest.mark.parametrize("name", sorted(SHARED_COMPONENTS))
def test_a_component_compiles_like_kfp(name: str, kfp_shared_components: Any, tmp_path: Path) -> None:
    from kfp import compiler as kfp_compiler

    kfp_target = tmp_path / "kfp.yaml"
    kfp_compiler.Compiler().compile(getattr(kfp_shared_components, name), str(kfp_target))
    sluice_target = tmp_path / "sluice.yaml"
    compiler.Compiler().compile(SHARED_COMPONENTS[name], sluice_target)
    expected = list(yaml.safe_load_all(kfp_target.read_text()))
    actual = list(yaml.safe_load_all(sluice_target.read_text()))
    assert structural_differences(expected, actual) == []


def test_a_compiled_component_loads_back(tmp_path: Path) -> None:
    target = tmp_path / "train.yaml"
    components.save_component(shared.train, target)
    loaded = components.load_component_from_file(target)
    assert isinstance(loaded, YamlComponent)
    assert loaded.name == "train"
    implementation = loaded.component_spec.implementation
    assert isinstance(implementation, ContainerImplementation)
    original = shared.train.component_spec.implementation
    assert isinstance(original, ContainerImplementation)
    assert (implementation.image, implementation.command, implementation.args) == (
        original.image,
        original.command,
        original.args,
    )
    assert list(loaded.component_spec.inputs) == ["data"]
    assert set(loaded.component_spec.outputs) == {"model", "Output"}

    @dsl.pipeline
    def uses_loaded() -> None:
        made = shared.make_dataset(rows=2)
        loaded(data=made.outputs["data"]).set_memory_limit("1Gi")

    spec = compiler.compile_to_spec(uses_loaded)
    assert_wired(spec)
    assert spec.executor("exec-train").container is not None
    assert spec.executor("exec-train").container.command == original.command  # type: ignore[union-attr]


def test_defaults_and_optional_inputs_survive_loading(tmp_path: Path) -> None:
    @dsl.component
    def defaults(a: int = 3, b: str = "x", c: list | None = None) -> None:
        pass

    target = tmp_path / "defaults.yaml"
    compiler.Compiler().compile(defaults, target)
    loaded = components.load_component_from_file(target)
    inputs = loaded.component_spec.inputs
    assert (inputs["a"].optional, inputs["a"].default) == (True, 3)
    assert (inputs["b"].optional, inputs["b"].default) == (True, "x")
    assert (inputs["c"].optional, inputs["c"].default) == (True, None)
    assert loaded.required_inputs == []


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_kfp_fixture_loads_as_a_component(fixture: Path) -> None:
    loaded = components.load_component_from_file(fixture)
    assert isinstance(loaded.component_spec.implementation, CompiledImplementation)
    document = ir.read_pipeline(fixture)
    root = document.spec.root
    assert root is not None
    definitions = root.input_definitions or ir.ComponentInputsSpec()
    expected_inputs = set(definitions.parameters) | set(definitions.artifacts)
    assert set(loaded.component_spec.inputs) == expected_inputs


def test_a_loaded_pipeline_runs_as_a_nested_pipeline() -> None:
    hello = components.load_component_from_file(FIXTURES / "hello_world.yaml")

    @dsl.pipeline
    def greets_twice() -> str:
        first = hello(name="a")
        return hello(name=first.output).output

    spec = compiler.compile_to_spec(greets_twice)
    ir.validate_with_protobuf(spec)
    assert_wired(spec)
    assert {"comp-hello-world", "comp-hello-world-2", "comp-make-greeting", "comp-make-greeting-2"} <= set(
        spec.components
    )
    # A loaded pipeline compiles to itself.
    again = compiler.compile_to_spec(hello)
    assert again.to_dict() == ir.read_pipeline(FIXTURES / "hello_world.yaml").spec.to_dict()


def test_loading_errors(tmp_path: Path) -> None:
    with pytest.raises(dsl.PipelineDefinitionError, match="cannot read component file"):
        components.load_component_from_file(tmp_path / "missing.yaml")
    with pytest.raises(dsl.PipelineDefinitionError, match="KFP v1 component file"):
        components.load_component_from_text("name: old\nimplementation:\n  container:\n    image: x\n")
    with pytest.raises(dsl.PipelineDefinitionError, match="cannot load component"):
        components.load_component_from_text("pipelineInfo: {name: x}\nroot: {dag: {tasks: {}}}\nbogus: 1\n")


def test_the_component_module_stays_importable_without_kfp() -> None:
    source = inspect.getsource(components)
    assert "kfp" not in source.split('"""')[-1]
