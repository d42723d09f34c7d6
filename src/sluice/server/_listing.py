"""List requests as KFP takes them: a JSON ``filter`` (filter.proto's predicates), ``sort_by`` ("created_at
desc"), ``page_size`` and an opaque ``page_token``, turned into SQL for one resource's columns.

Each resource names the keys clients may filter and sort on (``ListFields``); anything else is a 400 that
lists the allowed keys. Page tokens carry the offset of the next page, signed (``_page_tokens``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sluice.server._errors import invalid_argument
from sluice.server._page_tokens import PageTokens
from sluice.server._text import nul_path

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "FieldSpec",
    "ListFields",
    "ListQuery",
    "ListRequest",
    "Page",
    "Predicate",
    "compare",
    "fetch_page",
    "parse_filter",
    "parse_list_request",
    "values_by_owner",
]

DEFAULT_PAGE_SIZE = 20
_Row = TypeVar("_Row")
MAX_PAGE_SIZE = 1000

FieldKind = Literal["string", "time", "enum", "bool"]

# filter.proto's Operation enum: names and numbers both arrive (protobuf JSON accepts either).
_OPERATIONS = {
    "EQUALS": 1,
    "NOT_EQUALS": 2,
    "GREATER_THAN": 3,
    "GREATER_THAN_EQUALS": 5,
    "LESS_THAN": 6,
    "LESS_THAN_EQUALS": 7,
    "IN": 8,
    "IS_SUBSTRING": 9,
}
_OPERATION_NAMES = {number: name for name, number in _OPERATIONS.items()}


@dataclass(frozen=True)
class FieldSpec:
    """A key clients may filter or sort on, and how its values are typed."""

    column: InstrumentedAttribute[Any]
    kind: FieldKind = "string"
    enum: type[StrEnum] | None = None
    # The API's words for enum values that the store spells differently (recurring run status).
    enum_aliases: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ListFields:
    """The filterable and sortable keys of one resource, and its default order."""

    fields: Mapping[str, FieldSpec]
    default_sort: str = "created_at"
    # Keys like "metric:accuracy": a prefix and a function building the condition (Sluice's extension), as a
    # pair: the form that finds a page quickly, and the form that counts quickly (the same rows).
    prefixed: Mapping[str, Callable[[str, str, Any], tuple[ColumnElement[bool], ColumnElement[bool]]]] = (
        field(default_factory=dict)
    )


@dataclass(frozen=True)
class Predicate:
    key: str
    operation: str
    value: Any


@dataclass
class ListRequest:
    conditions: list[ColumnElement[bool]]
    count_conditions: list[ColumnElement[bool]]
    sort_key: str
    descending: bool
    offset: int
    limit: int
    tokens: PageTokens


def _value_of(raw: Mapping[str, Any]) -> Any:
    """The one value a predicate carries, whichever of filter.proto's oneof fields (snake or camel case)."""
    for name in ("string_value", "stringValue"):
        if name in raw:
            return raw[name]
    for name in ("int_value", "intValue", "long_value", "longValue", "double_value", "doubleValue"):
        if name in raw:
            return ("number", raw[name])
    for name in ("timestamp_value", "timestampValue"):
        if name in raw:
            return ("timestamp", raw[name])
    for name in ("string_values", "stringValues", "int_values", "intValues", "long_values", "longValues"):
        if name in raw:
            values = raw[name]
            items = values.get("values") if isinstance(values, Mapping) else None
            if not isinstance(items, list):
                raise invalid_argument(f"filter: {name} must be an object {{'values': [...]}}")
            return ("list", items)
    for name in ("bool_value", "boolValue"):
        if name in raw:
            return ("bool", raw[name])
    return None


def parse_filter(text: str | None) -> list[Predicate]:
    """The predicates of a JSON-serialized ``Filter``; 400 naming the problem when it is not one."""
    if not text:
        return []
    try:
        document = json.loads(text)
    except ValueError as error:
        raise invalid_argument(f"filter is not valid JSON ({error}): {text[:200]!r}") from None
    if not isinstance(document, dict):
        raise invalid_argument("filter must be a JSON object like {'predicates': [...]}")
    where = nul_path(document, "filter")
    if where is not None:
        raise invalid_argument(f"{where} contains a NUL character (U+0000), which no stored value holds")
    predicates = document.get("predicates") or []
    if not isinstance(predicates, list):
        raise invalid_argument("filter.predicates must be a list")
    parsed = []
    for index, raw in enumerate(predicates):
        if not isinstance(raw, dict):
            raise invalid_argument(f"filter.predicates[{index}] must be an object")
        key = raw.get("key")
        if not isinstance(key, str) or not key:
            raise invalid_argument(f"filter.predicates[{index}].key must be a non-empty string")
        operation = raw.get("operation", raw.get("op"))
        if isinstance(operation, int) and not isinstance(operation, bool):
            operation = _OPERATION_NAMES.get(operation)
        if operation not in _OPERATIONS:
            allowed = ", ".join(_OPERATIONS)
            raise invalid_argument(
                f"filter.predicates[{index}].operation {raw.get('operation')!r} is not one of {allowed}"
            )
        value = _value_of(raw)
        if value is None:
            raise invalid_argument(
                f"filter.predicates[{index}] ({key}) has no value: give string_value, int_value, long_value, "
                "timestamp_value or, for IN, string_values/int_values/long_values"
            )
        parsed.append(Predicate(key, operation, value))
    return parsed


def _parse_time(value: Any, where: str) -> datetime:
    kind, raw = value if isinstance(value, tuple) else ("string", value)
    if kind == "number":
        try:
            return datetime.fromtimestamp(int(raw), UTC)
        except (ValueError, OverflowError, OSError, TypeError):
            raise invalid_argument(f"{where}: {raw!r} is not a time in seconds since the epoch") from None
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise invalid_argument(f"{where}: {raw!r} is not an RFC 3339 time") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise invalid_argument(f"{where}: expected a timestamp_value (RFC 3339) or seconds since the epoch")


def _typed(spec: FieldSpec, value: Any, where: str) -> Any:
    if spec.kind == "time":
        return _parse_time(value, where)
    kind, raw = value if isinstance(value, tuple) else ("string", value)
    if spec.kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise invalid_argument(f"{where}: expected true or false, got {raw!r}")
    if kind in ("number", "bool") or not isinstance(raw, str):
        raw = str(raw)
    if spec.enum is not None:
        name = spec.enum_aliases.get(raw, raw)
        allowed = [member.value for member in spec.enum]
        if name not in allowed:
            shown = ", ".join([*spec.enum_aliases] or allowed)
            raise invalid_argument(f"{where}: {raw!r} is not one of {shown}")
        return spec.enum(name)
    return raw


def _condition(spec: FieldSpec, predicate: Predicate, where: str) -> ColumnElement[bool]:
    column = spec.column
    operation = predicate.operation
    if operation == "IN":
        if not (isinstance(predicate.value, tuple) and predicate.value[0] == "list"):
            raise invalid_argument(f"{where}: IN takes string_values/int_values/long_values")
        values = [_typed(spec, item, where) for item in predicate.value[1]]
        return column.in_(values)
    if isinstance(predicate.value, tuple) and predicate.value[0] == "list":
        raise invalid_argument(f"{where}: only IN takes a list of values")
    value = _typed(spec, predicate.value, where)
    if operation == "IS_SUBSTRING":
        if spec.kind != "string" or spec.enum is not None:
            raise invalid_argument(f"{where}: IS_SUBSTRING applies to text keys only")
        return column.contains(str(value), autoescape=True)
    return compare(column, operation, value)


def compare(column: Any, operation: str, value: Any) -> ColumnElement[bool]:
    """``column <operation> value`` for the comparison operations."""
    if operation == "EQUALS":
        return column == value  # type: ignore[no-any-return]
    if operation == "NOT_EQUALS":
        # SQL's NULL <> x is unknown; KFP's NOT_EQUALS keeps rows with no value.
        return or_(column != value, column.is_(None))
    if operation == "GREATER_THAN":
        return column > value  # type: ignore[no-any-return]
    if operation == "GREATER_THAN_EQUALS":
        return column >= value  # type: ignore[no-any-return]
    if operation == "LESS_THAN":
        return column < value  # type: ignore[no-any-return]
    if operation == "LESS_THAN_EQUALS":
        return column <= value  # type: ignore[no-any-return]
    raise invalid_argument(f"operation {operation} does not compare values")


def _sort(sort_by: str | None, fields: ListFields) -> tuple[str, bool]:
    if not sort_by or not sort_by.strip():
        return fields.default_sort, False  # KFP's default: oldest first
    words = sort_by.split()
    if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
        raise invalid_argument(f"sort_by {sort_by!r}: expected 'FIELD' or 'FIELD asc|desc'")
    key = words[0]
    descending = len(words) == 2 and words[1].lower() == "desc"
    if key not in fields.fields and not any(key.startswith(prefix) for prefix in fields.prefixed):
        allowed = ", ".join([*fields.fields, *(f"{prefix}NAME" for prefix in fields.prefixed)])
        raise invalid_argument(f"sort_by: cannot sort by {key!r}; sortable keys: {allowed}")
    return key, descending


class ListQuery(BaseModel):
    """The query parameters every v2beta1 list takes, as KFP names them: a list route takes
    ``query: Annotated[ListQuery, Query()]`` (FastAPI reads each field as a query parameter)."""

    model_config = ConfigDict(frozen=True)

    page_token: str | None = None
    page_size: int | None = None
    sort_by: str | None = Field(
        None, description="'FIELD [asc|desc]'; a run list also sorts by a logged metric: 'metric:NAME desc'."
    )
    filter: str | None = Field(
        None,
        description="A JSON Filter (KFP's filter.proto); on runs the key 'metric:NAME' compares a metric.",
    )


def parse_list_request(query: ListQuery, fields: ListFields, tokens: PageTokens) -> ListRequest:
    """Validate a list request's parameters and turn its filter into SQL conditions."""
    page_size = query.page_size
    if page_size is None or page_size == 0:
        page_size = DEFAULT_PAGE_SIZE
    if page_size < 0:
        raise invalid_argument(f"page_size must not be negative, got {page_size}")
    page_size = min(page_size, MAX_PAGE_SIZE)
    offset = tokens.offset(query.page_token) if query.page_token else 0
    conditions: list[ColumnElement[bool]] = []
    count_conditions: list[ColumnElement[bool]] = []
    for index, predicate in enumerate(parse_filter(query.filter)):
        where = f"filter.predicates[{index}] ({predicate.key})"
        spec = fields.fields.get(predicate.key)
        if spec is not None:
            condition = _condition(spec, predicate, where)
            conditions.append(condition)
            count_conditions.append(condition)
            continue
        for prefix, build in fields.prefixed.items():
            if predicate.key.startswith(prefix):
                name = predicate.key[len(prefix) :]
                if not name:
                    raise invalid_argument(f"{where}: name the metric after {prefix!r}")
                page_form, count_form = build(name, predicate.operation, predicate.value)
                conditions.append(page_form)
                count_conditions.append(count_form)
                break
        else:
            allowed = ", ".join([*fields.fields, *(f"{prefix}NAME" for prefix in fields.prefixed)])
            raise invalid_argument(f"{where}: cannot filter on {predicate.key!r}; filterable keys: {allowed}")
    sort_key, descending = _sort(query.sort_by, fields)
    return ListRequest(conditions, count_conditions, sort_key, descending, offset, page_size, tokens)


@dataclass
class Page(Generic[_Row]):
    rows: list[_Row]
    total_size: int
    next_page_token: str


def fetch_page(
    session: Session,
    model: type[_Row],
    request: ListRequest,
    fields: ListFields,
    *,
    scope: list[ColumnElement[bool]] | None = None,
    order_column: Any = None,
    joined: Any = None,
    joined_conditions: list[ColumnElement[bool]] | None = None,
    count_joined_conditions: list[ColumnElement[bool]] | None = None,
    count_column: Any = None,
    count_query: Any = None,
    options: list[Any] | None = None,
) -> Page[_Row]:
    """One page of ``model`` rows matching the request (and ``scope``), in a stable order, with the total.

    ``order_column`` overrides the sort column (a metric's value), from ``joined`` (a table and its ON
    clause) restricted by ``joined_conditions`` (``count_joined_conditions`` when counting);
    ``count_column`` is what the total counts (distinct); ``count_query`` replaces the count altogether.
    """
    conditions = [*(scope or []), *(joined_conditions or []), *request.conditions]
    id_column = model.id  # type: ignore[attr-defined]
    column = order_column if order_column is not None else fields.fields[request.sort_key].column
    query = select(model)
    if options:
        query = query.options(*options)
    if joined is not None:
        query = query.join(joined[0], joined[1])
    if conditions:
        query = query.where(*conditions)
    # The id breaks ties, so pages never overlap or skip rows with equal sort values.
    if request.descending:
        query = query.order_by(column.desc(), id_column.desc())
    else:
        query = query.order_by(column.asc(), id_column.asc())
    rows = list(session.scalars(query.offset(request.offset).limit(request.limit + 1)))
    more = len(rows) > request.limit
    rows = rows[: request.limit]
    if not more and (rows or request.offset == 0):
        # The last page: the total follows from it, no need to count.
        total = request.offset + len(rows)
    elif count_query is not None:
        total = int(session.scalar(count_query) or 0)
    else:
        counted = func.count(func.distinct(count_column)) if count_column is not None else func.count()
        count = select(counted).select_from(model)
        if joined is not None:
            count = count.join(joined[0], joined[1])
        joined_for_count = joined_conditions if count_joined_conditions is None else count_joined_conditions
        count_conditions = [*(scope or []), *(joined_for_count or []), *request.count_conditions]
        if count_conditions:
            count = count.where(*count_conditions)
        total = int(session.scalar(count) or 0)
    token = request.tokens.issue(request.offset + request.limit) if more else ""
    return Page(rows, total, token)


def values_by_owner(
    session: Session,
    owner: InstrumentedAttribute[str],
    key: InstrumentedAttribute[str],
    value: InstrumentedAttribute[Any],
    owner_ids: Iterable[str],
    *,
    order_by: InstrumentedAttribute[Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """``{owner id: {key: value}}`` of a key/value table (tags, metrics) for one page's rows, in one query."""
    ids = list(owner_ids)
    found: dict[str, dict[str, Any]] = defaultdict(dict)
    if ids:
        rows = session.execute(
            select(owner, key, value)
            .where(owner.in_(ids))
            .order_by(order_by if order_by is not None else key)
        )
        for owner_id, name, item in rows:
            found[owner_id][name] = item
    return found
