"""The ``sluice`` command line."""

from __future__ import annotations

import click

from sluice import __version__


@click.group()
@click.version_option(__version__, prog_name="sluice")
def main() -> None:
    """Sluice: author, compile and run Kubeflow-compatible ML pipelines."""


from sluice.cli import _client_commands, _compile, _run, _server  # noqa: E402  (registers on the group defined above)
from sluice.cli._deployments import deployments_group  # noqa: E402

_compile.register(main)
_run.register(main)
_server.register(main)
_client_commands.register(main)  # after _run: it extends the `runs` group
main.add_command(deployments_group)


__all__ = ["main"]
