"""Serving the application with uvicorn until SIGINT/SIGTERM, then shutting down cleanly."""

from __future__ import annotations

import logging
import os
import signal
import sys

from sluice.server._app import create_app
from sluice.server._config import ServerConfig
from sluice.store import redact

__all__ = ["serve"]

# Streaming logs keep connections open; don't let them hold a shutdown up for long.
_GRACEFUL_SHUTDOWN_S = 5


def serve(config: ServerConfig, *, log_level: str = "info") -> None:
    """Serve until interrupted. Runs in flight are stopped and recorded, and resume on the next start."""
    import uvicorn

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Migrations announce themselves at INFO on every store opened (one per run); keep the log about runs.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    print(
        f"Sluice on http://{config.host}:{config.port}  (database {redact(config.database_url)}, "
        f"artifacts {config.artifact_root})",
        file=sys.stderr,
        flush=True,
    )
    # Tasks this service runs reach it at its own address (sluice.components.deploy_model, sluice.Client).
    reachable = "127.0.0.1" if config.host in ("0.0.0.0", "::", "") else config.host
    os.environ["SLUICE_HOST"] = f"http://{reachable}:{config.port}"
    uvicorn_config = uvicorn.Config(
        create_app(config),
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
