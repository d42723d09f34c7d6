"""Tags of pipelines and pipeline versions: checked, replaced as a whole, read for a page at once, and the
``tags.KEY`` filter of their lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, delete, exists
from sqlalchemy.orm import Session

from sluice.server._errors import invalid_argument
from sluice.server._listing import compare, values_by_owner
from sluice.server._text import check_name_text
from sluice.store.models import TAG_LENGTH, Pipeline, PipelineTag, PipelineVersion, PipelineVersionTag

__all__ = [
    "TAG_PREFIX",
    "check_tags",
    "pipeline_tag_condition",
    "read_pipeline_tags",
    "read_version_tags",
    "replace_pipeline_tags",
    "replace_version_tags",
    "version_tag_condition",
]

TAG_PREFIX = "tags."
MAX_TAGS = 64


def check_tags(tags: Mapping[str, str] | None, where: str) -> dict[str, str]:
    """The tags as given, or a 400 naming the bad key or value."""
    if not tags:
        return {}
    if len(tags) > MAX_TAGS:
        raise invalid_argument(f"{where}: at most {MAX_TAGS} tags, got {len(tags)}")
    checked: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not key.strip():
            raise invalid_argument(f"{where}: a tag key is empty")
        if not isinstance(value, str):
            raise invalid_argument(f"{where}.{key}: the value must be a string")
        for text, what in ((key, "key"), (value, "value")):
            if len(text) > TAG_LENGTH:
                raise invalid_argument(
                    f"{where}.{key[:40]}: the {what} is longer than {TAG_LENGTH} characters"
                )
            try:
                if text:
                    check_name_text(text, f"{where}.{key[:40]} {what}")
            except ValueError as error:
                raise invalid_argument(str(error)) from None
        checked[key] = value
    return checked


def replace_pipeline_tags(session: Session, pipeline_id: str, tags: Mapping[str, str]) -> None:
    session.execute(delete(PipelineTag).where(PipelineTag.pipeline_id == pipeline_id))
    session.add_all(PipelineTag(pipeline_id=pipeline_id, key=key, value=value) for key, value in tags.items())
    session.flush()


def replace_version_tags(session: Session, version_id: str, tags: Mapping[str, str]) -> None:
    session.execute(delete(PipelineVersionTag).where(PipelineVersionTag.pipeline_version_id == version_id))
    session.add_all(
        PipelineVersionTag(pipeline_version_id=version_id, key=key, value=value)
        for key, value in tags.items()
    )
    session.flush()


def read_pipeline_tags(session: Session, pipeline_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    return values_by_owner(session, PipelineTag.pipeline_id, PipelineTag.key, PipelineTag.value, pipeline_ids)


def read_version_tags(session: Session, version_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    return values_by_owner(
        session,
        PipelineVersionTag.pipeline_version_id,
        PipelineVersionTag.key,
        PipelineVersionTag.value,
        version_ids,
    )


def _value_test(column: Any, key: str, operation: str, value: Any) -> ColumnElement[bool]:
    where = f"filter on {TAG_PREFIX}{key}"
    if operation == "IN":
        if not (isinstance(value, tuple) and value[0] == "list"):
            raise invalid_argument(f"{where}: IN takes string_values")
        return column.in_([str(item) for item in value[1]])  # type: ignore[no-any-return]
    if isinstance(value, tuple):
        if value[0] == "list":
            raise invalid_argument(f"{where}: only IN takes a list of values")
        value = str(value[1])
    if operation == "IS_SUBSTRING":
        return column.contains(str(value), autoescape=True)  # type: ignore[no-any-return]
    if operation == "NOT_EQUALS":
        return column != str(value)  # type: ignore[no-any-return]
    return compare(column, operation, str(value))


def pipeline_tag_condition(
    key: str, operation: str, value: Any
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Pipelines with tag ``key`` whose value satisfies the predicate."""
    test = _value_test(PipelineTag.value, key, operation, value)
    matching = exists().where(PipelineTag.pipeline_id == Pipeline.id, PipelineTag.key == key, test)
    return matching, matching


def version_tag_condition(
    key: str, operation: str, value: Any
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Pipeline versions with tag ``key`` whose value satisfies the predicate."""
    test = _value_test(PipelineVersionTag.value, key, operation, value)
    matching = exists().where(
        PipelineVersionTag.pipeline_version_id == PipelineVersion.id, PipelineVersionTag.key == key, test
    )
    return matching, matching
