"""Experiments (KFP's ExperimentService). "Default" always exists; archiving an experiment archives its runs
and disables its recurring runs, as KFP does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from sluice import api
from sluice.server._auth import caller, visible_namespaces
from sluice.server._context import ServiceContext, service
from sluice.server._convert import MessageRoute, experiment_message
from sluice.server._errors import already_exists, failed_precondition, invalid_argument, not_found
from sluice.server._listing import FieldSpec, ListFields, ListQuery, fetch_page, parse_list_request
from sluice.server._schemas import ExperimentIn
from sluice.store import StorageState
from sluice.store.models import Experiment, RecurringRun, Run

__all__ = ["router"]

router = APIRouter(prefix="/apis/v2beta1", tags=["ExperimentService"], route_class=MessageRoute)
Context = Annotated[ServiceContext, Depends(service)]

EXPERIMENT_FIELDS = ListFields(
    {
        "experiment_id": FieldSpec(Experiment.id),
        "id": FieldSpec(Experiment.id),
        "display_name": FieldSpec(Experiment.display_name),
        "name": FieldSpec(Experiment.name),
        "description": FieldSpec(Experiment.description),
        "created_at": FieldSpec(Experiment.created_at, "time"),
        "last_run_created_at": FieldSpec(Experiment.last_run_created_at, "time"),
        "namespace": FieldSpec(Experiment.namespace),
        "storage_state": FieldSpec(Experiment.storage_state, "enum", StorageState),
    }
)


def _get(session: Session, experiment_id: str, *, lock: bool = False) -> Experiment:
    experiment = session.get(Experiment, experiment_id, with_for_update=lock)
    if experiment is None:
        raise not_found(f"experiment {experiment_id!r} does not exist")
    return experiment


@router.post("/experiments", response_model=api.Experiment, summary="Create an experiment")
def create_experiment(body: ExperimentIn, context: Context, request: Request) -> api.Experiment:
    name = (body.display_name or "").strip()
    if not name:
        raise invalid_argument("the experiment needs a display_name")
    # Single-user: one namespace, "". Multi-user: the namespace asked for (authorize checked the role there).
    namespace = (body.namespace or "") if caller(request) is not None else ""
    with context.store.session() as session:
        taken = session.scalar(
            select(Experiment.id).where(Experiment.namespace == namespace, Experiment.name == name)
        )
        if taken is not None:
            raise already_exists(f"an experiment named {name!r} already exists ({taken})")
        experiment = Experiment(
            name=name, display_name=name, description=body.description or "", namespace=namespace
        )
        session.add(experiment)
        session.flush()
        return experiment_message(experiment)


@router.get("/experiments", response_model=api.ListExperimentsResponse, summary="List experiments")
def list_experiments(
    *,
    context: Context,
    http_request: Request,
    query: Annotated[ListQuery, Query()],
    namespace: str | None = None,
) -> api.ListExperimentsResponse:
    request = parse_list_request(query, EXPERIMENT_FIELDS, context.page_tokens)
    with context.store.session() as session:
        # "Default" is there from the first look on.
        context.store.default_experiment(session=session)
    with context.store.read_session() as session:
        visible = visible_namespaces(http_request)
        scope: list[ColumnElement[bool]] = [Experiment.namespace.in_(visible)] if visible is not None else []
        page = fetch_page(session, Experiment, request, EXPERIMENT_FIELDS, scope=scope)
        return api.ListExperimentsResponse(
            experiments=[experiment_message(row) for row in page.rows],
            total_size=page.total_size,
            next_page_token=page.next_page_token,
        )


@router.get("/experiments/{experiment_id}", response_model=api.Experiment, summary="Get an experiment")
def get_experiment(experiment_id: str, context: Context) -> api.Experiment:
    with context.store.read_session() as session:
        return experiment_message(_get(session, experiment_id))


@router.delete("/experiments/{experiment_id}", summary="Delete an experiment that has no runs")
def delete_experiment(experiment_id: str, context: Context) -> JSONResponse:
    with context.store.session() as session:
        experiment = _get(session, experiment_id, lock=True)
        has_runs = session.scalar(select(exists().where(Run.experiment_id == experiment_id)))
        has_recurring = session.scalar(select(exists().where(RecurringRun.experiment_id == experiment_id)))
        if has_runs or has_recurring:
            raise failed_precondition(
                f"experiment {experiment_id!r} still has runs or recurring runs: delete them first "
                "(or archive the experiment)"
            )
        session.delete(experiment)
    return JSONResponse({})


@router.post("/experiments/{experiment_id}:archive", summary="Archive an experiment and its runs")
def archive_experiment(experiment_id: str, context: Context) -> JSONResponse:
    with context.store.session() as session:
        _get(session, experiment_id, lock=True)
        context.store.archive_experiment(experiment_id, session=session)
    return JSONResponse({})


@router.post(
    "/experiments/{experiment_id}:unarchive", summary="Unarchive an experiment (its runs stay archived)"
)
def unarchive_experiment(experiment_id: str, context: Context) -> JSONResponse:
    with context.store.session() as session:
        experiment = _get(session, experiment_id, lock=True)
        experiment.storage_state = StorageState.AVAILABLE
    return JSONResponse({})
