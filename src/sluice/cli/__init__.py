"""The ``sluice`` command line."""

from __future__ import annotations

import sys

import click

from sluice import __version__


class _Sluice(click.Group):
    """The ``sluice`` group: a store that cannot be opened (an unreachable ``$SLUICE_DATABASE_URL``) is one
    line on stderr and exit status 2, from whichever command, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except Exception as error:
            # Only a command that opened a store can raise its error: no need to import the store here.
            store = sys.modules.get("sluice.store")
            if store is None or not isinstance(error, store.StoreError):
                raise
            click.echo(f"error: {error}", err=True)
            ctx.exit(2)


@click.group(cls=_Sluice)
@click.version_option(__version__, prog_name="sluice")
def main() -> None:
    """Sluice: author, compile and run Kubeflow-compatible ML pipelines."""


from sluice.cli import _admin, _client_commands, _compile, _queue, _run, _secrets, _server  # noqa: E402  (registers on the group defined above)
from sluice.cli._deployments import deployments_group  # noqa: E402
from sluice.cli._profiles import register as register_profiles  # noqa: E402

_compile.register(main)
_run.register(main)
_server.register(main)
_client_commands.register(main)  # after _run: it extends the `runs` group
_secrets.register(main)
_admin.register(main)
_queue.register(main)
main.add_command(deployments_group)
register_profiles(main)


__all__ = ["main"]
