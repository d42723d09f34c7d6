"""One replica: a KServe ModelServer process serving one revision of a deployment.

Forked by the replica zygote (``_zygote``), which calls :func:`serve`. The spec names
the model (a local path), the predictor, the deployment's name (the model's name in KServe's routes) and the
listening socket, which the supervisor bound on 127.0.0.1 and passes down open: the replica never picks a
port, never listens beyond loopback, and cannot race another process for its address.

A model that fails to load ends the process with exit status 3 after writing the reason to the spec's
``error_file``; the supervisor reports it. The replica ends itself when ``sluice up`` goes away.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

__all__ = ["LOAD_FAILED_EXIT", "serve"]

LOAD_FAILED_EXIT = 3
_PARENT_POLL_S = 0.5
_GRACEFUL_SHUTDOWN_S = 10


def _exit_with_parent(parent_pid: int) -> None:
    """Reparented means ``sluice up`` died (even by SIGKILL): stop serving rather than linger on a port."""

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(0)
            time.sleep(_PARENT_POLL_S)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


_JSON_LIKE = (b"", b"application/json", b"application/x-www-form-urlencoded", b"text/plain")


class _JsonBodies:
    """KServe's documented requests are ``curl -d @input.json``, which labels the body as a form; and KServe's
    own server takes only the exact type ``application/json`` as JSON (not even with ``; charset=utf-8``). A
    prediction body is JSON unless it says it is something else (V2's binary extension), so say so."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            headers = scope["headers"]
            names = {name for name, _ in headers}
            content_type = next((value for name, value in headers if name == b"content-type"), b"")
            media_type = content_type.split(b";", 1)[0].strip().lower()
            if media_type in _JSON_LIKE and b"inference-header-content-length" not in names:
                rewritten = [(name, value) for name, value in headers if name != b"content-type"]
                rewritten.append((b"content-type", b"application/json"))
                scope = {**scope, "headers": rewritten}
        await self.app(scope, receive, send)


def _fail(error_file: Path, message: str) -> int:
    error_file.write_text(message + "\n", encoding="utf-8")
    print(f"sluice replica: {message}", file=sys.stderr, flush=True)
    return LOAD_FAILED_EXIT


def serve(spec: dict[str, Any]) -> int:
    """Load the model and serve it until SIGTERM; the exit status (LOAD_FAILED_EXIT: see the error file)."""
    # KServe 0.21 uses FastAPI's ORJSONResponse, which FastAPI now deprecates on every response.
    warnings.filterwarnings("ignore", message="ORJSONResponse is deprecated")
    _exit_with_parent(int(spec["parent_pid"]))
    error_file = Path(spec["error_file"])
    listener = socket.socket(fileno=int(spec["socket_fd"]))
    try:
        import kserve
        from kserve.constants.constants import FASTAPI_APP_IMPORT_STRING
        from kserve.model_server import app as kserve_app
        from kserve.protocol.rest.server import RESTServer
    except ImportError as error:
        return _fail(
            error_file,
            f"model serving needs the serving extra on the server (pip install 'sluice[serving]'): {error}",
        )

    from sluice.serving._predictors import PredictorSpec
    from sluice.serving._runtimes import LoadError, build_model

    predictor_file = Path(spec["predictor_file"]) if spec.get("predictor_file") else None
    try:
        model = build_model(
            spec["name"], Path(spec["model_path"]), PredictorSpec.from_json(spec["predictor"]), predictor_file
        )
    except LoadError as error:
        traceback.print_exc()
        return _fail(error_file, str(error))
    except BaseException as error:  # anything the user's code raises, SystemExit included
        traceback.print_exc()
        return _fail(error_file, f"loading the model failed: {type(error).__name__}: {error}")

    server = kserve.ModelServer(
        enable_grpc=False, enable_latency_logging=False, grace_period=_GRACEFUL_SHUTDOWN_S
    )
    # Per-request lines (access log, timings) would cost more than a trivial prediction.
    for name in ("uvicorn.access", "kserve.trace"):
        logging.getLogger(name).setLevel(logging.WARNING)
    server.register_model(model)
    kserve_app.add_middleware(_JsonBodies)
    rest = RESTServer(
        FASTAPI_APP_IMPORT_STRING,
        server.dataplane,
        server.model_repository_extension,
        0,
        grace_period=_GRACEFUL_SHUTDOWN_S,
    )
    print(
        f"sluice replica: serving {spec['name']!r} revision {spec['revision']}", file=sys.stderr, flush=True
    )
    rest.run(sockets=[listener])
    return 0
