"""A notebook component written with the official kfp SDK (compiled by kfp in tests/notebooks).

No ``from __future__ import annotations``: kfp reads component annotations as live objects.
"""

import os

from kfp import dsl

NOTEBOOK = os.environ.get("SLUICE_TEST_NOTEBOOK", "notebook.ipynb")


def make_pipeline(notebook_path: str):
    @dsl.notebook_component(notebook_path=notebook_path, base_image="python:3.11")
    def kfp_notebook(text: str, result: dsl.OutputPath(str)):
        dsl.run_notebook(text=text)
        with open(result, "w") as out:
            out.write("ran " + text)

    @dsl.pipeline(name="kfp-notebook")
    def kfp_notebook_pipeline(text: str = "from kfp"):
        kfp_notebook(text=text)

    return kfp_notebook_pipeline
