"""The pipeline service: KFP's v2beta1 REST API over Sluice's store, runs executed in the background by the
engine, recurring runs fired by a scheduler. ``sluice up`` serves it; ``create_app`` gives the ASGI app."""

from __future__ import annotations

from sluice.server._app import OPENAPI_PATH, create_app
from sluice.server._config import DEFAULT_HOST, DEFAULT_PORT, ServerConfig, ServerConfigError
from sluice.server._serve import serve

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "OPENAPI_PATH",
    "ServerConfig",
    "ServerConfigError",
    "create_app",
    "serve",
]
