"""The task's pod: labels and annotations, scheduling (node selectors, tolerations, affinities), images,
timeout and security context. On one machine only the timeout and the labels and annotations have an
effect; the rest is recorded on the task, and the run warns that it is not used."""

from __future__ import annotations

from typing import Any

from sluice.dsl._internal import PipelineTask
from sluice.kubernetes._config import definition_error, kubernetes_config, parameter_input

__all__ = [
    "add_node_affinity",
    "add_node_affinity_json",
    "add_node_selector",
    "add_node_selector_json",
    "add_pod_annotation",
    "add_pod_label",
    "add_toleration",
    "add_toleration_json",
    "set_image_pull_policy",
    "set_image_pull_secrets",
    "set_security_context",
    "set_timeout",
]

_AFFINITY_OPERATORS = ("DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn")


def _pod_metadata(task: PipelineTask, setting: str, field: str, key: Any, value: Any) -> PipelineTask:
    if not isinstance(key, str) or not isinstance(value, str):
        raise definition_error(task, f"kubernetes.{setting}(): the key and the value must be strings")
    config = kubernetes_config(task, setting)
    config.setdefault("podMetadata", {}).setdefault(field, {})[key] = value
    return task


def add_pod_label(task: PipelineTask, label_key: str, label_value: str) -> PipelineTask:
    """A label of the task's pod (recorded, and read by ``metadata.labels['KEY']`` field paths)."""
    return _pod_metadata(task, "add_pod_label", "labels", label_key, label_value)


def add_pod_annotation(task: PipelineTask, annotation_key: str, annotation_value: str) -> PipelineTask:
    """An annotation of the task's pod (recorded, and read by ``metadata.annotations['KEY']``)."""
    return _pod_metadata(task, "add_pod_annotation", "annotations", annotation_key, annotation_value)


def add_node_selector(task: PipelineTask, label_key: str, label_value: str) -> PipelineTask:
    """Run the task's pod on nodes with this label (on a cluster)."""
    config = kubernetes_config(task, "add_node_selector")
    config.setdefault("nodeSelector", {}).setdefault("labels", {})[label_key] = label_value
    return task


def add_node_selector_json(task: PipelineTask, node_selector_json: Any) -> PipelineTask:
    """A whole node selector as a dict or a pipeline parameter (takes precedence over the labels)."""
    config = kubernetes_config(task, "add_node_selector_json")
    selector = parameter_input(task, node_selector_json, "add_node_selector_json", "node_selector_json")
    config.setdefault("nodeSelector", {})["nodeSelectorJson"] = selector
    return task


def add_toleration(  # noqa: PLR0917  (kfp-kubernetes' signature)
    task: PipelineTask,
    key: str | None = None,
    operator: str | None = None,
    value: str | None = None,
    effect: str | None = None,
    toleration_seconds: int | None = None,
) -> PipelineTask:
    """Tolerate a node taint (on a cluster)."""
    config = kubernetes_config(task, "add_toleration")
    toleration: dict[str, Any] = {
        name: text
        for name, text in (("key", key), ("operator", operator), ("value", value), ("effect", effect))
        if text
    }
    if toleration_seconds is not None:
        toleration["tolerationSeconds"] = str(int(toleration_seconds))  # an int64: a string in JSON
    config.setdefault("tolerations", []).append(toleration)
    return task


def add_toleration_json(task: PipelineTask, toleration_json: Any) -> PipelineTask:
    """Tolerations as a dict, a list of dicts, or a pipeline parameter holding either."""
    if isinstance(toleration_json, list | dict):
        for toleration in toleration_json if isinstance(toleration_json, list) else [toleration_json]:
            if not isinstance(toleration, dict):
                raise definition_error(
                    task, "kubernetes.add_toleration_json(): each toleration must be a dict"
                )
            add_toleration(
                task,
                key=toleration.get("key"),
                operator=toleration.get("operator"),
                value=toleration.get("value"),
                effect=toleration.get("effect"),
                toleration_seconds=toleration.get("toleration_seconds"),
            )
        return task
    config = kubernetes_config(task, "add_toleration_json")
    selector = parameter_input(task, toleration_json, "add_toleration_json", "toleration_json")
    config.setdefault("tolerations", []).append({"tolerationJson": selector})
    return task


def _selector_terms(
    task: PipelineTask, terms: list[dict[str, Any]] | None, kind: str
) -> list[dict[str, Any]]:
    checked = []
    for term in terms or []:
        key, operator = term.get("key"), term.get("operator")
        if not key:
            raise definition_error(
                task, f"kubernetes.add_node_affinity(): each {kind} must have a non-empty 'key'"
            )
        if operator not in _AFFINITY_OPERATORS:
            raise definition_error(
                task,
                f"kubernetes.add_node_affinity(): operator {operator!r} of {kind} {key!r} is not one of "
                f"{', '.join(_AFFINITY_OPERATORS)}",
            )
        entry: dict[str, Any] = {"key": key, "operator": operator}
        if term.get("values"):
            entry["values"] = [str(value) for value in term["values"]]
        checked.append(entry)
    return checked


def add_node_affinity(
    task: PipelineTask,
    match_expressions: list[dict[str, Any]] | None = None,
    match_fields: list[dict[str, Any]] | None = None,
    weight: int | None = None,
) -> PipelineTask:
    """A node affinity term (required; preferred with a ``weight`` from 1 to 100)."""
    config = kubernetes_config(task, "add_node_affinity")
    term: dict[str, Any] = {}
    expressions = _selector_terms(task, match_expressions, "match_expression")
    fields = _selector_terms(task, match_fields, "match_field")
    if expressions:
        term["matchExpressions"] = expressions
    if fields:
        term["matchFields"] = fields
    if weight is not None:
        if not 1 <= weight <= 100:
            raise definition_error(
                task, f"kubernetes.add_node_affinity(): weight must be between 1 and 100, got {weight}"
            )
        term["weight"] = weight
    config.setdefault("nodeAffinity", []).append(term)
    return task


def add_node_affinity_json(task: PipelineTask, node_affinity_json: Any) -> PipelineTask:
    """A whole node affinity as a dict or a pipeline parameter (replaces an earlier one given this way)."""
    config = kubernetes_config(task, "add_node_affinity_json")
    terms = [term for term in config.get("nodeAffinity", []) if "nodeAffinityJson" not in term]
    terms.append(
        {
            "nodeAffinityJson": parameter_input(
                task, node_affinity_json, "add_node_affinity_json", "node_affinity_json"
            )
        }
    )
    config["nodeAffinity"] = terms
    return task


def set_image_pull_secrets(task: PipelineTask, secret_names: list[Any]) -> PipelineTask:
    """Secrets to pull the task's image with (on a cluster)."""
    config = kubernetes_config(task, "set_image_pull_secrets")
    for name in secret_names:
        entry: dict[str, Any] = {
            "secretNameParameter": parameter_input(task, name, "set_image_pull_secrets", "secret_names")
        }
        if isinstance(name, str):
            entry["secretName"] = name
        config.setdefault("imagePullSecret", []).append(entry)
    return task


def set_image_pull_policy(task: PipelineTask, policy: str) -> PipelineTask:
    """``Always``, ``Never`` or ``IfNotPresent``."""
    if policy not in ("Always", "Never", "IfNotPresent"):
        raise definition_error(
            task, f"kubernetes.set_image_pull_policy(): {policy!r} is not one of Always, Never, IfNotPresent"
        )
    kubernetes_config(task, "set_image_pull_policy")["imagePullPolicy"] = policy
    return task


def set_timeout(task: PipelineTask, seconds: int) -> PipelineTask:
    """Kill the task after ``seconds`` (its pod's ``activeDeadlineSeconds``); 0 removes a timeout."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise definition_error(
            task, f"kubernetes.set_timeout(): seconds must be an integer >= 0, got {seconds!r}"
        )
    config = kubernetes_config(task, "set_timeout")
    if seconds:
        config["activeDeadlineSeconds"] = str(seconds)  # an int64: a string in JSON
    else:
        config.pop("activeDeadlineSeconds", None)
    return task


def set_security_context(
    task: PipelineTask,
    run_as_user: int | None = None,
    run_as_group: int | None = None,
    run_as_non_root: bool | None = None,
) -> PipelineTask:
    """The user and group the task's container runs as (on a cluster)."""
    if run_as_user is None and run_as_group is None and run_as_non_root is None:
        raise definition_error(task, "kubernetes.set_security_context(): give at least one setting")
    for name, value in (("run_as_user", run_as_user), ("run_as_group", run_as_group)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise definition_error(
                task, f"kubernetes.set_security_context(): {name} must be an integer >= 0, got {value!r}"
            )
    if run_as_non_root is not None and not isinstance(run_as_non_root, bool):
        raise definition_error(task, "kubernetes.set_security_context(): run_as_non_root must be a bool")
    context = kubernetes_config(task, "set_security_context").setdefault("securityContext", {})
    if run_as_user is not None:
        context["runAsUser"] = str(run_as_user)
    if run_as_group is not None:
        context["runAsGroup"] = str(run_as_group)
    if run_as_non_root is not None:
        context["runAsNonRoot"] = run_as_non_root
    return task
