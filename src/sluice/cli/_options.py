"""Options that several commands share, so that each reads and documents them the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

__all__ = ["launcher_options"]


def launcher_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--launcher`` and ``--ray-address`` (``sluice run`` and ``sluice up``)."""
    function = click.option(
        "--ray-address",
        envvar="RAY_ADDRESS",
        metavar="HOST:PORT",
        help="The Ray cluster for --launcher ray (default: $RAY_ADDRESS, else a new local Ray).",
    )(function)
    return click.option(
        "--launcher",
        type=click.Choice(["local", "ray"]),
        envvar="SLUICE_LAUNCHER",
        default="local",
        show_default=True,
        help="Where tasks run: this machine, or the nodes of a Ray cluster (pip install 'sluice[ray]').",
    )(function)
