"""``@dsl.notebook_component(notebook_path=...)`` and ``dsl.run_notebook(**parameters)``, in kfp's shape.

The notebook (a ``.ipynb`` file, or a folder holding one, whose other files come along) is embedded in the
component at compile time like ``embedded_artifact_path``. The component's program also carries a small
runner bound as ``dsl.run_notebook``: it injects the parameters with papermill's semantics (an
``injected-parameters`` cell right after the cell tagged ``parameters``, else first), executes the notebook
with nbclient on an IPython kernel (``pip install 'sluice[notebooks]'``), prints each cell's output to the
task's log, and returns the executed notebook's path (a Sluice addition: kfp returns None). A failing cell
fails the task with that cell's error; its traceback is in the log.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from sluice.dsl._errors import PipelineDefinitionError, location_of_function

__all__ = ["NOTEBOOK_PACKAGES", "notebook_component", "run_notebook"]

NOTEBOOK_PACKAGES = ["nbclient>=0.10,<1", "ipykernel>=6,<7", "jupyter_client>=7,<9"]
"""What kfp installs for a notebook component when ``packages_to_install`` is None."""

# Runs in the task, after the embedded folder is extracted (__KFP_EMBEDDED_ASSET_DIR). Standard library
# besides nbformat and nbclient, imported when the notebook runs.
_RUNNER = """
__KFP_NOTEBOOK_REL_PATH = {relative!r}


def _sluice_notebook_parameters_cell(notebook, parameters):
    import nbformat

    cells = [
        cell for cell in notebook.cells if "injected-parameters" not in cell.get("metadata", {{}}).get("tags", [])
    ]
    if parameters:
        lines = ["# Parameters"]
        for name, value in parameters.items():
            if not isinstance(value, (str, int, float, bool, list, dict, tuple, type(None))):
                raise TypeError(
                    f"run_notebook: parameter {{name!r}} is a {{type(value).__name__}}; give notebooks strings, "
                    "numbers, booleans, lists or dicts (for an artifact, its .path)"
                )
            lines.append(f"{{name}} = {{value!r}}")
        injected = nbformat.v4.new_code_cell("\\n".join(lines) + "\\n")
        injected.metadata["tags"] = ["injected-parameters"]
        tagged = [
            index for index, cell in enumerate(cells) if "parameters" in cell.get("metadata", {{}}).get("tags", [])
        ]
        cells.insert(tagged[0] + 1 if tagged else 0, injected)
    notebook.cells = cells


def _sluice_show_cell(cell, cell_index, **_):
    import sys

    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            (sys.stderr if output.get("name") == "stderr" else sys.stdout).write(output.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            text = output.get("data", {{}}).get("text/plain")
            if text:
                print(text)
    sys.stdout.flush()


def _sluice_run_notebook(**parameters):
    import os
    import sys

    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
    except ImportError as error:
        raise RuntimeError(
            f"running a notebook needs nbclient and ipykernel (pip install 'sluice[notebooks]'): {{error}}"
        ) from None
    source = os.path.join(__KFP_EMBEDDED_ASSET_DIR, __KFP_NOTEBOOK_REL_PATH)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. nbformat's "cell is missing an id" on older notebooks
        notebook = nbformat.read(source, as_version=4)
    _sluice_notebook_parameters_cell(notebook, parameters)
    folder = os.path.dirname(source)
    executed = os.path.join(folder, "executed-" + os.path.basename(source))
    client = NotebookClient(
        notebook,
        timeout=None,
        kernel_name="python3",
        resources={{"metadata": {{"path": folder}}}},
        on_cell_executed=_sluice_show_cell,
    )
    print(f"[sluice] running notebook {{__KFP_NOTEBOOK_REL_PATH}}", flush=True)
    try:
        client.execute()
    except CellExecutionError as error:
        nbformat.write(notebook, executed)
        sys.stderr.write(str(error) + "\\n")
        code_cells = [  # numbered as in the user's notebook: without the injected cell
            cell
            for cell in notebook.cells
            if cell.get("cell_type") == "code"
            and "injected-parameters" not in cell.get("metadata", {{}}).get("tags", [])
        ]
        failed = next(
            (
                number
                for number, cell in enumerate(code_cells, 1)
                if any(output.get("output_type") == "error" for output in cell.get("outputs", []))
            ),
            None,
        )
        where = f"code cell {{failed}}" if failed else "a cell"
        raise RuntimeError(
            f"notebook {{__KFP_NOTEBOOK_REL_PATH}} failed in {{where}}: {{error.ename}}: {{error.evalue}}"
        ) from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nbformat.write(notebook, executed)
    return executed


dsl.run_notebook = _sluice_run_notebook
"""


def run_notebook(**kwargs: Any) -> str:
    """Execute the component's embedded notebook with ``kwargs`` injected as parameters; the executed
    notebook's path. Only inside a ``@dsl.notebook_component``'s function, when its task runs."""
    raise NotImplementedError(
        "dsl.run_notebook() runs only inside the function of a @dsl.notebook_component, when its task runs"
    )


def _notebook_in(function: Callable[..., Any], notebook_path: str) -> tuple[str, str]:
    """(what to embed, the notebook's path inside it); PipelineDefinitionError naming what is wrong."""

    def fail(message: str) -> PipelineDefinitionError:
        return PipelineDefinitionError(
            f"notebook component {function.__name__!r}: notebook_path {notebook_path!r}: {message}",
            task=function.__name__,
            location=location_of_function(function),
        )

    path = os.path.abspath(os.fspath(notebook_path))
    if os.path.isdir(path):
        found = sorted(name for name in os.listdir(path) if name.endswith(".ipynb"))
        if len(found) != 1:
            raise fail(f"the folder must hold exactly one .ipynb file, it holds {len(found)}")
        embedded, relative = path, found[0]
        notebook_file = os.path.join(path, relative)
    elif os.path.isfile(path):
        if not path.endswith(".ipynb"):
            raise fail("not a .ipynb file")
        embedded, relative, notebook_file = path, os.path.basename(path), path
    else:
        raise fail("does not exist")
    try:
        with open(notebook_file, encoding="utf-8") as source:
            document = json.load(source)
    except (OSError, ValueError) as error:
        raise fail(f"cannot be read as a notebook: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise fail("is not a Jupyter notebook (no 'cells' list)")
    return embedded, relative


def notebook_component(
    func: Callable[..., Any] | None = None,
    *,
    notebook_path: str,
    base_image: str | None = None,
    packages_to_install: list[str] | None = None,
    output_component_file: str | None = None,
    pip_index_urls: list[str] | None = None,
    pip_trusted_hosts: list[str] | None = None,
    use_venv: bool = False,
    kfp_package_path: str | None = None,
    install_kfp_package: bool = True,
    task_config_passthroughs: list[Any] | None = None,
) -> Any:
    """A component whose function runs a Jupyter notebook: call ``dsl.run_notebook(**parameters)`` in it.

    Args:
        notebook_path: The ``.ipynb`` file, or a folder holding one (its other files come along and are
            importable), embedded at compile time.
        packages_to_install: None: nbclient, ipykernel and jupyter_client (kfp's default); ``[]``: none.
        base_image, output_component_file, pip_index_urls: as for ``@dsl.component``.
        pip_trusted_hosts, use_venv, kfp_package_path, install_kfp_package: accepted for kfp and ignored.
        task_config_passthroughs: not supported (must be None).
    """
    from sluice.dsl._python_component import _make_component, write_component_file

    if task_config_passthroughs:
        raise PipelineDefinitionError(
            "@dsl.notebook_component(task_config_passthroughs=...) (kfp's dsl.TaskConfig) is not supported"
        )
    packages = list(NOTEBOOK_PACKAGES) if packages_to_install is None else list(packages_to_install)

    def decorate(function: Callable[..., Any]) -> Any:
        embedded, relative = _notebook_in(function, notebook_path)
        made = _make_component(
            function,
            base_image,
            packages,
            pip_index_urls,
            None,
            embedded,
            extra_source=_RUNNER.format(relative=relative),
        )
        if output_component_file:
            write_component_file(made, output_component_file)
        return made

    if func is not None:
        return decorate(func)
    return decorate
