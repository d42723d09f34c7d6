"""The root of every error Sluice raises on purpose. Standard library only: ``sluice.dsl`` and
``sluice.runtime`` (task processes) subclass it.

Catch ``sluice.SluiceError`` for "anything Sluice refused or could not do"; catch a subclass for one kind
of problem. Where kfp raises ``ValueError`` or ``RuntimeError`` for the same problem, the Sluice error is
one too (a second base), so code written for kfp keeps catching it. Each message names the problem and
where it is (file and line, task, field path, run id).

The hierarchy (each class lives in its package and is exported there; ``tests/test_errors.py`` checks it)::

    SluiceError
    ├── PipelineDefinitionError (ValueError)  sluice.dsl: a pipeline or component is defined wrongly; names
    │                                         the task and the user's file:line
    ├── PipelineFileError (ValueError)        sluice.compiler._source: a pipeline .py file does not import
    │                                         (names file:line) or does not say which pipeline it means
    ├── IRError (ValueError)                  sluice.ir: a PipelineSpec document is malformed or inconsistent;
    │                                         names the field path and the file
    ├── ExecutorInputError (ValueError)       sluice.runtime: a task process was started with unusable input
    ├── EngineError                           sluice.engine: a run cannot start or go on (unknown run, run
    │   │                                     driven by a live engine, unusable artifact root, ...)
    │   ├── PipelineInputError (ValueError)   an argument is unknown, missing or of the wrong type (``input``)
    │   ├── LauncherUnavailableError          the launcher asked for cannot be used (Ray missing, ...)
    │   └── RunFailedError                    ``RunResult.raise_for_state()`` on a run that did not succeed
    ├── TaskError                             sluice.engine: one task cannot run or its results are unusable
    ├── LauncherError                         sluice.launchers: a launcher cannot be opened
    ├── StoreError                            sluice.store: the database cannot be used, or refused a change
    │   ├── NotFoundError                     no row with that id
    │   ├── IllegalTransitionError            a state change the state table does not allow
    │   ├── ConstraintError                   a uniqueness or reference constraint
    │   │   ├── ConflictError                 a row with that name or key exists
    │   │   └── InvalidReferenceError         a row refers to one that does not exist
    │   └── LeaseLostError                    another engine took the run over
    ├── ArtifactStoreError (ValueError)       sluice.artifacts: the artifact root cannot be used
    ├── UnsafePathError (ValueError)          sluice.artifacts: a name would escape the artifact root
    └── SecretsError (ValueError)             sluice.secrets: a secret or config map is missing or malformed

The rule for ``sluice.run()`` (``run_pipeline``): what Sluice can refuse before a run exists raises and
records nothing: arguments that do not fit the pipeline (``PipelineInputError``), an unusable launcher,
store or artifact root. A pipeline it accepted and ran, or a file it could not turn into a pipeline, gives a
``RunResult``; a run that did not succeed is in state ``FAILED`` (or ``CANCELED``) with an ``error`` saying
why, and ``RunResult.raise_for_state()`` turns that into a ``RunFailedError`` for callers who want an
exception. ``sluice run`` exits 2 on the first kind (and on a .py file that does not load), 1 on a run that
did not succeed.
"""

from __future__ import annotations

__all__ = ["SluiceError"]


class SluiceError(Exception):
    """Something Sluice refused or could not do; the message names the problem and where it is."""
