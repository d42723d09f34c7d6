"""Pipelines and pipeline versions (KFP's PipelineService and PipelineUploadService)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sluice import api
from sluice.server._auth import caller, visible_namespaces
from sluice.server._context import ServiceContext, service
from sluice.server._convert import MessageRoute, pipeline_message, pipeline_version_message
from sluice.server._errors import already_exists, failed_precondition, invalid_argument, not_found
from sluice.server._listing import FieldSpec, ListFields, ListQuery, fetch_page, parse_list_request
from sluice.server._package_url import PackageFetcher
from sluice.server._packages import (
    MAX_PACKAGE_BYTES,
    CheckedSpec,
    check_spec_document,
    package_too_large,
    read_package,
)
from sluice.server._pipeline_tags import (
    TAG_PREFIX,
    check_tags,
    pipeline_tag_condition,
    read_pipeline_tags,
    read_version_tags,
    replace_pipeline_tags,
    replace_version_tags,
    version_tag_condition,
)
from sluice.server._schemas import CreatePipelineAndVersionRequest, PipelineIn, PipelineVersionIn
from sluice.server._text import check_name_text
from sluice.store.models import Pipeline, PipelineVersion

__all__ = ["router"]

router = APIRouter(prefix="/apis/v2beta1", tags=["PipelineService"], route_class=MessageRoute)
Context = Annotated[ServiceContext, Depends(service)]

PIPELINE_FIELDS = ListFields(
    {
        "pipeline_id": FieldSpec(Pipeline.id),
        "id": FieldSpec(Pipeline.id),
        "name": FieldSpec(Pipeline.name),
        "display_name": FieldSpec(Pipeline.display_name),
        "description": FieldSpec(Pipeline.description),
        "created_at": FieldSpec(Pipeline.created_at, "time"),
        "namespace": FieldSpec(Pipeline.namespace),
    },
    prefixed={TAG_PREFIX: pipeline_tag_condition},
)
VERSION_FIELDS = ListFields(
    {
        "pipeline_version_id": FieldSpec(PipelineVersion.id),
        "id": FieldSpec(PipelineVersion.id),
        "pipeline_id": FieldSpec(PipelineVersion.pipeline_id),
        "name": FieldSpec(PipelineVersion.name),
        "display_name": FieldSpec(PipelineVersion.display_name),
        "description": FieldSpec(PipelineVersion.description),
        "created_at": FieldSpec(PipelineVersion.created_at, "time"),
    },
    prefixed={TAG_PREFIX: version_tag_condition},
)

_NAME_LIMIT = 255


def _name(*candidates: str | None, what: str) -> str:
    for candidate in candidates:
        if candidate and candidate.strip():
            if len(candidate) > _NAME_LIMIT:
                raise invalid_argument(f"{what} name is longer than {_NAME_LIMIT} characters")
            try:
                check_name_text(candidate, f"{what} name {candidate[:40]!r}")
            except ValueError as error:
                raise invalid_argument(str(error)) from None
            return candidate.strip()
    raise invalid_argument(f"{what} needs a name (name or display_name)")


def _pipeline_out(session: Session, pipeline: Pipeline) -> api.Pipeline:
    return pipeline_message(pipeline, read_pipeline_tags(session, [pipeline.id]).get(pipeline.id))


def _version_out(session: Session, version: PipelineVersion) -> api.PipelineVersion:
    return pipeline_version_message(version, tags=read_version_tags(session, [version.id]).get(version.id))


def _check_sort(sort_by: str | None) -> None:
    if sort_by and sort_by.split()[0].startswith(TAG_PREFIX):
        raise invalid_argument(f"sort_by {sort_by!r}: lists filter on tags but do not sort by them")


def _get_pipeline(session: Session, pipeline_id: str) -> Pipeline:
    pipeline = session.get(Pipeline, pipeline_id)
    if pipeline is None:
        raise not_found(f"pipeline {pipeline_id!r} does not exist")
    return pipeline


def _get_version(session: Session, pipeline_id: str, version_id: str) -> PipelineVersion:
    version = session.get(PipelineVersion, version_id)
    if version is None or version.pipeline_id != pipeline_id:
        raise not_found(f"pipeline version {version_id!r} of pipeline {pipeline_id!r} does not exist")
    return version


def _namespace_of_new(request: Request) -> str:
    """Where a new pipeline goes: shared ("") in single-user mode and by default; in multi-user mode the
    namespace asked for (``authorize`` checked the caller may write there)."""
    return str(getattr(request.state, "namespace", "") or "") if caller(request) is not None else ""


def _new_pipeline(
    session: Session,
    name: str,
    display_name: str | None,
    description: str | None,
    *,
    tags: dict[str, str] | None = None,
    namespace: str = "",
) -> Pipeline:
    taken = session.scalar(select(Pipeline.id).where(Pipeline.namespace == namespace, Pipeline.name == name))
    if taken is not None:
        raise already_exists(f"a pipeline named {name!r} already exists ({taken})")
    pipeline = Pipeline(
        name=name, display_name=display_name or name, description=description or "", namespace=namespace
    )
    session.add(pipeline)
    session.flush()
    if tags:
        replace_pipeline_tags(session, pipeline.id, tags)
    return pipeline


def _new_version(
    session: Session,
    pipeline: Pipeline,
    checked: CheckedSpec,
    *,
    name: str,
    display_name: str | None,
    description: str | None,
    code_source_url: str | None = None,
    package_url: str | None = None,
    tags: dict[str, str] | None = None,
) -> PipelineVersion:
    taken = session.scalar(
        select(PipelineVersion.id).where(
            PipelineVersion.pipeline_id == pipeline.id, PipelineVersion.name == name
        )
    )
    if taken is not None:
        raise already_exists(f"pipeline {pipeline.name!r} already has a version named {name!r} ({taken})")
    version = PipelineVersion(
        pipeline_id=pipeline.id,
        name=name,
        display_name=display_name or name,
        description=description if description is not None else checked.description,
        pipeline_spec=checked.pipeline_spec,
        platform_spec=checked.platform_spec,
        code_source_url=code_source_url,
        package_url=package_url,
    )
    session.add(version)
    session.flush()
    if tags:
        replace_version_tags(session, version.id, tags)
    return version


def _package_url(body: PipelineVersionIn) -> str | None:
    return body.package_url.pipeline_url if body.package_url is not None else None


def _version_spec(body: PipelineVersionIn, fetcher: PackageFetcher) -> CheckedSpec:
    if body.pipeline_spec is not None:
        return check_spec_document(body.pipeline_spec, "pipeline_version.pipeline_spec")
    url = _package_url(body)
    if url:
        data, filename = fetcher.fetch(url)
        return read_package(data, filename)
    raise invalid_argument(
        "the pipeline version needs a pipeline_spec or a package_url (or upload the package)"
    )


# ------------------------------------------------------------------------------------------------ pipelines


@router.post("/pipelines", response_model=api.Pipeline, summary="Create a pipeline (without versions)")
def create_pipeline(body: PipelineIn, context: Context, request: Request) -> api.Pipeline:
    name = _name(body.name, body.display_name, what="the pipeline")
    with context.store.session() as session:
        tags = check_tags(body.tags, "pipeline.tags")
        pipeline = _new_pipeline(
            session,
            name,
            body.display_name,
            body.description,
            tags=tags,
            namespace=_namespace_of_new(request),
        )
        return _pipeline_out(session, pipeline)


@router.post(
    "/pipelines/create", response_model=api.Pipeline, summary="Create a pipeline and its first version"
)
def create_pipeline_and_version(
    body: CreatePipelineAndVersionRequest, context: Context, request: Request
) -> api.Pipeline:
    if body.pipeline is None or body.pipeline_version is None:
        raise invalid_argument("give both pipeline and pipeline_version")
    name = _name(body.pipeline.name, body.pipeline.display_name, what="the pipeline")
    version_body = body.pipeline_version
    pipeline_tags = check_tags(body.pipeline.tags, "pipeline.tags")
    version_tags = check_tags(version_body.tags, "pipeline_version.tags")
    checked = _version_spec(version_body, context.package_fetcher)
    with context.store.session() as session:
        pipeline = _new_pipeline(
            session,
            name,
            body.pipeline.display_name,
            body.pipeline.description,
            tags=pipeline_tags,
            namespace=_namespace_of_new(request),
        )
        _new_version(
            session,
            pipeline,
            checked,
            name=_name(version_body.name, version_body.display_name, name, what="the pipeline version"),
            display_name=version_body.display_name,
            description=version_body.description,
            code_source_url=version_body.code_source_url,
            package_url=_package_url(version_body),
            tags=version_tags,
        )
        return _pipeline_out(session, pipeline)


@router.get("/pipelines", response_model=api.ListPipelinesResponse, summary="List pipelines")
def list_pipelines(
    *,
    context: Context,
    http_request: Request,
    namespace: str | None = None,
    query: Annotated[ListQuery, Query()],
) -> api.ListPipelinesResponse:
    _check_sort(query.sort_by)
    request = parse_list_request(query, PIPELINE_FIELDS, context.page_tokens)
    scope = [Pipeline.namespace == (namespace or "")] if namespace else []
    visible = visible_namespaces(http_request)
    if visible is not None:
        scope.append(Pipeline.namespace.in_(visible))
    with context.store.read_session() as session:
        page = fetch_page(session, Pipeline, request, PIPELINE_FIELDS, scope=scope)
        tags = read_pipeline_tags(session, [row.id for row in page.rows])
        return api.ListPipelinesResponse(
            pipelines=[pipeline_message(row, tags.get(row.id)) for row in page.rows],
            total_size=page.total_size,
            next_page_token=page.next_page_token,
        )


@router.get("/pipelines/names/{name}", response_model=api.Pipeline, summary="Get a pipeline by its name")
def get_pipeline_by_name(name: str, context: Context, namespace: str | None = None) -> api.Pipeline:
    with context.store.read_session() as session:
        pipeline = session.scalars(
            select(Pipeline).where(Pipeline.namespace == (namespace or ""), Pipeline.name == name)
        ).first()
        if pipeline is None:
            raise not_found(f"no pipeline is named {name!r}")
        return _pipeline_out(session, pipeline)


@router.get("/pipelines/{pipeline_id}", response_model=api.Pipeline, summary="Get a pipeline")
def get_pipeline(pipeline_id: str, context: Context) -> api.Pipeline:
    with context.store.read_session() as session:
        return _pipeline_out(session, _get_pipeline(session, pipeline_id))


@router.patch(
    "/pipelines/{pipeline_id}",
    response_model=api.Pipeline,
    summary="Update a pipeline's display name, description and tags (tags given replace them all)",
)
def update_pipeline(pipeline_id: str, body: PipelineIn, context: Context) -> api.Pipeline:
    given = body.model_fields_set
    tags = check_tags(body.tags, "pipeline.tags") if "tags" in given else None
    with context.store.session() as session:
        pipeline = _get_pipeline(session, pipeline_id)
        if "name" in given and body.name and body.name != pipeline.name:
            raise invalid_argument(
                "pipeline.name cannot change (it identifies the pipeline); set display_name"
            )
        if "namespace" in given and body.namespace and body.namespace != pipeline.namespace:
            raise invalid_argument("pipeline.namespace cannot change")
        if "display_name" in given:
            pipeline.display_name = _name(body.display_name, pipeline.name, what="the pipeline")
        if "description" in given:
            pipeline.description = body.description or ""
        if tags is not None:
            replace_pipeline_tags(session, pipeline.id, tags)
        session.flush()
        return _pipeline_out(session, pipeline)


@router.delete("/pipelines/{pipeline_id}", summary="Delete a pipeline (with cascade=true, its versions too)")
def delete_pipeline(pipeline_id: str, context: Context, cascade: bool = False) -> JSONResponse:
    with context.store.session() as session:
        pipeline = _get_pipeline(session, pipeline_id)
        versions = session.scalar(
            select(func.count())
            .select_from(PipelineVersion)
            .where(PipelineVersion.pipeline_id == pipeline_id)
        )
        if versions and not cascade:
            raise failed_precondition(
                f"pipeline {pipeline_id!r} has {versions} version(s): delete them first, or pass cascade=true"
            )
        session.delete(pipeline)
    return JSONResponse({})


# ------------------------------------------------------------------------------------------------ versions


@router.post(
    "/pipelines/{pipeline_id}/versions",
    response_model=api.PipelineVersion,
    summary="Create a pipeline version",
)
def create_pipeline_version(
    pipeline_id: str, body: PipelineVersionIn, context: Context
) -> api.PipelineVersion:
    if body.pipeline_id and body.pipeline_id != pipeline_id:
        raise invalid_argument(f"pipeline_version.pipeline_id {body.pipeline_id!r} differs from the path's")
    name = _name(body.name, body.display_name, what="the pipeline version")
    tags = check_tags(body.tags, "pipeline_version.tags")
    checked = _version_spec(body, context.package_fetcher)
    with context.store.session() as session:
        pipeline = _get_pipeline(session, pipeline_id)
        version = _new_version(
            session,
            pipeline,
            checked,
            name=name,
            display_name=body.display_name,
            description=body.description,
            code_source_url=body.code_source_url,
            package_url=_package_url(body),
            tags=tags,
        )
        return _version_out(session, version)


@router.get(
    "/pipelines/{pipeline_id}/versions",
    response_model=api.ListPipelineVersionsResponse,
    summary="List a pipeline's versions",
)
def list_pipeline_versions(
    *,
    pipeline_id: str,
    context: Context,
    query: Annotated[ListQuery, Query()],
) -> api.ListPipelineVersionsResponse:
    _check_sort(query.sort_by)
    request = parse_list_request(query, VERSION_FIELDS, context.page_tokens)
    with context.store.read_session() as session:
        _get_pipeline(session, pipeline_id)
        page = fetch_page(
            session,
            PipelineVersion,
            request,
            VERSION_FIELDS,
            scope=[PipelineVersion.pipeline_id == pipeline_id],
        )
        tags = read_version_tags(session, [row.id for row in page.rows])
        return api.ListPipelineVersionsResponse(
            pipeline_versions=[pipeline_version_message(row, tags=tags.get(row.id)) for row in page.rows],
            total_size=page.total_size,
            next_page_token=page.next_page_token,
        )


@router.get(
    "/pipelines/{pipeline_id}/versions/{pipeline_version_id}",
    response_model=api.PipelineVersion,
    summary="Get a pipeline version",
)
def get_pipeline_version(pipeline_id: str, pipeline_version_id: str, context: Context) -> api.PipelineVersion:
    with context.store.read_session() as session:
        return _version_out(session, _get_version(session, pipeline_id, pipeline_version_id))


@router.patch(
    "/pipelines/{pipeline_id}/versions/{pipeline_version_id}",
    response_model=api.PipelineVersion,
    summary="Update a pipeline version's display name, description and tags (tags given replace them all)",
)
def update_pipeline_version(
    pipeline_id: str, pipeline_version_id: str, body: PipelineVersionIn, context: Context
) -> api.PipelineVersion:
    given = body.model_fields_set
    if body.pipeline_spec is not None or (body.package_url is not None and body.package_url.pipeline_url):
        raise invalid_argument("a pipeline version's spec cannot change; create a new version")
    tags = check_tags(body.tags, "pipeline_version.tags") if "tags" in given else None
    with context.store.session() as session:
        version = _get_version(session, pipeline_id, pipeline_version_id)
        if "name" in given and body.name and body.name != version.name:
            raise invalid_argument("pipeline_version.name cannot change; set display_name")
        if "display_name" in given:
            version.display_name = _name(body.display_name, version.name, what="the pipeline version")
        if "description" in given:
            version.description = body.description or ""
        if tags is not None:
            replace_version_tags(session, version.id, tags)
        session.flush()
        return _version_out(session, version)


@router.delete("/pipelines/{pipeline_id}/versions/{pipeline_version_id}", summary="Delete a pipeline version")
def delete_pipeline_version(pipeline_id: str, pipeline_version_id: str, context: Context) -> JSONResponse:
    with context.store.session() as session:
        version = _get_version(session, pipeline_id, pipeline_version_id)
        # Runs keep their own copy of the spec; deleting the version only unlinks them (SET NULL).
        session.delete(version)
    return JSONResponse({})


# ------------------------------------------------------------------------------------------------ uploads


def _upload_bytes(request: Request, uploadfile: UploadFile) -> tuple[bytes, str]:
    filename = PurePath(uploadfile.filename or "pipeline.yaml").name or "pipeline.yaml"
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_PACKAGE_BYTES + 1024 * 1024:
        raise package_too_large(filename)
    data = uploadfile.file.read(MAX_PACKAGE_BYTES + 1)
    if len(data) > MAX_PACKAGE_BYTES:
        raise package_too_large(filename)
    return data, filename


def _stem(filename: str) -> str:
    for suffix in (".tar.gz", ".tgz", ".zip", ".yaml", ".yml", ".json"):
        if filename.lower().endswith(suffix):
            return filename[: -len(suffix)] or filename
    return filename


UploadFileField = Annotated[UploadFile, File(description="The pipeline package: YAML/JSON, .zip or .tar.gz")]


@router.post(
    "/pipelines/upload",
    response_model=api.Pipeline,
    tags=["PipelineUploadService"],
    summary="Upload a pipeline package: a new pipeline with its first version",
)
def upload_pipeline(
    *,
    request: Request,
    context: Context,
    uploadfile: UploadFileField,
    name: Annotated[str | None, Query(max_length=_NAME_LIMIT)] = None,
    display_name: Annotated[str | None, Query(max_length=_NAME_LIMIT)] = None,
    description: str | None = None,
    namespace: str | None = None,
) -> api.Pipeline:
    data, filename = _upload_bytes(request, uploadfile)
    checked = read_package(data, filename)
    pipeline_name = _name(name, display_name, _stem(filename), what="the pipeline")
    with context.store.session() as session:
        pipeline = _new_pipeline(
            session, pipeline_name, display_name, description, namespace=_namespace_of_new(request)
        )
        _new_version(
            session, pipeline, checked, name=pipeline_name, display_name=display_name, description=description
        )
        return _pipeline_out(session, pipeline)


@router.post(
    "/pipelines/upload_version",
    response_model=api.PipelineVersion,
    tags=["PipelineUploadService"],
    summary="Upload a pipeline package as a new version of a pipeline",
)
def upload_pipeline_version(
    *,
    request: Request,
    context: Context,
    uploadfile: UploadFileField,
    name: Annotated[str | None, Query(max_length=_NAME_LIMIT)] = None,
    display_name: Annotated[str | None, Query(max_length=_NAME_LIMIT)] = None,
    pipelineid: str | None = None,
    description: str | None = None,
) -> api.PipelineVersion:
    if not pipelineid:
        raise invalid_argument("pipelineid (the pipeline to add the version to) is required")
    data, filename = _upload_bytes(request, uploadfile)
    checked = read_package(data, filename)
    version_name = _name(name, display_name, _stem(filename), what="the pipeline version")
    with context.store.session() as session:
        pipeline = _get_pipeline(session, pipelineid)
        version = _new_version(
            session, pipeline, checked, name=version_name, display_name=display_name, description=description
        )
        return _version_out(session, version)
