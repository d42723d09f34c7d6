"""Recurring runs (KFP's RecurringRunService): cron or periodic triggers, a window, max concurrency,
catch-up, enable and disable. ``_scheduler`` fires them.

Sluice's extension: ``trigger.cron_schedule.time_zone`` (an IANA name; UTC when absent), and
``next_fire_time`` in responses.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice import api
from sluice.server._auth import visible_namespaces
from sluice.server._context import ServiceContext, service
from sluice.server._convert import MessageRoute, recurring_run_message
from sluice.server._errors import invalid_argument, not_found
from sluice.server._listing import FieldSpec, ListFields, ListQuery, fetch_page, parse_list_request
from sluice.server._parameters import complete_parameters
from sluice.server._run_creation import resolve_experiment, resolve_pipeline_root, resolve_requested_pipeline
from sluice.server._schedules import schedule_from_store, schedule_from_trigger
from sluice.server._schemas import RecurringRunIn
from sluice.store import RecurringRunMode, utcnow
from sluice.store.models import Experiment, PipelineVersion, RecurringRun

__all__ = ["router"]

router = APIRouter(prefix="/apis/v2beta1", tags=["RecurringRunService"], route_class=MessageRoute)
Context = Annotated[ServiceContext, Depends(service)]

MAX_CONCURRENCY_LIMIT = 10

RECURRING_RUN_FIELDS = ListFields(
    {
        "recurring_run_id": FieldSpec(RecurringRun.id),
        "id": FieldSpec(RecurringRun.id),
        "display_name": FieldSpec(RecurringRun.display_name),
        "name": FieldSpec(RecurringRun.display_name),
        "description": FieldSpec(RecurringRun.description),
        "created_at": FieldSpec(RecurringRun.created_at, "time"),
        "updated_at": FieldSpec(RecurringRun.updated_at, "time"),
        "experiment_id": FieldSpec(RecurringRun.experiment_id),
        "pipeline_version_id": FieldSpec(RecurringRun.pipeline_version_id),
        "status": FieldSpec(
            RecurringRun.mode,
            "enum",
            RecurringRunMode,
            enum_aliases={
                "ENABLED": "ENABLED",
                "DISABLED": "DISABLED",
                "ENABLE": "ENABLED",
                "DISABLE": "DISABLED",
            },
        ),
        "mode": FieldSpec(
            RecurringRun.mode,
            "enum",
            RecurringRunMode,
            enum_aliases={
                "ENABLE": "ENABLED",
                "DISABLE": "DISABLED",
                "ENABLED": "ENABLED",
                "DISABLED": "DISABLED",
            },
        ),
    }
)


def _pipeline_id(session: Session, recurring: RecurringRun) -> str | None:
    if recurring.latest_of_pipeline_id is not None:
        return recurring.latest_of_pipeline_id
    if recurring.pipeline_version_id is None:
        return None
    version = session.get(PipelineVersion, recurring.pipeline_version_id)
    return version.pipeline_id if version is not None else None


def _get(session: Session, recurring_run_id: str, *, lock: bool = False) -> RecurringRun:
    recurring = session.get(RecurringRun, recurring_run_id, with_for_update=lock)
    if recurring is None:
        raise not_found(f"recurring run {recurring_run_id!r} does not exist")
    return recurring


@router.post("/recurringruns", response_model=api.RecurringRun, summary="Create a recurring run")
def create_recurring_run(body: RecurringRunIn, context: Context) -> api.RecurringRun:
    trigger = body.trigger
    if trigger is None or (trigger.cron_schedule is None and trigger.periodic_schedule is None):
        raise invalid_argument("the recurring run needs a trigger: cron_schedule or periodic_schedule")
    if trigger.cron_schedule is not None and trigger.periodic_schedule is not None:
        raise invalid_argument("give one trigger: cron_schedule or periodic_schedule, not both")
    cron = trigger.cron_schedule
    periodic = trigger.periodic_schedule
    window = cron or periodic
    assert window is not None
    if cron is not None and not (cron.cron or "").strip():
        raise invalid_argument("trigger.cron_schedule.cron is required")
    schedule = schedule_from_trigger(
        cron=cron.cron if cron else None,
        time_zone=cron.time_zone if cron else None,
        interval_seconds=periodic.interval_second if periodic else None,
        start_at=window.start_time,
        end_at=window.end_time,
    )
    max_concurrency = body.max_concurrency if body.max_concurrency is not None else 1
    if not 1 <= max_concurrency <= MAX_CONCURRENCY_LIMIT:
        raise invalid_argument(
            f"max_concurrency must be between 1 and {MAX_CONCURRENCY_LIMIT}, got {max_concurrency}"
        )
    mode = (body.mode or "ENABLE").upper()
    if mode not in ("ENABLE", "DISABLE", "MODE_UNSPECIFIED"):
        raise invalid_argument(f"mode {body.mode!r} is not ENABLE or DISABLE")
    enabled = mode != "DISABLE"
    display_name = (body.display_name or "").strip()
    if not display_name:
        raise invalid_argument("the recurring run needs a display_name")
    config = body.runtime_config
    pipeline_root = resolve_pipeline_root(config.pipeline_root if config else None, context.artifact_root)
    with context.store.session() as session:
        pipeline = resolve_requested_pipeline(session, body)
        reference = body.pipeline_version_reference
        # A pipeline without a version: each fire runs the pipeline's latest version then (KFP's semantics).
        follows_latest = bool(
            reference is not None
            and reference.pipeline_id
            and not reference.pipeline_version_id
            and not body.pipeline_version_id
        )
        experiment = resolve_experiment(context.store, session, body.experiment_id)
        parameters = complete_parameters(pipeline.spec, config.parameters if config else None)
        now = utcnow()
        recurring = RecurringRun(
            display_name=display_name,
            description=body.description or "",
            experiment_id=experiment.id,
            pipeline_version_id=None if follows_latest else pipeline.pipeline_version_id,
            latest_of_pipeline_id=pipeline.pipeline_id if follows_latest else None,
            pipeline_spec=pipeline.pipeline_spec if pipeline.pipeline_version_id is None else None,
            platform_spec=pipeline.platform_spec if pipeline.pipeline_version_id is None else None,
            runtime_config={"parameters": parameters, "pipelineRoot": pipeline_root},
            trigger=schedule.to_trigger(),
            start_at=schedule.start_at,
            end_at=schedule.end_at,
            max_concurrency=max_concurrency,
            no_catchup=bool(body.no_catchup),
            mode=RecurringRunMode.ENABLED if enabled else RecurringRunMode.DISABLED,
            service_account=body.service_account or "",
            created_at=now,
            updated_at=now,
            next_fire_at=schedule.first_after(now),
        )
        session.add(recurring)
        session.flush()
        return recurring_run_message(recurring, pipeline_id=pipeline.pipeline_id)


@router.get("/recurringruns", response_model=api.ListRecurringRunsResponse, summary="List recurring runs")
def list_recurring_runs(
    *,
    context: Context,
    http_request: Request,
    query: Annotated[ListQuery, Query()],
    namespace: str | None = None,
    experiment_id: str | None = None,
) -> api.ListRecurringRunsResponse:
    request = parse_list_request(query, RECURRING_RUN_FIELDS, context.page_tokens)
    scope = [RecurringRun.experiment_id == experiment_id] if experiment_id else []
    visible = visible_namespaces(http_request)
    if visible is not None:
        scope.append(
            RecurringRun.experiment_id.in_(select(Experiment.id).where(Experiment.namespace.in_(visible)))
        )
    with context.store.read_session() as session:
        page = fetch_page(session, RecurringRun, request, RECURRING_RUN_FIELDS, scope=scope)
        items = [recurring_run_message(row, pipeline_id=_pipeline_id(session, row)) for row in page.rows]
    # "recurringRuns": KFP's proto names this one field in camel case, and kfp.Client reads it so.
    return api.ListRecurringRunsResponse(
        recurringRuns=items, total_size=page.total_size, next_page_token=page.next_page_token
    )


@router.get(
    "/recurringruns/{recurring_run_id}", response_model=api.RecurringRun, summary="Get a recurring run"
)
def get_recurring_run(recurring_run_id: str, context: Context) -> api.RecurringRun:
    with context.store.read_session() as session:
        recurring = _get(session, recurring_run_id)
        return recurring_run_message(recurring, pipeline_id=_pipeline_id(session, recurring))


@router.delete("/recurringruns/{recurring_run_id}", summary="Delete a recurring run (its runs stay)")
def delete_recurring_run(
    *, recurring_run_id: str, context: Context, propagation_policy: str | None = None
) -> JSONResponse:
    with context.store.session() as session:
        session.delete(_get(session, recurring_run_id, lock=True))
    return JSONResponse({})


@router.post("/recurringruns/{recurring_run_id}:enable", summary="Enable a recurring run")
def enable_recurring_run(recurring_run_id: str, context: Context) -> JSONResponse:
    with context.store.session() as session:
        recurring = _get(session, recurring_run_id, lock=True)
        if recurring.mode is not RecurringRunMode.ENABLED:
            schedule = schedule_from_store(recurring.trigger, recurring.start_at, recurring.end_at)
            recurring.mode = RecurringRunMode.ENABLED
            # Catch-up resumes after the last slot fired; no_catchup skips ahead when it fires.
            if recurring.last_fired_at is not None:
                recurring.next_fire_at = schedule.next_after(recurring.last_fired_at)
            else:
                recurring.next_fire_at = schedule.first_after(recurring.created_at)
    return JSONResponse({})


@router.post("/recurringruns/{recurring_run_id}:disable", summary="Disable a recurring run")
def disable_recurring_run(recurring_run_id: str, context: Context) -> JSONResponse:
    with context.store.session() as session:
        recurring = _get(session, recurring_run_id, lock=True)
        recurring.mode = RecurringRunMode.DISABLED
    return JSONResponse({})
