"""Helpers for tests: where a marked line is, what a compiled pipeline looks like."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sluice import compiler, ir


def line_of(file: str, marker: str) -> int:
    """The 1-based number of the line of ``file`` that ends with the comment ``# <marker>``."""
    for number, line in enumerate(Path(file).read_text().splitlines(), start=1):
        if line.rstrip().endswith(f"# {marker}"):
            return number
    raise AssertionError(f"no line marked {marker!r} in {file}")


def compiled(pipeline: Any, **options: Any) -> dict[str, Any]:
    """The compiled pipeline as a proto-JSON dict, after checking it against the protobuf schema."""
    spec = compiler.compile_to_spec(pipeline, **options)
    ir.validate_with_protobuf(spec)
    ir.check_references(spec)
    return spec.to_dict()
