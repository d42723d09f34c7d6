"""A strict, typed codec between IR dataclasses and their proto-JSON dictionaries.

Every IR message is a dataclass whose fields mirror the proto's fields in snake_case; the JSON name is the
proto's lowerCamelCase ``json_name``. Absent fields are ``None`` (or an empty list/dict), so a document
round-trips exactly as it was written: an explicit ``false`` stays, an omitted field stays omitted.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, TypeVar, cast

from sluice._errors import SluiceError

__all__ = ["IRError", "Message", "decode", "encode"]


class IRError(SluiceError, ValueError):
    """A document does not fit the PipelineSpec schema; ``path`` names where (e.g. ``root.dag.tasks.train``)."""

    def __init__(self, message: str, path: str = "", source: str | None = None) -> None:
        self.problem = message
        self.path = path
        self.source = source
        where = f" at {path}" if path else ""
        origin = f"{source}: " if source else ""
        super().__init__(f"{origin}{message}{where}")

    def with_source(self, source: str) -> IRError:
        return IRError(self.problem, self.path, source)


class Message(Protocol):
    """What every IR dataclass provides to the codec."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]


MessageT = TypeVar("MessageT", bound=Message)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclasses.dataclass(frozen=True)
class _FieldCodec:
    attr: str
    json_name: str
    hint: Any
    int64: bool  # proto JSON writes 64-bit integers as strings


@functools.cache
def _field_codecs(
    cls: type,
) -> tuple[tuple[_FieldCodec, ...], dict[str, _FieldCodec], tuple[tuple[str, ...], ...]]:
    hints = typing.get_type_hints(cls)
    codecs = []
    for field in dataclasses.fields(cls):
        json_name = field.metadata.get("json", _camel(field.name))
        int64 = bool(field.metadata.get("int64", False))
        codecs.append(_FieldCodec(field.name, json_name, hints[field.name], int64))
    by_json = {codec.json_name: codec for codec in codecs}
    oneofs: tuple[tuple[str, ...], ...] = getattr(cls, "_oneofs", ())
    return tuple(codecs), by_json, oneofs


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _type_name(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _decode_value(hint: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if value is None:
            return None
        return _decode_value(args[0], value, path)
    if hint is Any:
        return value
    if origin is list:
        if not isinstance(value, list):
            raise IRError(f"expected a list, got {_type_name(value)}", path)
        (item_hint,) = typing.get_args(hint)
        return [_decode_value(item_hint, item, f"{path}[{index}]") for index, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise IRError(f"expected a mapping, got {_type_name(value)}", path)
        _, value_hint = typing.get_args(hint)
        return {
            str(key): _decode_value(value_hint, item, _join(path, str(key))) for key, item in value.items()
        }
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            allowed = ", ".join(member.value for member in hint)
            raise IRError(f"unknown value {value!r} (expected one of: {allowed})", path) from None
    if dataclasses.is_dataclass(hint):
        return decode(cast(type[Message], hint), value, path)
    if hint is bool:
        if not isinstance(value, bool):
            raise IRError(f"expected a boolean, got {_type_name(value)}", path)
        return value
    if hint is int:
        # proto JSON writes int64 as a string; accept both, keep an int.
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise IRError(f"expected an integer, got {_type_name(value)}", path)
        try:
            return int(value)
        except ValueError:
            raise IRError(f"expected an integer, got {value!r}", path) from None
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise IRError(f"expected a number, got {_type_name(value)}", path)
        return value
    if hint is str:
        if not isinstance(value, str):
            raise IRError(f"expected a string, got {_type_name(value)}", path)
        return value
    raise TypeError(f"IR codec cannot decode type {hint!r}")  # a bug in the model, not in the input


def decode(cls: type[MessageT], data: Any, path: str = "") -> MessageT:
    """Build ``cls`` from its proto-JSON dictionary, rejecting unknown fields and ill-typed values."""
    if not isinstance(data, Mapping):
        raise IRError(f"expected a mapping, got {_type_name(data)}", path)
    _, by_json, oneofs = _field_codecs(cls)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        codec = by_json.get(key)
        if codec is None:
            known = ", ".join(sorted(by_json)) or "none"
            raise IRError(f"unknown field {key!r} (known fields: {known})", path)
        kwargs[codec.attr] = _decode_value(codec.hint, value, _join(path, key))
    for group in oneofs:
        chosen = [name for name in group if kwargs.get(name) is not None]
        if len(chosen) > 1:
            names = " and ".join(_camel(name) for name in chosen)
            raise IRError(f"{names} are alternatives: set only one", path)
    return cls(**kwargs)


def _encode_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode(value)
    if isinstance(value, list):
        return [_encode_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _encode_value(item) for key, item in value.items()}
    return value


def encode(message: Message) -> dict[str, Any]:
    """The proto-JSON dictionary of ``message``; unset fields are left out."""
    codecs, _, _ = _field_codecs(type(message))
    out: dict[str, Any] = {}
    for codec in codecs:
        value = getattr(message, codec.attr)
        if value is None or (isinstance(value, list | dict) and not value and codec.hint is not Any):
            continue
        out[codec.json_name] = str(value) if codec.int64 else _encode_value(value)
    return out
