"""The API's request bodies, field for field as KFP's ``backend/api/v2beta1`` (snake_case, as its REST
gateway reads them). They are lenient about fields they do not know (clients send output-only fields back)
and check names and lengths; responses are ``sluice.api``'s models, built by ``_convert``.

Sluice extensions are marked as such: they are extra fields that KFP clients ignore.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from sluice.server._text import check_name_text

__all__ = [
    "CreatePipelineAndVersionRequest",
    "CronScheduleIn",
    "ExperimentIn",
    "PeriodicScheduleIn",
    "PipelineIn",
    "PipelineVersionIn",
    "PipelineVersionReferenceIn",
    "RecurringRunIn",
    "RunIn",
    "RuntimeConfigIn",
    "TriggerIn",
    "UrlIn",
]

_LENIENT = ConfigDict(extra="ignore")
_NAME = Field(default=None, max_length=255)
# Names and ids are one line of printable text (sluice.server._text).
_Name = Annotated[str | None, AfterValidator(check_name_text)]


class _Lenient(BaseModel):
    model_config = _LENIENT


class UrlIn(_Lenient):
    pipeline_url: str | None = Field(default=None, max_length=2048)


# ----------------------------------------------------------------------------------------------- pipelines


class PipelineIn(_Lenient):
    display_name: _Name = _NAME
    name: _Name = _NAME
    description: str | None = None
    namespace: _Name = _NAME
    tags: dict[str, str] | None = None


class PipelineVersionIn(_Lenient):
    pipeline_id: str | None = None
    display_name: _Name = _NAME
    name: _Name = _NAME
    description: str | None = None
    package_url: UrlIn | None = None
    code_source_url: str | None = Field(default=None, max_length=2048)
    pipeline_spec: dict[str, Any] | None = None
    tags: dict[str, str] | None = None


class CreatePipelineAndVersionRequest(_Lenient):
    pipeline: PipelineIn | None = None
    pipeline_version: PipelineVersionIn | None = None


# ----------------------------------------------------------------------------------------------- experiments


class ExperimentIn(_Lenient):
    display_name: _Name = _NAME
    description: str | None = None
    namespace: _Name = _NAME


# ----------------------------------------------------------------------------------------------- runs


class RuntimeConfigIn(_Lenient):
    parameters: dict[str, Any] | None = None
    pipeline_root: str | None = Field(default=None, max_length=2048)


class PipelineVersionReferenceIn(_Lenient):
    pipeline_id: str | None = None
    pipeline_version_id: str | None = None


class RunIn(_Lenient):
    experiment_id: str | None = None
    display_name: _Name = _NAME
    description: str | None = None
    pipeline_version_id: str | None = Field(default=None, description="Deprecated in KFP: use the reference.")
    pipeline_spec: dict[str, Any] | None = None
    pipeline_version_reference: PipelineVersionReferenceIn | None = None
    runtime_config: RuntimeConfigIn | None = None
    service_account: _Name = _NAME
    profile: str | None = Field(
        default=None,
        max_length=63,
        description="Sluice: the execution profile its tasks run under (default: its namespace's).",
    )


# ----------------------------------------------------------------------------------------------- recurring runs


class CronScheduleIn(_Lenient):
    start_time: datetime | None = None
    end_time: datetime | None = None
    cron: str | None = Field(default=None, max_length=255)
    time_zone: str | None = Field(
        default=None, max_length=64, description="Sluice: the IANA time zone of the cron expression (UTC)."
    )


class PeriodicScheduleIn(_Lenient):
    start_time: datetime | None = None
    end_time: datetime | None = None
    # int64 in KFP, so a JSON string on the wire; numbers are accepted too.
    interval_second: int | None = None


class TriggerIn(_Lenient):
    cron_schedule: CronScheduleIn | None = None
    periodic_schedule: PeriodicScheduleIn | None = None


class RecurringRunIn(_Lenient):
    display_name: _Name = _NAME
    description: str | None = None
    pipeline_version_id: str | None = None
    pipeline_spec: dict[str, Any] | None = None
    pipeline_version_reference: PipelineVersionReferenceIn | None = None
    runtime_config: RuntimeConfigIn | None = None
    service_account: _Name = _NAME
    max_concurrency: int | None = None
    trigger: TriggerIn | None = None
    mode: str | None = Field(default=None, description="ENABLE or DISABLE")
    no_catchup: bool | None = None
    namespace: _Name = _NAME
    experiment_id: str | None = None
