"""``PipelineTaskFinalStatus``: what an exit handler task learns about the tasks it guarded.

A plain class rather than a dataclass: ``dataclasses`` imports ``inspect``, which would add milliseconds
to every task process.
"""

from __future__ import annotations

__all__ = ["PipelineTaskFinalStatus"]


class PipelineTaskFinalStatus:
    """The final status of a pipeline task; annotate an exit handler's parameter with it.

    Attributes:
        state: How the guarded tasks ended. KFP's backend (and Sluice's engine) give the ML-metadata state
            of the exit handler's group: ``'COMPLETE'``, ``'FAILED'`` or ``'CANCELED'`` (kfp.local says
            ``'SUCCEEDED'``/``'FAILED'``).
        pipeline_job_resource_name: The run's resource name (``<pipeline name>-<suffix>``).
        pipeline_task_name: The name of the task that produced this status (``exit-handler-1``).
        error_code: A ``google.rpc.Code`` (2, or 1 when canceled); None when the group completed.
        error_message: The failure's message; None when the group completed.
    """

    __slots__ = ("error_code", "error_message", "pipeline_job_resource_name", "pipeline_task_name", "state")
    __match_args__ = (
        "state",
        "pipeline_job_resource_name",
        "pipeline_task_name",
        "error_code",
        "error_message",
    )

    def __init__(
        self,
        state: str,
        pipeline_job_resource_name: str,
        pipeline_task_name: str,
        error_code: int | None,
        error_message: str | None,
    ) -> None:
        self.state = state
        self.pipeline_job_resource_name = pipeline_job_resource_name
        self.pipeline_task_name = pipeline_task_name
        self.error_code = error_code
        self.error_message = error_message

    def _fields(self) -> tuple[str, str, str, int | None, str | None]:
        return (
            self.state,
            self.pipeline_job_resource_name,
            self.pipeline_task_name,
            self.error_code,
            self.error_message,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PipelineTaskFinalStatus):
            return NotImplemented
        return self._fields() == other._fields()

    # Mutable and compared by value, like KFP's dataclass: not hashable.
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"PipelineTaskFinalStatus(state={self.state!r}, "
            f"pipeline_job_resource_name={self.pipeline_job_resource_name!r}, "
            f"pipeline_task_name={self.pipeline_task_name!r}, error_code={self.error_code!r}, "
            f"error_message={self.error_message!r})"
        )
