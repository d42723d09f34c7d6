"""One root for Sluice's errors (``sluice.SluiceError``), with kfp's ``ValueError`` kept where kfp raises it:
the hierarchy documented in ``sluice/_errors.py``."""

from __future__ import annotations

import pytest

import sluice
from sluice import SluiceError
from sluice.artifacts import ArtifactStoreError
from sluice.artifacts._store import UnsafePathError
from sluice.compiler._source import PipelineFileError
from sluice.dsl import PipelineDefinitionError
from sluice.engine import (
    EngineError,
    LauncherUnavailableError,
    PipelineInputError,
    RunFailedError,
    TaskError,
)
from sluice.ir import IRError
from sluice.launchers import LauncherError
from sluice.runtime._errors import ExecutorInputError
from sluice.secrets import SecretsError
from sluice.store import ConflictError, IllegalTransitionError, LeaseLostError, NotFoundError, StoreError

# (error, its parent in the hierarchy, whether it is also a ValueError as kfp's equivalent is)
HIERARCHY = [
    (PipelineDefinitionError, SluiceError, True),
    (PipelineFileError, SluiceError, True),
    (IRError, SluiceError, True),
    (ExecutorInputError, SluiceError, True),
    (EngineError, SluiceError, False),
    (PipelineInputError, EngineError, True),
    (LauncherUnavailableError, EngineError, False),
    (RunFailedError, EngineError, False),
    (TaskError, SluiceError, False),
    (LauncherError, SluiceError, False),
    (StoreError, SluiceError, False),
    (NotFoundError, StoreError, False),
    (IllegalTransitionError, StoreError, False),
    (ConflictError, StoreError, False),
    (LeaseLostError, StoreError, False),
    (ArtifactStoreError, SluiceError, True),
    (UnsafePathError, SluiceError, True),
    (SecretsError, SluiceError, True),
]


@pytest.mark.parametrize(
    ("error", "parent", "value_error"), HIERARCHY, ids=[e.__name__ for e, _, _ in HIERARCHY]
)
def test_every_error_has_the_documented_place(error: type, parent: type, value_error: bool) -> None:
    assert issubclass(error, parent)
    assert issubclass(error, ValueError) is value_error
    documented = (sluice._errors.__doc__ or "").splitlines()
    assert any(line.lstrip("│├└─ ").startswith(error.__name__) for line in documented), error.__name__


def test_the_root_is_exported_from_sluice() -> None:
    assert sluice.SluiceError is SluiceError
    assert "SluiceError" in sluice.__all__
