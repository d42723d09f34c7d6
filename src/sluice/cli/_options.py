"""Options that several commands share, so that each reads and documents them the same way."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

__all__ = ["imports_without_gc", "launcher_options"]


@contextmanager
def imports_without_gc() -> Iterator[None]:
    """Import a command's machinery with the cyclic garbage collector off, then freeze what it imported out of
    every later collection. Imports make hundreds of thousands of objects that live as long as the process
    and next to no garbage: collections over them cost a one-shot ``sluice run`` about 140 ms of its 660
    (bench/one_shot.py) and freed nothing."""
    was_enabled = gc.isenabled()
    modules_before = len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if len(sys.modules) > modules_before:  # a second command in one process (tests) freezes nothing new
            gc.freeze()
        if was_enabled:
            gc.enable()


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
