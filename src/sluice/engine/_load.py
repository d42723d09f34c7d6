"""Turning what a user hands the engine into a PipelineDocument: a YAML/JSON file, a Python file, a pipeline
object (Sluice's or kfp's), a PipelineSpec or its dictionary.

A pipeline Sluice compiles here is used as compiled, in memory: no YAML round trip, and no protobuf schema
check (the compiler writes only what the schema allows; its tests check that against the schema). Anything
else (a file, a dictionary, kfp's output) is checked against the schema before it runs.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path
from typing import Any

from sluice.engine._errors import EngineError
from sluice.ir import (
    PipelineDocument,
    PipelineSpec,
    check_references,
    parse_pipeline,
    read_pipeline,
    validate_with_protobuf,
)

__all__ = ["LoadedPipeline", "load_document", "load_pipeline"]

_YAML_SUFFIXES = (".yaml", ".yml", ".json")


class LoadedPipeline:
    """A pipeline document, and whether Sluice compiled it in this process (then it needs no schema check)."""

    __slots__ = ("compiled_here", "document")

    def __init__(self, document: PipelineDocument, *, compiled_here: bool) -> None:
        self.document = document
        self.compiled_here = compiled_here

    def checked(self) -> PipelineDocument:
        """The document, its references checked, and its schema too unless Sluice compiled it here."""
        check_references(self.document.spec)
        if not self.compiled_here:
            validate_with_protobuf(self.document)
        return self.document


def _compile(pipeline: Any) -> LoadedPipeline:
    if not type(pipeline).__module__.startswith("kfp."):
        from sluice.compiler import compile_to_document

        return LoadedPipeline(compile_to_document(pipeline), compiled_here=True)
    # kfp compiles its own pipelines, to a file; what it wrote is checked like any other file.
    with tempfile.TemporaryDirectory(prefix="sluice-compile-") as folder:
        target = Path(folder) / "pipeline.yaml"
        try:
            compiler: Any = importlib.import_module("kfp.compiler")
            compile_pipeline = compiler.Compiler().compile
        except (ImportError, AttributeError) as error:
            raise EngineError(f"cannot compile {pipeline!r}: kfp.compiler is not available") from error
        compile_pipeline(pipeline, str(target))
        return LoadedPipeline(read_pipeline(target), compiled_here=False)


def _load_python_file(path: Path, pipeline_name: str | None) -> LoadedPipeline:
    """Raises PipelineFileError (sluice.compiler) naming the file, and the line when it fails to import."""
    from sluice.compiler._source import (
        PipelineFileError,
        import_pipeline_file,
        pipeline_objects,
        root_pipelines,
    )

    module = import_pipeline_file(path)
    pipelines = pipeline_objects(module)
    if pipeline_name is not None:
        if pipeline_name not in pipelines:
            raise PipelineFileError(
                f"{path}: no pipeline named {pipeline_name!r} (found: {', '.join(pipelines) or 'none'})"
            )
        return _compile(pipelines[pipeline_name])
    if not pipelines:
        raise PipelineFileError(f"{path} defines no @dsl.pipeline function")
    if len(pipelines) == 1:
        return _compile(next(iter(pipelines.values())))
    roots = root_pipelines(pipelines)
    if len(roots) == 1:
        return _compile(next(iter(roots.values())))
    if len(roots) > 1:
        names = ", ".join(sorted(roots))
        raise PipelineFileError(
            f"{path} defines several pipelines ({names}): choose one with --pipeline NAME"
        )
    # kfp's pipeline objects don't expose their graph: sub-pipelines come first, the one using them last.
    return _compile(list(pipelines.values())[-1])


def _load_notebook(path: Path) -> LoadedPipeline:
    """A notebook as a one-task pipeline (sluice.notebooks)."""
    from sluice.notebooks import NotebookError, notebook_pipeline_source

    try:
        source = notebook_pipeline_source(path)
    except NotebookError as error:
        raise EngineError(str(error)) from None
    with tempfile.TemporaryDirectory(prefix="sluice-notebook-") as folder:
        module = Path(folder) / f"{path.stem}_pipeline.py"
        module.write_text(source, encoding="utf-8")
        return _load_python_file(module, None)


def load_pipeline(pipeline: Any, pipeline_name: str | None = None) -> LoadedPipeline:
    """The pipeline, loaded (a file read, a Python file imported, a pipeline object compiled), not yet
    checked; raises IRError (bad spec), PipelineFileError (a .py file that does not load) or EngineError."""
    from sluice.compiler._source import is_pipeline_object

    if isinstance(pipeline, LoadedPipeline):
        return pipeline
    if isinstance(pipeline, PipelineDocument):
        return LoadedPipeline(pipeline, compiled_here=False)
    if isinstance(pipeline, PipelineSpec):
        return LoadedPipeline(PipelineDocument(pipeline), compiled_here=False)
    if isinstance(pipeline, dict):
        return LoadedPipeline(PipelineDocument(PipelineSpec.from_dict(pipeline)), compiled_here=False)
    if isinstance(pipeline, str | os.PathLike):
        path = Path(pipeline)
        if isinstance(pipeline, str) and "\n" in pipeline:
            return LoadedPipeline(parse_pipeline(pipeline), compiled_here=False)  # YAML text
        if not path.exists():
            raise EngineError(f"{path}: no such file")
        if path.suffix == ".py":
            return _load_python_file(path, pipeline_name)
        if path.suffix == ".ipynb":
            return _load_notebook(path)
        if path.suffix in _YAML_SUFFIXES or path.is_file():
            return LoadedPipeline(read_pipeline(path), compiled_here=False)
    if is_pipeline_object(pipeline):
        return _compile(pipeline)
    raise EngineError(
        f"cannot run {pipeline!r}: expected a pipeline file (.yaml, .json, .py) or a notebook (.ipynb), a pipeline object or a PipelineSpec"
    )


def load_document(pipeline: Any, pipeline_name: str | None = None) -> PipelineDocument:
    """The pipeline as a PipelineDocument (not checked); errors as :func:`load_pipeline`."""
    return load_pipeline(pipeline, pipeline_name).document
