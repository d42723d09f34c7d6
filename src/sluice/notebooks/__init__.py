"""Notebooks as pipelines: ``sluice run notebook.ipynb -p key=value`` runs one notebook as a one-task
pipeline, recorded like any run.

The notebook's ``parameters`` cell (papermill's tag) gives the pipeline's inputs: each ``name = literal``
becomes an input typed by its value (str, int, float, bool, list, dict) with that default. The task runs
the notebook with ``@dsl.notebook_component`` (``sluice.dsl._notebooks``) in the engine's environment
(``pip install 'sluice[notebooks]'``) and outputs the executed notebook as the ``executed_notebook``
artifact.
"""

from __future__ import annotations

from sluice.notebooks._pipeline import NotebookError, notebook_parameters, notebook_pipeline_source

__all__ = ["NotebookError", "notebook_parameters", "notebook_pipeline_source"]
