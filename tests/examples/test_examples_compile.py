"""Every example compiles with Sluice into a pipeline that kfp would have written.

For each examples/*.py, unchanged (``from sluice import dsl``), Sluice's compiler must produce YAML
that is valid PipelineSpec under the protobuf schema, loads in the official kfp SDK with the same
interface, survives a round trip through ``sluice.ir``, and is structurally equal to what kfp compiles
the same file to (tests/fixtures/kfp_compiled/<example>.yaml; see spec_compare for what "structurally"
leaves out).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.examples import support
from tests.examples.spec_compare import assert_structurally_equal

EXAMPLES = support.example_files()
IDS = [path.stem for path in EXAMPLES]

CompileExample = Callable[[Path], Path]


@pytest.fixture(scope="module")
def sluice_compiled(tmp_path_factory: pytest.TempPathFactory) -> CompileExample:
    """Compiles an example with Sluice once per module; called inside tests so a failure fails the test."""
    out_dir = tmp_path_factory.mktemp("sluice-compiled")
    compiled: dict[Path, Path] = {}

    def compile_example(source: Path) -> Path:
        if source not in compiled:
            compiled[source] = support.compile_with_sluice(source, out_dir / f"{source.stem}.yaml")
        return compiled[source]

    return compile_example


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_compiles_to_a_strictly_valid_pipeline_spec(example: Path, sluice_compiled: CompileExample) -> None:
    docs = support.load_documents(sluice_compiled(example))
    support.parse_strictly(docs)
    assert docs[0]["schemaVersion"] == "2.1.0"


@pytest.mark.kfp
@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_loads_in_kfp_with_the_same_interface(example: Path, sluice_compiled: CompileExample) -> None:
    from kfp import components

    ours = components.load_component_from_file(str(sluice_compiled(example)))
    theirs = components.load_component_from_file(str(support.fixture_for(example)))
    assert ours.name == theirs.name
    assert ours.component_spec.inputs == theirs.component_spec.inputs
    assert ours.component_spec.outputs == theirs.component_spec.outputs


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_round_trips_through_sluice_ir(example: Path, sluice_compiled: CompileExample) -> None:
    path = sluice_compiled(example)
    assert support.ir_round_trip(path) == support.load_documents(path)


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_is_structurally_equal_to_what_kfp_compiles(example: Path, sluice_compiled: CompileExample) -> None:
    kfp_docs = support.load_documents(support.fixture_for(example))
    sluice_docs = support.load_documents(sluice_compiled(example))
    assert_structurally_equal(kfp_docs, sluice_docs)
