"""A notebook file as the source of a one-task pipeline."""

from __future__ import annotations

import ast
import json
import keyword
import re
from pathlib import Path
from typing import Any

__all__ = ["NotebookError", "notebook_parameters", "notebook_pipeline_source"]

_TYPES = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}
_RESERVED = {"executed_notebook", "dsl", "shutil"}


class NotebookError(Exception):
    """The notebook cannot become a pipeline (the message names the file and what is wrong)."""


def _cells(path: Path) -> list[dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise NotebookError(f"{path}: cannot be read as a notebook: {error}") from None
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        raise NotebookError(f"{path}: not a Jupyter notebook (no 'cells' list)")
    return [cell for cell in cells if isinstance(cell, dict)]


def notebook_parameters(path: str | Path) -> dict[str, tuple[str, Any]]:
    """The ``parameters`` cell's ``name = literal`` assignments: {name: (type name, default)}."""
    path = Path(path)
    found: dict[str, tuple[str, Any]] = {}
    for cell in _cells(path):
        tags = (cell.get("metadata") or {}).get("tags") or []
        if cell.get("cell_type") != "code" or "parameters" not in tags:
            continue
        source = cell.get("source") or ""
        text = "".join(source) if isinstance(source, list) else str(source)
        try:
            tree = ast.parse(text)
        except SyntaxError as error:
            raise NotebookError(
                f"{path}: the parameters cell is not valid Python: {error.msg} (line {error.lineno})"
            ) from None
        for statement in tree.body:
            if not (isinstance(statement, ast.Assign | ast.AnnAssign)):
                continue
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name) or statement.value is None:
                continue
            name = targets[0].id
            try:
                value = ast.literal_eval(statement.value)
            except ValueError:
                continue  # computed: left to the notebook
            kind = _TYPES.get(type(value))
            if kind is None or name in _RESERVED or keyword.iskeyword(name) or name.startswith("_"):
                continue
            found[name] = (kind, value)
        break  # papermill reads the first tagged cell
    return found


def notebook_pipeline_source(path: str | Path) -> str:
    """Python source defining a one-task pipeline that runs the notebook at ``path``."""
    path = Path(path).resolve()
    parameters = notebook_parameters(path)
    stem = re.sub(r"\W+", "_", path.stem).strip("_").lower() or "notebook"
    if stem[0].isdigit() or keyword.iskeyword(stem):
        stem = f"notebook_{stem}"
    declared = "".join(f", {name}: {kind} = {value!r}" for name, (kind, value) in parameters.items())
    passed = ", ".join(f"{name}={name}" for name in parameters)
    pipeline_arguments = declared.removeprefix(", ")
    return f"""from sluice import dsl


@dsl.notebook_component(notebook_path={str(path)!r}, packages_to_install=[])
def {stem}(executed_notebook: dsl.Output[dsl.Artifact]{declared}):
    import shutil

    shutil.copy(dsl.run_notebook({passed}), executed_notebook.path)


@dsl.pipeline(name={stem.replace("_", "-")!r}, description={f"the notebook {path.name}"!r})
def {stem}_pipeline({pipeline_arguments}):
    {stem}({passed})
"""
