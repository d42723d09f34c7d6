"""Notebook files for the tests, written as Jupyter stores them."""

from __future__ import annotations

import json
from pathlib import Path


def write_notebook(path: Path, cells: list[tuple[str, list[str]]]) -> Path:
    """A notebook of code cells: (source, tags) each."""
    document = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell-{index}",
                "metadata": {"tags": tags} if tags else {},
                "outputs": [],
                "source": source,
            }
            for index, (source, tags) in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def report_notebook(path: Path) -> Path:
    """Parameters text/count/scale; prints them; divides by zero when text is 'boom'."""
    return write_notebook(
        path,
        [
            ("import json\n", []),
            ("text = 'default'\ncount = 1\nscale = 0.5\n", ["parameters"]),
            ("print('text is', text, 'count is', count)\nresult = count * scale\nresult\n", []),
            ("if text == 'boom':\n    1 / 0\n", []),
        ],
    )
