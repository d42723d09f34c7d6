"""The kfp-compiled fixtures are valid PipelineSpec and are what kfp compiles the pipelines to today.

Other tests treat tests/fixtures/kfp_compiled/ as the reference of what kfp emits, so a stale or
hand-edited fixture would make them check the wrong thing. Regenerate with scripts/regen-kfp-fixtures.
"""

from __future__ import annotations

import ast
import difflib
from pathlib import Path

import pytest

from tests.examples import support

pytestmark = pytest.mark.kfp

SOURCES = support.example_files() + support.kfp_only_files()
FIXTURES = sorted(support.fixtures_dir().glob("*.yaml"))


def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


def test_there_are_fixtures_for_at_least_ten_examples_and_the_kfp_only_pipelines() -> None:
    assert len(support.example_files()) >= 10
    assert support.kfp_only_files()
    assert {path.stem for path in FIXTURES} == {path.stem for path in SOURCES}, (
        "every example and kfp-only pipeline has exactly one fixture; run scripts/regen-kfp-fixtures"
    )


@pytest.mark.parametrize("fixture", FIXTURES, ids=_ids(FIXTURES))
def test_fixture_is_a_valid_pipeline_spec(fixture: Path) -> None:
    docs = support.load_documents(fixture)
    support.parse_strictly(docs)
    assert docs[0]["schemaVersion"] == "2.1.0"


def test_the_platform_spec_document_is_covered() -> None:
    # At least one fixture holds a second document, so readers of kfp's YAML are tested on it.
    assert any(len(support.load_documents(path)) == 2 for path in FIXTURES)


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_fixture_is_up_to_date(source: Path) -> None:
    fixture = support.fixture_for(source)
    expected = support.without_sdk_version(support.compile_with_kfp(source))
    current = support.without_sdk_version(fixture.read_text())
    if current != expected:
        diff = "".join(
            list(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    expected.splitlines(keepends=True),
                    str(fixture.relative_to(support.REPO)),
                    "compiled by kfp now",
                )
            )[:80]
        )
        pytest.fail(f"{fixture.name} is stale: run scripts/regen-kfp-fixtures\n{diff}")


@pytest.mark.parametrize("source", support.example_files(), ids=_ids(support.example_files()))
def test_example_is_written_against_sluice_only(source: Path) -> None:
    """A user copies these: they import ``sluice`` (never kfp), explain themselves, and compile to one pipeline."""
    tree = ast.parse(source.read_text(), str(source))
    assert ast.get_docstring(tree), "an example starts with a docstring saying what it shows"
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert "kfp" not in imported
    assert "sluice" in imported
    assert support.root_pipeline_name(source)


def test_rewrite_to_kfp_changes_imports_and_keeps_prose_and_line_numbers() -> None:
    source = (
        '"""Shows Sluice; sluice compiles it."""\n'
        "from sluice import dsl\n"
        "from sluice.dsl import Input, Output\n"
        "import sluice.dsl\n"
        "x = sluice.dsl.If\n"
    )
    rewritten = support.regen_script().rewrite_to_kfp(source)
    assert rewritten == (
        '"""Shows Sluice; sluice compiles it."""\n'
        "from kfp import dsl\n"
        "from kfp.dsl import Input, Output\n"
        "import kfp.dsl\n"
        "x = kfp.dsl.If\n"
    )
