"""Environment variables from secrets, config maps and the task's own "pod" fields."""

from __future__ import annotations

from typing import Any

from sluice.dsl._internal import PipelineTask
from sluice.kubernetes._config import definition_error, kubernetes_config, parameter_input

__all__ = ["use_config_map_as_env", "use_field_path_as_env", "use_secret_as_env"]


def _key_to_env(task: PipelineTask, setting: str, mapping: Any, key_field: str) -> list[dict[str, str]]:
    if not isinstance(mapping, dict) or not all(
        isinstance(key, str) and isinstance(variable, str) for key, variable in mapping.items()
    ):
        raise definition_error(task, f"kubernetes.{setting}(): the mapping must be {{key: 'ENV_VAR', ...}}")
    return [{key_field: key, "envVar": variable} for key, variable in mapping.items()]


def use_secret_as_env(
    task: PipelineTask,
    secret_name: Any,
    secret_key_to_env: dict[str, str],
    optional: bool = False,
) -> PipelineTask:
    """Set environment variables from a secret's keys (``sluice secrets create``), e.g.
    ``{'password': 'DB_PASSWORD'}``. The secret's name may be a pipeline parameter or an upstream output.
    Without ``optional``, a missing secret or key fails the task before it starts."""
    config = kubernetes_config(task, "use_secret_as_env")
    entry: dict[str, Any] = {
        "keyToEnv": _key_to_env(task, "use_secret_as_env", secret_key_to_env, "secretKey"),
        "optional": bool(optional),
        "secretNameParameter": parameter_input(task, secret_name, "use_secret_as_env", "secret_name"),
    }
    if isinstance(secret_name, str):
        entry["secretName"] = secret_name  # kfp-kubernetes keeps the deprecated field too
    config.setdefault("secretAsEnv", []).append(entry)
    return task


def use_config_map_as_env(
    task: PipelineTask,
    config_map_name: Any,
    config_map_key_to_env: dict[str, str],
    optional: bool = False,
) -> PipelineTask:
    """Set environment variables from a config map's keys (``sluice configmaps create``)."""
    config = kubernetes_config(task, "use_config_map_as_env")
    entry: dict[str, Any] = {
        "keyToEnv": _key_to_env(task, "use_config_map_as_env", config_map_key_to_env, "configMapKey"),
        "configMapNameParameter": parameter_input(
            task, config_map_name, "use_config_map_as_env", "config_map_name"
        ),
        "optional": bool(optional),
    }
    if isinstance(config_map_name, str):
        entry["configMapName"] = config_map_name
    config.setdefault("configMapAsEnv", []).append(entry)
    return task


def use_field_path_as_env(task: PipelineTask, env_name: str, field_path: str) -> PipelineTask:
    """Set ``env_name`` to a field of the task's pod: ``metadata.name``, ``metadata.namespace``,
    ``metadata.uid``, ``metadata.labels['KEY']``, ``metadata.annotations['KEY']``, ``spec.nodeName``,
    ``spec.serviceAccountName``, ``status.podIP``, ``status.hostIP`` (and ``...IPs``)."""
    config = kubernetes_config(task, "use_field_path_as_env")
    if not isinstance(env_name, str) or not isinstance(field_path, str):
        raise definition_error(
            task, "kubernetes.use_field_path_as_env(): env_name and field_path must be strings"
        )
    config.setdefault("fieldPathAsEnv", []).append({"name": env_name, "fieldPath": field_path})
    return task
