"""Loading a pipeline's Python file, and which pipeline it means: the rules ``sluice compile`` and
``sluice run`` (and ``sluice.run('pipeline.py')``) share.

:func:`import_pipeline_file` is the one loader of a ``.py`` file: a file that fails to import is a
:class:`PipelineFileError` naming the file and line at fault, and the file's folder is on ``sys.path``
only while it imports (so its neighbouring modules import) and never after.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from sluice._errors import SluiceError

__all__ = ["PipelineFileError", "import_pipeline_file", "pipeline_objects", "root_pipelines"]


class PipelineFileError(SluiceError, ValueError):
    """A pipeline's Python file cannot be imported, or does not say which pipeline it means; the message
    names the file (and the line, when the file fails to import)."""


def _where_in(error: BaseException, path: Path) -> str:
    """``file:line`` of the deepest frame of ``error`` in the user's file (or of its syntax error)."""
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}"
    location = getattr(error, "location", None)
    if location is not None:
        return str(location)
    frames = traceback.extract_tb(error.__traceback__)
    resolved = str(path.resolve())
    for frame in reversed(frames):
        if frame.filename and str(Path(frame.filename).resolve()) == resolved:
            return f"{path}:{frame.lineno}"
    user_frames = [frame for frame in frames if "/sluice/" not in frame.filename.replace("\\", "/")]
    if user_frames:
        return f"{user_frames[-1].filename}:{user_frames[-1].lineno}"
    return str(path)


def _module_name(path: Path) -> str:
    stem = "".join(character if character.isalnum() else "_" for character in path.stem)
    return f"_sluice_pipeline_{stem}_{abs(hash(str(path.resolve()))):x}"


def import_pipeline_file(path: Path) -> ModuleType:
    """Import ``path`` as a module, its folder first on ``sys.path`` while it runs (so its neighbours
    import); PipelineFileError naming the file and line when it cannot be imported."""
    if not path.exists():
        raise PipelineFileError(f"{path}: no such file")
    if not path.is_file():
        raise PipelineFileError(f"{path}: not a file")
    module_name = _module_name(path)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PipelineFileError(f"{path}: cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    # In sys.modules while it imports: dataclasses, pickling and typing look the module up by name.
    sys.modules[module_name] = module
    folder = str(path.resolve().parent)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(module_name, None)
        from sluice.dsl import PipelineDefinitionError

        if isinstance(error, PipelineDefinitionError) and error.location is not None:
            raise PipelineFileError(f"importing {path} failed: {error}") from None
        detail = error.msg if isinstance(error, SyntaxError) else str(error)
        raise PipelineFileError(
            f"importing {path} failed at {_where_in(error, path)}: {type(error).__name__}: {detail}"
        ) from None
    finally:
        if added and folder in sys.path:
            sys.path.remove(folder)
    return module


def is_pipeline_object(value: Any) -> bool:
    """A pipeline compiled on demand: Sluice's pipeline object, or kfp's GraphComponent."""
    if getattr(value, "__sluice_pipeline__", False):
        return True
    kind = type(value)
    return kind.__name__ == "GraphComponent" and kind.__module__.startswith(("kfp.", "sluice."))


def pipeline_objects(module: ModuleType) -> dict[str, Any]:
    """The pipelines (Sluice's or kfp's) at the top of a module, by variable name; a Sluice pipeline
    only when the module defines it (not one it imports to call)."""
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_")
        and is_pipeline_object(value)
        and getattr(getattr(value, "pipeline_func", None), "__module__", module.__name__) == module.__name__
    }


def _uses(pipeline: Any, other: Any) -> bool:
    """Whether ``pipeline`` calls ``other``, directly or through nested pipelines."""
    from sluice.dsl import GraphComponent

    for task in pipeline.graph.tasks.values():
        if task.component is other or (
            isinstance(task.component, GraphComponent) and _uses(task.component, other)
        ):
            return True
    return False


def root_pipelines(pipelines: Mapping[str, Any]) -> dict[str, Any]:
    """The Sluice pipelines among ``pipelines`` that no other one calls: the ones a file is run or compiled for.

    A file may define sub-pipelines next to the pipeline that uses them; those are not candidates.
    """
    from sluice.dsl import GraphComponent

    ours = {name: value for name, value in pipelines.items() if isinstance(value, GraphComponent)}
    return {
        name: pipeline
        for name, pipeline in ours.items()
        if not any(other is not pipeline and _uses(other, pipeline) for other in ours.values())
    }
