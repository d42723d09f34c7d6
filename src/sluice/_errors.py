"""The root of every error Sluice raises on purpose. Standard library only: ``sluice.dsl`` and
``sluice.runtime`` (task processes) subclass it.

Catch ``sluice.SluiceError`` for "anything Sluice refused or could not do"; catch a subclass for one kind
of problem. Where kfp raises ``ValueError`` or ``RuntimeError`` for the same problem, the Sluice error is
one too (a second base), so code written for kfp keeps catching it. Each message names the problem and
where it is (file and line, task, field path, run id).

The hierarchy (each class lives in its package, and is exported there)::

    SluiceError
    ├── PipelineDefinitionError (ValueError)  sluice.dsl: a pipeline or component is defined wrongly; names
    │                                         the task and the user's file:line
    ├── PipelineFileError (ValueError)        sluice.compiler: a pipeline .py file cannot be imported, or
    │                                         does not say which pipeline it means; names file:line
    ├── IRError (ValueError)                  sluice.ir: a PipelineSpec document is malformed or inconsistent;
    │                                         names the field path and the file
    ├── ExecutorInputError (ValueError)       sluice.runtime: a task process got an unusable executor input
    ├── EngineError                           sluice.engine: a run cannot start or go on (unknown run, run
    │   │                                     driven by a live engine, unusable artifact root, ...)
    │   ├── PipelineInputError (ValueError)   a pipeline argument is unknown, missing or of the wrong type
    │   └── LauncherUnavailableError          the launcher asked for cannot be used (Ray missing, ...)
    ├── TaskError                             sluice.engine: one task cannot run or its results are unusable
    ├── StoreError                            sluice.store: the database cannot be used, or refused a change
    │   ├── NotFoundError                     no such row
    │   ├── IllegalTransitionError            a state change the state machine does not allow
    │   ├── ConstraintError                   a uniqueness or reference constraint (ConflictError, ...)
    │   └── LeaseLostError                    another engine took over the run
    ├── ArtifactStoreError (ValueError)       sluice.artifacts: the artifact root cannot be used
    └── SecretsError (ValueError)             sluice.secrets: a secret or config map is missing or malformed

The rule for ``sluice.run()`` (``run_pipeline``): a problem with what the caller handed over that Sluice can
see before running anything raises and records nothing: an argument that does not fit the pipeline
(``PipelineInputError``), an unusable launcher, store or artifact root. A pipeline that was accepted and then
fails (a task fails, a file turns out not to be a usable pipeline) gives a ``RunResult`` in state ``FAILED``
whose ``error`` says why; ``RunResult.raise_for_state()`` turns that into a ``RunFailedError`` (an
``EngineError``) for callers who prefer an exception.
"""

from __future__ import annotations

__all__ = ["SluiceError"]


class SluiceError(Exception):
    """Something Sluice refused or could not do; the message names the problem and where it is."""
