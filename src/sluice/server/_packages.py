"""Pipeline packages and inline specs, checked before anything is stored.

An uploaded package is the compiled YAML (or JSON) itself, or a ``.zip`` / ``.tar.gz`` holding it, as KFP
accepts. Every spec, uploaded or inline, must parse as a PipelineSpec, refer only to what it defines, and
match the ``kfp-pipeline-spec`` protobuf schema: a bad spec is a 400 that says where it is wrong, never a
stored pipeline that fails later.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from dataclasses import dataclass
from typing import Any

from sluice.ir import (
    IRError,
    PipelineDocument,
    PipelineSpec,
    PlatformSpec,
    check_references,
    parse_pipeline,
    validate_with_protobuf,
)
from sluice.server._errors import ApiError, GrpcCode, invalid_argument
from sluice.server._text import nul_path

__all__ = ["MAX_PACKAGE_BYTES", "CheckedSpec", "check_spec_document", "package_too_large", "read_package"]

MAX_PACKAGE_BYTES = 32 * 1024 * 1024
_SPEC_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class CheckedSpec:
    """A valid pipeline, as the dicts the store keeps."""

    pipeline_spec: dict[str, Any]
    platform_spec: dict[str, Any] | None
    name: str
    description: str

    @property
    def spec(self) -> PipelineSpec:
        return PipelineSpec.from_dict(self.pipeline_spec)


def _checked(document: PipelineDocument, source: str) -> CheckedSpec:
    try:
        check_references(document.spec)
        validate_with_protobuf(document)
    except IRError as error:
        raise invalid_argument(f"invalid pipeline spec ({source}): {error}") from None
    spec_dict = document.spec.to_dict()
    platform_dict = document.platform_spec.to_dict() if document.platform_spec else None
    where = nul_path(spec_dict) or nul_path(platform_dict, "platformSpec")
    if where is not None:
        raise invalid_argument(
            f"invalid pipeline spec ({source}): {where} contains a NUL character (U+0000), "
            "which no database here can store"
        )
    info = document.spec.pipeline_info
    return CheckedSpec(
        pipeline_spec=spec_dict,
        platform_spec=platform_dict,
        name=(info.name if info and info.name else "") or "",
        description=(info.description if info and info.description else "") or "",
    )


def check_spec_document(document: dict[str, Any], source: str = "pipeline_spec") -> CheckedSpec:
    """An inline spec from a JSON request: a PipelineSpec, or ``{"pipeline_spec": ..., "platform_spec": ...}``
    as kfp.Client sends a spec that has a platform spec."""
    spec_dict: Any = document
    platform_dict: Any = None
    if "pipeline_spec" in document and "root" not in document:
        spec_dict = document.get("pipeline_spec")
        platform_dict = document.get("platform_spec")
    if not isinstance(spec_dict, dict) or (platform_dict is not None and not isinstance(platform_dict, dict)):
        raise invalid_argument(f"invalid pipeline spec ({source}): expected a PipelineSpec object")
    try:
        spec = PipelineSpec.from_dict(spec_dict)
        platform = PlatformSpec.from_dict(platform_dict, "platformSpec") if platform_dict else None
    except IRError as error:
        raise invalid_argument(f"invalid pipeline spec ({source}): {error}") from None
    except (TypeError, ValueError, AttributeError) as error:
        raise invalid_argument(f"invalid pipeline spec ({source}): {error}") from None
    if spec.root is None:
        raise invalid_argument(f"invalid pipeline spec ({source}): missing required field 'root'")
    return _checked(PipelineDocument(spec, platform), source)


def package_too_large(filename: str) -> ApiError:
    return ApiError(
        GrpcCode.RESOURCE_EXHAUSTED,
        f"{filename}: the pipeline package is larger than {MAX_PACKAGE_BYTES // (1024 * 1024)} MB",
        status=413,
    )


def _pick(names: list[str], filename: str) -> str:
    candidates = [name for name in names if name.lower().endswith(_SPEC_SUFFIXES) and "/." not in f"/{name}"]
    preferred = [name for name in candidates if name.rsplit("/", 1)[-1] in ("pipeline.yaml", "pipeline.json")]
    if len(preferred) == 1:
        return preferred[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise invalid_argument(f"{filename}: the archive holds no .yaml or .json pipeline file")
    raise invalid_argument(
        f"{filename}: the archive holds several pipeline files ({', '.join(sorted(candidates)[:5])}); "
        "name the one to use pipeline.yaml"
    )


def _read_member(stream: Any, filename: str) -> bytes:
    data = stream.read(MAX_PACKAGE_BYTES + 1)
    if len(data) > MAX_PACKAGE_BYTES:
        raise package_too_large(filename)
    return bytes(data)


def _unpack(data: bytes, filename: str) -> bytes:
    """The spec file's bytes: ``data`` itself, or the pipeline file inside a zip or tar.gz archive."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [info.filename for info in archive.infolist() if not info.is_dir()]
                with archive.open(_pick(names, filename)) as member:
                    return _read_member(member, filename)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
            raise invalid_argument(f"{filename}: not a readable zip archive: {error}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
                members = {member.name: member for member in archive.getmembers() if member.isfile()}
                extracted = archive.extractfile(members[_pick(list(members), filename)])
                if extracted is None:
                    raise invalid_argument(f"{filename}: cannot read the pipeline file in the archive")
                return _read_member(extracted, filename)
        except (tarfile.TarError, OSError, EOFError) as error:
            raise invalid_argument(f"{filename}: not a readable tar.gz archive: {error}") from None
    return data


def read_package(data: bytes, filename: str) -> CheckedSpec:
    """A pipeline package's spec, checked; 400 (or 413 when too large) saying what is wrong."""
    if len(data) > MAX_PACKAGE_BYTES:
        raise package_too_large(filename)
    if not data.strip():
        raise invalid_argument(f"{filename}: the uploaded file is empty")
    content = _unpack(data, filename)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_argument(
            f"{filename}: not a pipeline package (expected YAML or JSON text, a .zip or a .tar.gz)"
        ) from None
    try:
        document = parse_pipeline(text, filename)
    except IRError as error:
        raise invalid_argument(f"invalid pipeline package: {error}") from None
    except (TypeError, ValueError, AttributeError, RecursionError) as error:
        raise invalid_argument(f"invalid pipeline package {filename}: {error}") from None
    return _checked(document, filename)
