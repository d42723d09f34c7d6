"""Turning what a user hands the engine into a PipelineSpec: a YAML/JSON file, a Python file, a pipeline
object (Sluice's or kfp's), a PipelineSpec or its dictionary."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from sluice.engine._errors import EngineError
from sluice.ir import PipelineDocument, PipelineSpec, parse_pipeline, read_pipeline

__all__ = ["find_pipelines", "load_document"]

_YAML_SUFFIXES = (".yaml", ".yml", ".json")


def _is_pipeline_object(value: Any) -> bool:
    """A compiled-on-demand pipeline: kfp's GraphComponent, or Sluice's pipeline object."""
    if getattr(value, "__sluice_pipeline__", False):
        return True
    kind = type(value)
    return kind.__name__ == "GraphComponent" and kind.__module__.startswith(("kfp.", "sluice."))


def find_pipelines(module: Any) -> dict[str, Any]:
    """The pipelines defined at the top of a module, by variable name."""
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and _is_pipeline_object(value)
    }


def _compile(pipeline: Any) -> PipelineDocument:
    with tempfile.TemporaryDirectory(prefix="sluice-compile-") as folder:
        target = Path(folder) / "pipeline.yaml"
        # Each SDK compiles its own pipelines: kfp's with kfp's compiler, Sluice's with Sluice's.
        module_name = "kfp.compiler" if type(pipeline).__module__.startswith("kfp.") else "sluice.compiler"
        try:
            compiler: Any = importlib.import_module(module_name)
            compile_pipeline = compiler.Compiler().compile
        except (ImportError, AttributeError) as error:
            raise EngineError(f"cannot compile {pipeline!r}: {module_name} is not available") from error
        compile_pipeline(pipeline, str(target))
        return read_pipeline(target)


def _load_python_file(path: Path, pipeline_name: str | None) -> PipelineDocument:
    module_name = f"_sluice_pipeline_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise EngineError(f"{path}: cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    folder = str(path.resolve().parent)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise EngineError(f"{path}: importing it failed: {type(error).__name__}: {error}") from error
    finally:
        if added:
            sys.path.remove(folder)
    pipelines = find_pipelines(module)
    if pipeline_name is not None:
        if pipeline_name not in pipelines:
            raise EngineError(
                f"{path}: no pipeline named {pipeline_name!r} (found: {', '.join(pipelines) or 'none'})"
            )
        return _compile(pipelines[pipeline_name])
    if not pipelines:
        raise EngineError(f"{path}: defines no pipeline (a function decorated with @dsl.pipeline)")
    if len(pipelines) == 1:
        return _compile(next(iter(pipelines.values())))
    from sluice.compiler._source import root_pipelines

    roots = root_pipelines(pipelines)
    if len(roots) == 1:
        return _compile(next(iter(roots.values())))
    if len(roots) > 1:
        names = ", ".join(sorted(roots))
        raise EngineError(f"{path} defines several pipelines ({names}): choose one with --pipeline NAME")
    # kfp's pipeline objects don't expose their graph: sub-pipelines come first, the one using them last.
    return _compile(list(pipelines.values())[-1])


def _load_notebook(path: Path) -> PipelineDocument:
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


def load_document(pipeline: Any, pipeline_name: str | None = None) -> PipelineDocument:
    """The pipeline as a PipelineDocument; raises IRError (bad spec) or EngineError (bad source)."""
    if isinstance(pipeline, PipelineDocument):
        return pipeline
    if isinstance(pipeline, PipelineSpec):
        return PipelineDocument(pipeline)
    if isinstance(pipeline, dict):
        return PipelineDocument(PipelineSpec.from_dict(pipeline))
    if isinstance(pipeline, str | os.PathLike):
        path = Path(pipeline)
        if isinstance(pipeline, str) and "\n" in pipeline:
            return parse_pipeline(pipeline)  # YAML text
        if not path.exists():
            raise EngineError(f"{path}: no such file")
        if path.suffix == ".py":
            return _load_python_file(path, pipeline_name)
        if path.suffix == ".ipynb":
            return _load_notebook(path)
        if path.suffix in _YAML_SUFFIXES or path.is_file():
            return read_pipeline(path)
    if _is_pipeline_object(pipeline):
        return _compile(pipeline)
    raise EngineError(
        f"cannot run {pipeline!r}: expected a pipeline file (.yaml, .json, .py) or a notebook (.ipynb), a pipeline object or a PipelineSpec"
    )
