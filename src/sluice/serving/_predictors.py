"""Which predictor serves a model: the built-in scikit-learn runtime, or a Python class in a file.

Written ``sklearn`` or ``FILE.py:CLASS`` (``:CLASS`` may be left out when the file has one predictor class).
Without a predictor, the model decides: a folder holding ``predictor.py`` is served by it, a ``.joblib`` /
``.pkl`` / ``.pickle`` file (or a folder with one) by scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sluice.serving._errors import InvalidRequest

__all__ = ["MODEL_FILE_SUFFIXES", "PREDICTOR_FILE", "PredictorSpec", "parse_predictor"]

PREDICTOR_FILE = "predictor.py"
MODEL_FILE_SUFFIXES = (".joblib", ".pkl", ".pickle")
RUNTIMES = ("auto", "sklearn", "python")


@dataclass(frozen=True)
class PredictorSpec:
    """``runtime``: auto, sklearn or python. A python predictor's ``file`` is an artifact URI (a file given
    with the request) or a path inside the model folder; ``class_name`` None means "the one class in it"."""

    runtime: str = "auto"
    file: str | None = None
    class_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"runtime": self.runtime}
        if self.file is not None:
            document["file"] = self.file
        if self.class_name is not None:
            document["class_name"] = self.class_name
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> PredictorSpec:
        return cls(
            runtime=str(document.get("runtime") or "auto"),
            file=document.get("file"),
            class_name=document.get("class_name"),
        )

    def describe(self) -> str:
        if self.runtime == "python":
            name = PurePosixPath(self.file or PREDICTOR_FILE).name
            return f"{name}:{self.class_name}" if self.class_name else name
        return self.runtime


def parse_predictor(text: str | None) -> PredictorSpec:
    """``sklearn``, ``FILE.py[:CLASS]`` or nothing (auto); InvalidRequest naming the problem otherwise."""
    if text is None or not text.strip() or text.strip() == "auto":
        return PredictorSpec()
    text = text.strip()
    if text == "sklearn":
        return PredictorSpec(runtime="sklearn")
    file, _, class_name = text.partition(":")
    if not file.endswith(".py"):
        raise InvalidRequest(
            f"predictor {text!r}: expected 'sklearn' or FILE.py:CLASS (a Python file and the class in it)"
        )
    if class_name and not class_name.isidentifier():
        raise InvalidRequest(f"predictor {text!r}: {class_name!r} is not a Python class name")
    return PredictorSpec(runtime="python", file=file, class_name=class_name or None)


def check_relative_file(file: str) -> str:
    """A predictor file named inside the model folder: a relative path that stays inside it."""
    path = PurePosixPath(file)
    if path.is_absolute() or ".." in path.parts or "\\" in file or "\0" in file:
        raise InvalidRequest(
            f"predictor file {file!r} must be a path inside the model folder (relative, without '..'), "
            "or be sent with the request"
        )
    return file
