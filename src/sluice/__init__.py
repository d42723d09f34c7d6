"""Sluice: Kubeflow Pipelines, rebuilt in Python.

The top-level package stays cheap to import: task processes import ``sluice.runtime`` and
``sluice.dsl`` and must not pay for the compiler, the stores or the server.
"""

from __future__ import annotations

from sluice._errors import SluiceError

__version__ = "0.1.0"

__all__ = ["Client", "SluiceError", "__version__", "run"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sluice.client import Client
    from sluice.engine import run_pipeline as run


def __getattr__(name: str) -> object:
    # Lazy: `sluice.run` pulls in the engine (SQLAlchemy, the store); task processes never pay for it.
    if name == "run":
        from sluice.engine import run_pipeline

        return run_pipeline
    if name == "Client":
        # Lazy too: the service's client pulls in httpx.
        from sluice.client import Client

        return Client
    raise AttributeError(f"module 'sluice' has no attribute {name!r}")
