"""Serving the application with uvicorn until SIGINT/SIGTERM, then shutting down cleanly."""

from __future__ import annotations

import logging
import signal
import sys
import traceback

from sluice.server._app import create_app
from sluice.server._config import ServerConfig
from sluice.store import Store, StoreError, redact

__all__ = ["serve"]

# Streaming logs keep connections open; don't let them hold a shutdown up for long.
_GRACEFUL_SHUTDOWN_S = 5


def serve(config: ServerConfig, *, log_level: str = "info") -> None:
    """Serve until interrupted. Runs in flight are stopped and recorded, and resume on the next start.

    Raises ``StoreError`` (before serving anything) when the store cannot be opened, and
    ``sluice.sandbox.SandboxUnavailableError`` when a namespace's policy needs bubblewrap and it is missing."""
    import uvicorn

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Migrations announce themselves at INFO on every store opened (one per run); keep the log about runs.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    print(
        f"Sluice on http://{config.host}:{config.port}  (database {redact(config.database_url)}, "
        f"artifacts {config.artifact_root}"
        + (f", tasks on Ray at {config.ray_address or 'a local Ray'}" if config.launcher == "ray" else "")
        + ")",
        file=sys.stderr,
        flush=True,
    )
    if config.host.strip("[]") in ("0.0.0.0", "::") and not config.allowed_hosts:
        print(
            "  listening on every address, but answering only for the host names 127.0.0.1, localhost and "
            "[::1]: add --allowed-host NAME for each name clients use to reach this machine",
            file=sys.stderr,
            flush=True,
        )
    try:
        store = Store.open(config.database_url)
    except StoreError:
        # The message says it all (the caller prints it); the traceback is for debugging.
        if log_level == "debug":
            traceback.print_exc()
        raise
    from sluice.sandbox import require_bwrap, require_sandbox_for_policies

    # Namespaces whose runs are sandboxed need bubblewrap: refuse to start rather than fail each run. A team
    # server sandboxes every namespace's tasks by default, so it needs it whatever the policies say now.
    if config.multi_user:
        require_bwrap()
    require_sandbox_for_policies(store, config.home)
    uvicorn_config = uvicorn.Config(
        create_app(config, store),
        host=config.host,
        port=config.port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
    )
    # Uvicorn shuts down on SIGINT/SIGTERM, then re-raises the signal to whatever handler was there before:
    # once it has shut down cleanly, that is a normal exit.
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, _exit_cleanly)
    uvicorn.Server(uvicorn_config).run()


def _exit_cleanly(signal_number: int, frame: object) -> None:
    raise SystemExit(0)
