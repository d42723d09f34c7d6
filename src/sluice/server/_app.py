"""The service as an ASGI application: the KFP v2beta1 API, the background executor and scheduler, the
OpenAPI document (``/apis/v2beta1/openapi.json``) and the web UI at ``/``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI

from sluice import __version__, api, ui
from sluice.artifacts import open_artifact_store
from sluice.auth import Directory
from sluice.engine import detect_capacity
from sluice.launchers import clean_environment
from sluice.server import (
    _artifacts,
    _deployments,
    _experiments,
    _lineage,
    _namespaces,
    _pipelines,
    _profiles,
    _queue,
    _recurring_runs,
    _runs,
)
from sluice.server._auth import AccessPolicy, Authentication, authorize
from sluice.server._browser import AllowedHosts, BrowserGuard
from sluice.server._config import ServerConfig
from sluice.server._context import ServiceContext, service
from sluice.server._errors import install_error_handlers
from sluice.server._executor import RunExecutor
from sluice.server._fair_queue import FairQueue
from sluice.server._limits import BodySizeLimit
from sluice.server._metrics import install_metrics
from sluice.server._package_url import PackageFetcher
from sluice.server._page_tokens import PageTokens
from sluice.server._retention import RunRetention
from sluice.server._scheduler import RecurringRunScheduler
from sluice.server._text import TextCheck
from sluice.serving import ModelServing
from sluice.store import Store

__all__ = ["OPENAPI_PATH", "create_app"]

OPENAPI_PATH = "/apis/v2beta1/openapi.json"
_log = logging.getLogger("sluice.server")


class _Housekeeping:
    """One background thread: fires due recurring runs every second, adopts orphaned runs now and then."""

    def __init__(
        self,
        config: ServerConfig,
        scheduler: RecurringRunScheduler,
        executor: RunExecutor,
        retention: RunRetention,
    ) -> None:
        self._config = config
        self._scheduler = scheduler
        self._executor = executor
        self._retention = retention
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sluice-housekeeping", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _loop(self) -> None:
        waited = 0.0
        while not self._stop.wait(self._config.scheduler_interval_s):
            try:
                self._scheduler.tick()
                waited += self._config.scheduler_interval_s
                if waited >= self._config.orphan_sweep_interval_s:
                    waited = 0.0
                    self._executor.adopt_orphans()
                self._retention.maybe_sweep()
            except Exception:
                _log.exception("housekeeping failed; trying again")


class _LazyDirectory(Directory):
    """The directory of the store the application opens when it starts (middleware is built before)."""

    def __init__(self) -> None:
        self._bound = False

    def bind(self, store: Store) -> None:
        super().__init__(store)
        self._bound = True


def create_app(config: ServerConfig, store: Store | None = None) -> FastAPI:
    """The service; runs in flight resume when the application starts. ``store``: the store, opened already
    (``sluice up`` opens it first, so that a database it cannot reach is one clear message); it is closed when
    the application stops. Without it, the store opens when the application starts."""
    serving = ModelServing()
    directory = _LazyDirectory()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store if store is not None else Store.open(config.database_url)
        opened.default_experiment()
        directory.bind(opened)
        executor = RunExecutor(
            opened,
            home=config.home,
            database_url=config.database_url,
            max_concurrent_runs=config.max_concurrent_runs,
            # Tasks reach this service at its own address (sluice.components.deploy_model, sluice.Client).
            task_env={**clean_environment(config.task_env_allow), "SLUICE_HOST": config.url},
            launcher=config.launcher,
            ray_address=config.ray_address,
            # One arbiter of this machine's resources for every run (Ray places tasks itself).
            fair_queue=(
                FairQueue(detect_capacity(config.gpus), directory.quotas if config.multi_user else None)
                if config.launcher == "local"
                else None
            ),
        )
        scheduler = RecurringRunScheduler(opened, executor, config.artifact_root)
        app.state.service = ServiceContext(
            store=opened,
            executor=executor,
            artifact_root=config.artifact_root,
            artifacts=open_artifact_store(config.artifact_root, s3_mount=config.home / "s3"),
            home=config.home,
            page_tokens=PageTokens.for_home(config.home),
            package_fetcher=PackageFetcher(config.package_hosts, config.package_fetch_timeout_s),
        )
        executor.start()
        retention = RunRetention(
            opened,
            app.state.service.artifacts,
            runs_days=config.runs_retention_days,
            archived_days=config.archived_runs_retention_days,
            interval_s=config.retention_interval_s,
        )
        housekeeping = _Housekeeping(config, scheduler, executor, retention)
        housekeeping.start()
        serving.start(opened, app.state.service.artifacts, config.home)
        try:
            yield
        finally:
            serving.stop()
            housekeeping.stop()
            executor.shutdown()
            opened.close()

    app = FastAPI(
        title="Sluice pipelines API",
        version=__version__,
        description=(
            "Kubeflow Pipelines' v2beta1 REST API, served by Sluice. Errors are KFP-style bodies "
            "(error, code, message, details). Sluice extensions: runs filtered and sorted by logged metrics "
            "(filter key and sort_by 'metric:NAME'), task logs, artifact downloads, cron time zones."
        ),
        openapi_url=OPENAPI_PATH,
        docs_url=None,  # FastAPI's docs page loads scripts from a CDN; Sluice serves nothing from outside
        redoc_url=None,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    route_dependencies: list[Any] = []
    if config.multi_user:
        route_dependencies = [Depends(authorize)]
    _deployments.install_serving_errors(app)
    # The last added runs first: foreign hosts and origins are refused before anything is read, and the
    # size cap applies before the text check reads a JSON body.
    app.add_middleware(TextCheck)
    app.add_middleware(BodySizeLimit)
    # (multi-user: Authentication is added below, so it runs inside BrowserGuard)
    # Deployments' stable URLs: KServe's V1/V2 paths under /serving/{namespace}/{name}, routed to replicas.
    # First among the routes: FastAPI tries routes in order, and each included router costs a full scan.
    app.state.serving = serving
    app.mount("/serving", serving.router)
    for module in (
        _pipelines,
        _experiments,
        _runs,
        _recurring_runs,
        _artifacts,
        _deployments,
        _lineage,
        _queue,
        _namespaces,
        _profiles,
    ):
        app.include_router(module.router, dependencies=route_dependencies)
    if config.multi_user:
        # Outermost but for the host check: nothing of the API is reached without signing in.
        app.add_middleware(
            Authentication,
            directory=directory,
            policy=AccessPolicy.build(config.trusted_user_header, config.trusted_proxies),
        )
    install_metrics(app)

    @app.get(
        "/apis/v2beta1/healthz",
        response_model=api.Healthz,
        response_model_exclude_none=True,
        tags=["HealthzService"],
        summary="Health",
    )
    def healthz(context: Annotated[ServiceContext, Depends(service)]) -> api.Healthz:
        return api.Healthz(
            multi_user=config.multi_user,
            pipeline_store="database",
            version=__version__,
            database=context.store.backend,
            artifact_root=str(context.artifact_root),
        )

    app.add_middleware(BrowserGuard, allowed_hosts=AllowedHosts.build(config.host, config.allowed_hosts))

    # Last: the UI answers every path the API does not.
    ui.mount(app)
    return app
