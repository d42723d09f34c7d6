"""Errors raised while a pipeline is defined or compiled, and where in the user's code they come from."""

from __future__ import annotations

import os
import sys
from types import FrameType
from typing import NamedTuple

from sluice._errors import SluiceError

__all__ = [
    "PipelineDefinitionError",
    "SourceLocation",
    "caller_location",
    "caller_namespace",
    "location_of_function",
]

# Frames in these directories are Sluice's own; the first frame outside them is the user's call site.
_SLUICE_DIRECTORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class SourceLocation(NamedTuple):
    """A place in the user's source code: a file and a line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class PipelineDefinitionError(SluiceError, ValueError):
    """A pipeline or component is defined wrongly; raised when it is defined or compiled.

    ``task`` names the task (or component) at fault when there is one, ``location`` the line of the
    user's code that created it. Both are also part of the message.
    """

    def __init__(
        self,
        message: str,
        *,
        task: str | None = None,
        location: SourceLocation | None = None,
    ) -> None:
        self.problem = message
        self.task = task
        self.location = location
        prefix = f"{location}: " if location is not None else ""
        super().__init__(prefix + message)


def _is_sluice_frame(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_SLUICE_DIRECTORY)


def _user_frame() -> FrameType | None:
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _is_sluice_frame(filename) and not filename.startswith("<frozen"):
            return frame
        frame = frame.f_back
    return None


def caller_location() -> SourceLocation | None:
    """The innermost frame on the stack that is not Sluice's own: where the user called into Sluice."""
    frame = _user_frame()
    return SourceLocation(frame.f_code.co_filename, frame.f_lineno) if frame is not None else None


def caller_namespace() -> dict[str, object]:
    """The local names where the user called into Sluice: string annotations may refer to them."""
    frame = _user_frame()
    return dict(frame.f_locals) if frame is not None else {}


def location_of_function(function: object) -> SourceLocation | None:
    """Where ``function`` is defined (its ``def`` line), when Python knows."""
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    return SourceLocation(code.co_filename, code.co_firstlineno)
