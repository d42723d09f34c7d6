"""The web UI's built assets, which ``sluice up`` serves at ``/``.

The front end lives in ``ui/`` at the repository root; installing Sluice builds it (``hatch_build.py`` runs
``npm ci && npm run build``) into ``static/`` beside this file.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["is_built", "static_dir"]

_STATIC = Path(__file__).parent / "static"


def static_dir() -> Path:
    """The folder holding ``index.html`` and ``assets/``; it may be missing when the UI was not built."""
    return _STATIC


def is_built() -> bool:
    """Whether the assets are there to serve."""
    return (_STATIC / "index.html").is_file()
