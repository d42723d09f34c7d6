"""Sluice: Kubeflow Pipelines, rebuilt in Python.

The top-level package stays cheap to import: task processes import ``sluice.runtime`` and
``sluice.dsl`` and must not pay for the compiler, the stores or the server.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
