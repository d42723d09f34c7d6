"""Running one component (or pipeline) called outside a pipeline, with the engine, as one recorded run.

A call with parameters only runs the component's own one-task pipeline (as kfp.local does), or the
pipeline itself, with the arguments as the run's arguments. Artifacts passed in (outputs of earlier calls)
reach the task through importers: the run is a small pipeline of an importer per artifact and the task,
and since importers reuse the stored artifact of the same URI, lineage links the runs in the store.
"""

from __future__ import annotations

from typing import Any

from sluice.dsl._internal import Artifact, BaseComponent, artifact_class_for_schema_title
from sluice.local._config import LocalConfig

__all__ = ["run_component"]


def run_component(
    config: LocalConfig, component: BaseComponent, arguments: dict[str, Any], task_name: str
) -> tuple[str, dict[str, Any]]:
    """Run ``component`` with ``arguments``; the run's ID and the task's outputs (artifacts as objects).

    Raises RuntimeError when the run fails and ``config.raise_on_error`` is set.
    """
    from sluice.compiler import compile_to_document
    from sluice.engine import run_pipeline
    from sluice.engine._console import ConsoleProgress
    from sluice.engine._load import LoadedPipeline

    artifacts = {name: value for name, value in arguments.items() if isinstance(value, Artifact)}
    parameters = {name: value for name, value in arguments.items() if name not in artifacts}
    if artifacts:
        pipeline, task_path = _with_importers(component, parameters, artifacts)
        document, run_arguments = compile_to_document(pipeline), {}
    else:
        document, run_arguments, task_path = compile_to_document(component), parameters, "root"
    result = run_pipeline(
        LoadedPipeline(document, compiled_here=True),  # compiled just now: no schema check needed
        run_arguments,
        cache=config.enable_caching,
        home=config.home,
        database_url=config.database_url,
        pipeline_root=config.pipeline_root,
        observer=ConsoleProgress(),
        stream_logs=True,
        workspace_root=config.workspace_root,
    )
    if not result.succeeded:
        if config.raise_on_error:
            raise RuntimeError(
                f"Task {task_name!r} finished with status {result.state}: {result.error} "
                f"(run {result.run_id}; see `sluice runs get {result.run_id}`)"
            )
        return result.run_id, {}
    return result.run_id, _outputs_of(config, result.run_id, task_path, component)


def _with_importers(
    component: BaseComponent, parameters: dict[str, Any], artifacts: dict[str, Artifact]
) -> tuple[BaseComponent, str]:
    """A pipeline that imports ``artifacts`` and calls ``component``; and the path of that call's task."""
    from sluice.dsl import importer
    from sluice.dsl._internal import GraphComponent

    called: list[str] = []

    def local_call() -> None:
        given: dict[str, Any] = dict(parameters)
        for name, artifact in artifacts.items():
            given[name] = importer(
                artifact_uri=artifact.uri, artifact_class=type(artifact), metadata=artifact.metadata or None
            ).output
        called.append(component(**given).name)

    pipeline = GraphComponent(local_call, name=component.name)
    return pipeline, f"root/{called[0]}"


def _outputs_of(config: LocalConfig, run_id: str, task_path: str, component: BaseComponent) -> dict[str, Any]:
    """The task's recorded outputs: parameter values, and artifacts as objects of their classes."""
    from sqlalchemy import select

    from sluice.engine import Workspace
    from sluice.store.models import Task

    workspace = Workspace.resolve(config.home, config.database_url, config.pipeline_root)
    with workspace.store() as store, store.read_session() as session:
        recorded = session.scalar(select(Task.outputs).where(Task.run_id == run_id, Task.path == task_path))
    outputs: dict[str, Any] = dict((recorded or {}).get("parameters") or {})
    for name, entries in ((recorded or {}).get("artifacts") or {}).items():
        made = [_artifact(entry) for entry in entries]
        declared = component.component_spec.outputs.get(name)
        outputs[name] = made if declared is None or declared.is_artifact_list else made[0]
    return outputs


def _artifact(entry: dict[str, Any]) -> Artifact:
    artifact_class = artifact_class_for_schema_title(str(entry.get("schemaTitle") or "")) or Artifact
    return artifact_class(
        name=entry.get("name") or "", uri=entry["uri"], metadata=dict(entry.get("metadata") or {})
    )
