"""Shared helpers for the example and fixture tests: where things are, how each side compiles a pipeline.

The kfp side reuses ``scripts/regen-kfp-fixtures`` itself (loaded as a module), so the tests check
exactly what the script writes. Nothing here imports Sluice at import time: the example tests must
collect while the SDK is still being written, and fail on the real reason when they run.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

REPO = Path(__file__).resolve().parents[2]
REGEN_SCRIPT = REPO / "scripts" / "regen-kfp-fixtures"

Document = dict[str, Any]


@functools.cache
def regen_script() -> types.ModuleType:
    """``scripts/regen-kfp-fixtures`` as a module (it has no ``.py`` suffix, so it needs an explicit loader)."""
    loader = importlib.machinery.SourceFileLoader("regen_kfp_fixtures", str(REGEN_SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def example_files() -> list[Path]:
    """examples/*.py: the pipelines users read first, written with ``from sluice import dsl``."""
    files: list[Path] = regen_script().example_files()
    return files


def kfp_only_files() -> list[Path]:
    """tests/fixtures/kfp_pipelines/*.py: extra pipelines written with ``from kfp import dsl``."""
    files: list[Path] = regen_script().kfp_only_files()
    return files


def fixture_for(source: Path) -> Path:
    """The kfp-compiled fixture of an example or kfp-only pipeline."""
    path: Path = regen_script().fixture_path(source)
    return path


def fixtures_dir() -> Path:
    path: Path = regen_script().FIXTURES_DIR
    return path


def root_pipeline_name(source: Path) -> str:
    """The pipeline a file compiles to: its one ``@dsl.pipeline`` that no other pipeline in it calls."""
    name: str = regen_script().root_pipeline_name(source.read_text(), str(source))
    return name


def compile_with_kfp(source: Path) -> str:
    """What kfp compiles ``source`` to today (imports rewritten to kfp first, as the script does)."""
    text: str = regen_script().compile_with_kfp(source)
    return text


def without_sdk_version(yaml_text: str) -> str:
    text: str = regen_script().without_sdk_version(yaml_text)
    return text


def load_documents(path: Path) -> list[Document]:
    """The YAML documents of a compiled pipeline: the PipelineSpec, then the PlatformSpec if any."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def parse_strictly(docs: list[Document]) -> None:
    """Parses each document into its kfp-pipeline-spec protobuf, rejecting unknown fields.

    Raises ``google.protobuf.json_format.ParseError`` naming the first field the schema does not allow.
    """
    assert 1 <= len(docs) <= 2, (
        f"expected a PipelineSpec and at most one PlatformSpec, got {len(docs)} documents"
    )
    json_format.ParseDict(docs[0], pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
    if len(docs) == 2:
        json_format.ParseDict(docs[1], pipeline_spec_pb2.PlatformSpec(), ignore_unknown_fields=False)


def import_example(source: Path) -> types.ModuleType:
    """Imports an example file unchanged (``from sluice import dsl``), as a user's ``python`` would."""
    name = f"sluice_example_{source.stem}"
    spec = importlib.util.spec_from_file_location(name, source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # components read their own source back with inspect, via the module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def compile_with_sluice(source: Path, output: Path) -> Path:
    """Compiles an example's root pipeline with Sluice's compiler into ``output``."""
    from sluice import compiler

    module = import_example(source)
    pipeline = getattr(module, root_pipeline_name(source))
    compiler.Compiler().compile(pipeline, str(output))
    return output


def ir_round_trip(path: Path) -> list[Document]:
    """Loads a compiled pipeline with ``sluice.ir``, writes it back out and returns the re-read documents."""
    from sluice import ir

    document = ir.read_pipeline(path)
    dumped = ir.dump_pipeline(document)
    return [doc for doc in yaml.safe_load_all(dumped) if doc is not None]
