"""Reading and writing PipelineSpec documents (YAML or JSON; an optional second document is the platform spec)."""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

from sluice.ir._codec import IRError
from sluice.ir._model import PipelineSpec, PlatformSpec

__all__ = ["PipelineDocument", "dump_pipeline", "parse_pipeline", "read_pipeline", "write_pipeline"]


@dataclasses.dataclass
class PipelineDocument:
    """A compiled pipeline (or component) file: the PipelineSpec and, when present, its PlatformSpec."""

    spec: PipelineSpec
    platform_spec: PlatformSpec | None = None

    def to_dicts(self) -> list[dict[str, Any]]:
        docs = [self.spec.to_dict()]
        if self.platform_spec is not None:
            docs.append(self.platform_spec.to_dict())
        return docs


def _yaml_error(error: Exception, source: str) -> IRError:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return IRError(f"not valid YAML: {problem}", where, source)


def parse_pipeline(text: str, source: str = "<string>") -> PipelineDocument:
    """Parse a PipelineSpec YAML/JSON text; errors name ``source`` and the offending field."""
    import yaml  # here, not at the top: a pipeline compiled in memory and run at once never reads YAML

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        documents = [doc for doc in yaml.load_all(text, Loader=loader) if doc is not None]
    except yaml.YAMLError as error:
        raise _yaml_error(error, source) from None
    if not documents:
        raise IRError("the document is empty: expected a PipelineSpec", "", source)
    if len(documents) > 2:
        raise IRError(
            f"expected a PipelineSpec and at most one PlatformSpec, found {len(documents)} documents",
            "",
            source,
        )
    try:
        spec = PipelineSpec.from_dict(documents[0])
        platform = PlatformSpec.from_dict(documents[1], "platformSpec") if len(documents) == 2 else None
    except IRError as error:
        raise error.with_source(source) from None
    if spec.root is None:
        raise IRError("missing required field 'root'", "", source)
    return PipelineDocument(spec, platform)


def read_pipeline(path: str | os.PathLike[str]) -> PipelineDocument:
    """Read a PipelineSpec file; errors name the file and the offending field."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise IRError(f"cannot read the pipeline file: {error.strerror}", "", str(file)) from None
    except UnicodeDecodeError:
        raise IRError("the pipeline file is not UTF-8 text", "", str(file)) from None
    return parse_pipeline(text, str(file))


@functools.cache
def _dumper() -> type[yaml.SafeDumper]:
    """A dumper that writes multi-line strings (function sources, shell scripts) as readable literal blocks."""
    import yaml

    def represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    dumper: type[yaml.SafeDumper] = type("_Dumper", (yaml.SafeDumper,), {})
    dumper.add_representer(str, represent_str)
    return dumper


def _describe_type(spec: Any) -> str:
    parameter_type = getattr(spec, "parameter_type", None)
    if parameter_type is not None:
        return str(parameter_type.value)
    artifact_type = getattr(spec, "artifact_type", None)
    if artifact_type is not None and artifact_type.schema_title:
        return str(artifact_type.schema_title)
    return "?"


def _header(spec: PipelineSpec) -> str:
    lines = ["# PIPELINE DEFINITION"]
    if spec.pipeline_info and spec.pipeline_info.name:
        lines.append(f"# Name: {spec.pipeline_info.name}")
    if spec.pipeline_info and spec.pipeline_info.description:
        first_line = spec.pipeline_info.description.strip().splitlines()[0]
        lines.append(f"# Description: {first_line}")
    root = spec.root
    for title, definitions in (
        ("Inputs", root.input_definitions if root else None),
        ("Outputs", root.output_definitions if root else None),
    ):
        if definitions is None:
            continue
        entries = {**definitions.parameters, **definitions.artifacts}
        if not entries:
            continue
        lines.append(f"# {title}:")
        for name in sorted(entries):
            entry = entries[name]
            default = getattr(entry, "default_value", None)
            suffix = f" [Default: {default!r}]" if default is not None else ""
            lines.append(f"#    {name}: {_describe_type(entry)}{suffix}")
    return "\n".join(lines) + "\n"


def dump_pipeline(document: PipelineDocument | PipelineSpec) -> str:
    """The YAML text of a pipeline, keys sorted as kfp writes them, with a short descriptive header."""
    import yaml

    if isinstance(document, PipelineSpec):
        document = PipelineDocument(document)
    parts = [
        yaml.dump(doc, Dumper=_dumper(), sort_keys=True, allow_unicode=True, width=100)
        for doc in document.to_dicts()
    ]
    return _header(document.spec) + "---\n".join(parts)


def write_pipeline(document: PipelineDocument | PipelineSpec, path: str | os.PathLike[str]) -> None:
    """Write the YAML atomically: a reader never sees a half-written file."""
    file = Path(path)
    text = dump_pipeline(document)
    temporary = file.with_name(f".{file.name}.tmp-{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, file)
