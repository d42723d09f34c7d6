"""Lineage and metadata (``/apis/sluice/v1``): artifacts and executions listed and filtered, one of each with
its events, and the lineage graph around either, across runs (``sluice.lineage`` does the reading)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request

from sluice.lineage import (
    MAX_DEPTH,
    ArtifactFilter,
    ExecutionFilter,
    LineageQueryError,
    artifact_detail,
    execution_detail,
    lineage_graph,
    list_artifacts,
    list_executions,
)
from sluice.lineage import schemas as api
from sluice.lineage._queries import Position
from sluice.server._auth import caller
from sluice.server._context import ServiceContext, service
from sluice.server._errors import invalid_argument, not_found
from sluice.server._listing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

__all__ = ["router"]

router = APIRouter(prefix="/apis/sluice/v1", tags=["LineageService"])
Context = Annotated[ServiceContext, Depends(service)]
PageSize = Annotated[int, Query(ge=0, le=MAX_PAGE_SIZE, description="0: the default (20).")]
PageToken = Annotated[str | None, Query(max_length=512, description="next_page_token of the page before.")]
Text = Annotated[str | None, Query(max_length=1024)]
Row = TypeVar("Row")


def _visible(request: Request) -> tuple[str, ...] | None:
    """The namespaces whose runs the caller may see (None: all; single-user mode, or a platform admin)."""
    identity = caller(request)
    if identity is None or identity.is_admin:
        return None
    return tuple(sorted(identity.roles))


def _after(context: ServiceContext, token: str | None) -> Position | None:
    if not token:
        return None
    position = context.page_tokens.open(token)
    created, last_id = position.get("created"), position.get("id")
    if not isinstance(created, str) or not isinstance(last_id, str):
        raise invalid_argument("page_token is not a token of this list (ask for the first page again)")
    try:
        return datetime.fromisoformat(created), last_id
    except ValueError:
        raise invalid_argument(
            "page_token is not a token of this list (ask for the first page again)"
        ) from None


def _token(context: ServiceContext, position: Position | None) -> str:
    if position is None:
        return ""
    return context.page_tokens.sign({"created": position[0].isoformat(), "id": position[1]})


def _page(
    context: ServiceContext,
    lister: Callable[..., tuple[list[Row], Position | None]],
    where: object,
    page_size: int,
    page_token: str | None,
) -> tuple[list[Row], str]:
    """One keyset page of a lineage list, and the signed token of the next (empty: the last page)."""
    after = _after(context, page_token)
    try:
        with context.store.read_session() as session:
            rows, position = lister(session, where, page_size=page_size or DEFAULT_PAGE_SIZE, after=after)
    except LineageQueryError as error:
        raise invalid_argument(str(error)) from None
    return rows, _token(context, position)


def _properties(values: list[str]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for index, text in enumerate(values):
        key, colon, value = text.partition(":")
        if not colon or not key:
            raise invalid_argument(f"property[{index}] {text[:80]!r} is not KEY:VALUE")
        pairs.append((key, value))
    return tuple(pairs)


@router.get("/artifacts", response_model=api.ArtifactList, summary="List artifacts, newest first")
def get_artifacts(
    *,
    request: Request,
    context: Context,
    type: Annotated[str | None, Query(max_length=256, description="Schema title, e.g. system.Model.")] = None,
    name: Annotated[str | None, Query(max_length=256, description="A part of the artifact's name.")] = None,
    uri_prefix: Text = None,
    run_id: Annotated[str | None, Query(max_length=64, description="Produced by this run.")] = None,
    pipeline_id: Annotated[str | None, Query(max_length=64, description="Produced by a run of it.")] = None,
    namespace: Annotated[str | None, Query(max_length=256)] = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    property: Annotated[
        list[str], Query(max_length=512, description="KEY:VALUE, a metadata value (repeatable).")
    ] = [],  # noqa: B006  (FastAPI copies defaults)
    page_size: PageSize = 0,
    page_token: PageToken = None,
) -> api.ArtifactList:
    where = ArtifactFilter(
        type=type,
        name=name,
        uri_prefix=uri_prefix,
        run_id=run_id,
        pipeline_id=pipeline_id,
        namespace=namespace,
        created_after=created_after,
        created_before=created_before,
        properties=_properties(property),
        visible=_visible(request),
    )
    rows, token = _page(context, list_artifacts, where, page_size, page_token)
    return api.ArtifactList(artifacts=rows, next_page_token=token)


@router.get("/artifacts/{artifact_id}", response_model=api.ArtifactDetail, summary="Get an artifact")
def get_artifact(artifact_id: str, request: Request, context: Context) -> api.ArtifactDetail:
    with context.store.read_session() as session:
        detail = artifact_detail(session, artifact_id, _visible(request))
    if detail is None:
        raise not_found(f"artifact {artifact_id!r} not found")
    return detail


@router.get("/executions", response_model=api.ExecutionList, summary="List executions, newest first")
def get_executions(
    *,
    request: Request,
    context: Context,
    state: Annotated[str | None, Query(max_length=32, description="COMPLETE, CACHED, FAILED, ...")] = None,
    component: Annotated[str | None, Query(max_length=256, description="e.g. comp-train or train.")] = None,
    name: Annotated[str | None, Query(max_length=256, description="A part of the task's name.")] = None,
    run_id: Annotated[str | None, Query(max_length=64)] = None,
    namespace: Annotated[str | None, Query(max_length=256)] = None,
    page_size: PageSize = 0,
    page_token: PageToken = None,
) -> api.ExecutionList:
    where = ExecutionFilter(
        state=state,
        component=component,
        name=name,
        run_id=run_id,
        namespace=namespace,
        visible=_visible(request),
    )
    rows, token = _page(context, list_executions, where, page_size, page_token)
    return api.ExecutionList(executions=rows, next_page_token=token)


@router.get("/executions/{execution_id}", response_model=api.ExecutionDetail, summary="Get an execution")
def get_execution(execution_id: str, request: Request, context: Context) -> api.ExecutionDetail:
    with context.store.read_session() as session:
        detail = execution_detail(session, execution_id, _visible(request))
    if detail is None:
        raise not_found(f"execution {execution_id!r} not found")
    return detail


@router.get(
    "/lineage",
    response_model=api.LineageGraph,
    summary="The lineage graph around an artifact or an execution",
    description="Artifacts, executions and the INPUT/OUTPUT edges between them, `depth` hops upstream "
    "(what it came from), downstream (what used it since) or both, across runs.",
)
def get_lineage(
    *,
    request: Request,
    context: Context,
    artifact: Annotated[str | None, Query(max_length=64)] = None,
    execution: Annotated[str | None, Query(max_length=64)] = None,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 5,
    direction: Literal["up", "down", "both"] = "both",
) -> api.LineageGraph:
    try:
        with context.store.read_session() as session:
            graph = lineage_graph(
                session,
                artifact_id=artifact,
                execution_id=execution,
                depth=depth,
                direction=direction,
                visible=_visible(request),
            )
    except LineageQueryError as error:
        raise invalid_argument(str(error)) from None
    if graph is None:
        raise not_found(f"{'artifact' if artifact else 'execution'} {artifact or execution!r} not found")
    return graph
