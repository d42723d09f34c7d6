"""Column types that behave the same on SQLite, PostgreSQL and MySQL/MariaDB.

The initial migration imports these, so changing what they render means writing a migration.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, String, Text
from sqlalchemy.types import TypeDecorator, TypeEngine

ID_LENGTH = 36
"""A UUID in its canonical text form (``8-4-4-4-12`` hex digits)."""


def new_id() -> str:
    """A fresh random id for a row."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC, with microseconds."""
    return datetime.now(UTC)


def IdString() -> String:
    """A string UUID column."""
    return String(ID_LENGTH)


# BIGINT where the table may grow large; SQLite only auto-increments a column declared INTEGER.
AutoIncrementId = BigInteger().with_variant(Integer(), "sqlite")

# The PostgreSQL and MySQL types below are chosen when a database of that kind is used, not when this module
# is imported: importing SQLAlchemy's PostgreSQL dialect (all its drivers) costs more than the rest of the
# store, and a one-shot `sluice run` on SQLite never needs it.


class _JsonDocument(TypeDecorator[Any]):
    """JSON; JSONB on PostgreSQL (compares and indexes). Python None is SQL NULL, not the JSON text 'null'."""

    impl = JSON
    cache_ok = True
    comparator_factory = JSON.Comparator

    def __init__(self) -> None:
        super().__init__(none_as_null=True)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(JSON(none_as_null=True))

    def __repr__(self) -> str:
        return "JsonDocument"


class _LargeText(TypeDecorator[str]):
    """TEXT; LONGTEXT on MySQL/MariaDB, where TEXT stops at 64 KiB (pipeline specs can be larger)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            from sqlalchemy.dialects.mysql import LONGTEXT

            return dialect.type_descriptor(LONGTEXT())
        return dialect.type_descriptor(Text())

    def __repr__(self) -> str:
        return "LargeText"


JsonDocument = _JsonDocument()
LargeText = _LargeText()


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp with microseconds on every backend.

    PostgreSQL stores ``timestamptz``; SQLite and MySQL store the UTC wall time (MySQL as ``DATETIME(6)``, since
    plain DATETIME drops the fraction). Values read back are always aware and in UTC. Naive values are refused:
    guessing their zone is how timestamps silently shift.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import TIMESTAMP

            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        if dialect.name in ("mysql", "mariadb"):
            from sqlalchemy.dialects.mysql import DATETIME

            return dialect.type_descriptor(DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamp {value!r} has no time zone; pass an aware datetime (e.g. in UTC)")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


_E = TypeVar("_E", bound=StrEnum)


class StrEnumColumn(TypeDecorator[_E], Generic[_E]):
    """A ``StrEnum`` stored as its value in a VARCHAR: portable, and new members need no ALTER TYPE.

    Writing accepts the member or its plain string value; anything else raises before reaching the database.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[_E], length: int = 32) -> None:
        super().__init__(length)
        self.enum_class = enum_class
        self.length = length

    def process_bind_param(self, value: _E | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> _E | None:
        if value is None:
            return None
        return self.enum_class(value)

    def __repr__(self) -> str:
        # Alembic renders types with repr(); keep it stable and importable-looking.
        return f"StrEnumColumn({self.enum_class.__name__}, length={self.length})"
