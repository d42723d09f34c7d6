"""A task's kfp-kubernetes settings (its executor's entry in the PlatformSpec): what this machine applies,
records, warns about, and refuses.

- Applied: ``secretAsEnv`` and ``configMapAsEnv`` (``sluice secrets``/``sluice configmaps``; a missing
  object or key fails the task before it starts unless ``optional``), ``fieldPathAsEnv`` (the values the
  task's run gives its "pod"), ``podMetadata`` labels and annotations (recorded, and read by field paths),
  ``activeDeadlineSeconds`` (the task's timeout).
- Recorded on the task and warned about once per run, unused: node selectors, tolerations, node and pod
  affinities, image pull secrets and policy, security context, shared memory, resource claims.
- Volumes (PVCs, secret and config-map volumes, empty dirs, ephemeral volumes) are mounted under a
  sandboxed execution profile (``_volumes``); under ``host`` they fail the task, as init containers always
  do: running without them would silently run something else.

The task's ``platform`` record never holds a secret's value: only which secret and key set which variable.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sluice.engine._context import RunContext
from sluice.engine._errors import TaskError
from sluice.engine._graph import Node
from sluice.engine._inputs import MISSING, resolve_parameter
from sluice.ir import IRError, PipelineSpec, PlatformSpec, TaskInputParameterSpec
from sluice.sandbox import Mount

__all__ = [
    "DEFAULT_NAMESPACE",
    "PlatformSettings",
    "TaskPlatform",
    "kubernetes_executors",
    "unused_settings_warning",
    "used_settings",
]

DEFAULT_NAMESPACE = "default"  # a run's namespace when its experiment has none (single-user Sluice)
DEFAULT_SERVICE_ACCOUNT = "pipeline-runner"  # what KFP's API server gives a run that names none

# Settings recorded on the task and shown, which one machine has no use for: (key, how people call it).
_UNUSED = {
    "nodeSelector": "node selector",
    "tolerations": "tolerations",
    "nodeAffinity": "node affinity",
    "podAffinity": "pod affinity",
    "imagePullSecret": "image pull secrets",
    "imagePullPolicy": "image pull policy",
    "securityContext": "security context",
    "enabledSharedMemory": "shared memory volume (the machine's own /dev/shm is used)",
    "podResourceClaims": "pod resource claims",
}
_VOLUMES = {
    "pvcMount": "mount_pvc",
    "secretAsVolume": "use_secret_as_volume",
    "configMapAsVolume": "use_config_map_as_volume",
    "emptyDirMounts": "empty_dir_mount",
    "genericEphemeralVolume": "add_ephemeral_volume",
}
_APPLIED = {"secretAsEnv", "configMapAsEnv", "fieldPathAsEnv", "podMetadata", "activeDeadlineSeconds"}
# kfp-kubernetes' CreatePVC and DeletePVC are container components with these placeholder images.
_PVC_IMAGES = {"argostub/createpvc": "CreatePVC", "argostub/deletepvc": "DeletePVC"}
_SANDBOX = "volumes need a sandboxed execution profile (--profile restricted)"

_LABEL_OR_ANNOTATION = re.compile(r"""metadata\.(labels|annotations)\[(['"])(.+)\2\]""")
_FIELD_PATHS = (
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "metadata.labels['KEY']",
    "metadata.annotations['KEY']",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
)


def kubernetes_executors(platform_spec: PlatformSpec | None) -> dict[str, Any]:
    """The Kubernetes platform spec's settings by executor label (empty without one)."""
    if platform_spec is None:
        return {}
    kubernetes = platform_spec.platforms.get("kubernetes")
    if kubernetes is None or kubernetes.deployment_spec is None:
        return {}
    return {label: config for label, config in kubernetes.deployment_spec.executors.items() if config}


@dataclass
class TaskPlatform:
    """What a task gets from its settings: variables for its environment, and the record of it all."""

    env: dict[str, str] = field(default_factory=dict)
    record: dict[str, Any] | None = None
    mounts: tuple[Mount, ...] = ()  # its volumes, under a sandboxed execution profile


@functools.cache
def _machine_address() -> str:
    """This machine's address on its default route (no packet is sent), else the loopback address."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.254.254.254", 1))
        address: str = probe.getsockname()[0]
        return address
    return "127.0.0.1"


def _dns_label(text: str) -> str:
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return label[:40].rstrip("-") or "pipeline"


class PlatformSettings:
    """The run's kfp-kubernetes settings, ready to apply task by task."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.executors = kubernetes_executors(ctx.platform_spec)
        self.used_here = used_settings(ctx.options.launcher)
        # Under a sandboxed profile volumes are mounted for real (sluice.engine._volumes).
        self.sandboxed = ctx.options.profile is not None and ctx.options.profile.sandboxed
        self._vault: Any = None
        self._secrets: dict[str, dict[str, bytes] | None] = {}  # read once per run
        self._config_maps: dict[str, dict[str, str] | None] = {}

    def timeout(self, label: str) -> float | None:
        """The executor's ``activeDeadlineSeconds`` (kfp-kubernetes' ``set_timeout``), else the run's."""
        config = self.executors.get(label)
        if isinstance(config, dict) and config.get("activeDeadlineSeconds") is not None:
            with contextlib.suppress(TypeError, ValueError):
                seconds = float(config["activeDeadlineSeconds"])
                if seconds > 0:
                    return seconds
        return self.ctx.options.task_timeout

    def node_selector(self, node: Node, label: str) -> tuple[tuple[str, str], ...]:
        """The executor's ``nodeSelector`` labels (kfp-kubernetes' ``add_node_selector``, or its
        ``nodeSelectorJson`` from a constant or a pipeline parameter, which takes precedence), for a
        launcher that places tasks on nodes (Ray); empty without one."""
        config = self.executors.get(label)
        selector = config.get("nodeSelector") if isinstance(config, dict) else None
        if not isinstance(selector, dict):
            return ()
        labels: Any = selector.get("labels") or {}
        from_json = selector.get("nodeSelectorJson")
        if isinstance(from_json, dict):
            value = self._parameter(node, from_json, "nodeSelector.nodeSelectorJson")
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    raise TaskError(
                        node.path, f"nodeSelectorJson is not a JSON object: {value[:80]!r}"
                    ) from None
            if value is not None:
                labels = value
        if not isinstance(labels, dict) or not all(
            isinstance(key, str) and isinstance(item, str) for key, item in labels.items()
        ):
            raise TaskError(node.path, f"nodeSelector labels must map names to strings, got {labels!r}")
        return tuple(sorted(labels.items()))

    def for_task(self, node: Node, label: str, image: str | None) -> TaskPlatform:
        """The task's variables and record; TaskError when a setting cannot be honoured here."""
        if image in _PVC_IMAGES and not self.sandboxed:
            raise TaskError(
                node.path,
                f"{_SANDBOX}: this is kfp-kubernetes' {_PVC_IMAGES[image]} (a PersistentVolumeClaim), which "
                "the host profile cannot provide",
            )
        config = self.executors.get(label)
        if not isinstance(config, dict):
            return TaskPlatform()
        if not self.sandboxed:
            _refuse_volumes(node, config)
        _refuse_init_containers(node, config)
        labels, annotations = self._pod_metadata(node, config)
        record: dict[str, Any] = {
            "pod_name": self.pod_name(node),
            "namespace": self.ctx.namespace,
            "service_account": self.service_account,
            "labels": labels,
            "annotations": annotations,
        }
        env: dict[str, str] = {}
        sources: list[dict[str, Any]] = []
        self._secret_env(node, config, env, sources)
        self._config_map_env(node, config, env, sources)
        self._field_path_env(node, config, labels, annotations, env, sources)
        if sources:
            record["env"] = sources
        timeout = self.timeout(label)
        if config.get("activeDeadlineSeconds") is not None and timeout is not None:
            record["timeout_seconds"] = timeout
        unused = {
            key: self._resolved(node, key, config[key])
            for key in _UNUSED
            if config.get(key) and key not in self.used_here
        }
        if unused:
            record["not_applied"] = unused
        unknown = sorted(set(config) - set(_UNUSED) - set(_VOLUMES) - _APPLIED - {"initContainers"})
        if unknown:
            record["unknown"] = unknown
        for name in env:
            if not name or "=" in name or "\0" in name:
                raise TaskError(
                    node.path, f"kfp-kubernetes setting: {name!r} is not a valid environment variable name"
                )
            if name.startswith("SLUICE_"):
                raise TaskError(
                    node.path, f"kfp-kubernetes setting: the environment variable {name!r} is Sluice's own"
                )
        mounts: tuple[Mount, ...] = ()
        if self.sandboxed:
            from sluice.engine._volumes import VolumeMounts

            mounts = VolumeMounts(self).for_task(node, config, record)
        return TaskPlatform(env, record, mounts)

    # ------------------------------------------------------------ the task's "pod"

    @property
    def service_account(self) -> str:
        return self.ctx.service_account or DEFAULT_SERVICE_ACCOUNT

    def pod_name(self, node: Node) -> str:
        return f"{_dns_label(self.ctx.pipeline_name)}-{node.id.split('-')[0]}"

    def _pod_metadata(self, node: Node, config: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """KFP's own labels and annotations (the run id, the run name), then the task's."""
        labels = {"pipeline/runid": self.ctx.run_id, "pipelines.kubeflow.org/v2_component": "true"}
        annotations = {
            "pipelines.kubeflow.org/run_name": self.ctx.job_name,
            "pipelines.kubeflow.org/v2_component": "true",
        }
        metadata = config.get("podMetadata") or {}
        if not isinstance(metadata, dict):
            raise TaskError(node.path, "kfp-kubernetes setting podMetadata is not an object")
        for target, key in ((labels, "labels"), (annotations, "annotations")):
            values = metadata.get(key) or {}
            if not isinstance(values, dict):
                raise TaskError(node.path, f"kfp-kubernetes setting podMetadata.{key} is not an object")
            target.update({str(name): str(value) for name, value in values.items()})
        return labels, annotations

    def _field_value(
        self, node: Node, path: str, labels: dict[str, str], annotations: dict[str, str]
    ) -> str | None:
        simple: dict[str, Callable[[], str]] = {
            "metadata.name": lambda: self.pod_name(node),
            "metadata.namespace": lambda: self.ctx.namespace,
            "metadata.uid": lambda: node.id,
            "spec.nodeName": socket.gethostname,
            "spec.serviceAccountName": lambda: self.service_account,
            "status.hostIP": _machine_address,
            "status.hostIPs": _machine_address,
            "status.podIP": _machine_address,  # tasks share the machine's network
            "status.podIPs": _machine_address,
        }
        if path in simple:
            return simple[path]()
        match = _LABEL_OR_ANNOTATION.fullmatch(path)
        if match is None:
            return None
        # Kubernetes gives an absent label or annotation as "".
        return (labels if match.group(1) == "labels" else annotations).get(match.group(3), "")

    # ------------------------------------------------------------ environment

    def _field_path_env(  # noqa: PLR0917  (one call site)
        self,
        node: Node,
        config: dict[str, Any],
        labels: dict[str, str],
        annotations: dict[str, str],
        env: dict[str, str],
        sources: list[dict[str, Any]],
    ) -> None:
        for entry in _entries(node, config, "fieldPathAsEnv"):
            name, path = str(entry.get("name") or ""), str(entry.get("fieldPath") or "")
            value = self._field_value(node, path, labels, annotations)
            if value is None:
                raise TaskError(
                    node.path,
                    f"use_field_path_as_env: field path {path!r} (for {name!r}) is not one Sluice knows; "
                    f"known: {', '.join(_FIELD_PATHS)}",
                )
            env[name] = value
            sources.append({"name": name, "from": "field_path", "field_path": path})

    def _secret_env(
        self, node: Node, config: dict[str, Any], env: dict[str, str], sources: list[dict[str, Any]]
    ) -> None:
        for entry in _entries(node, config, "secretAsEnv"):
            name = self._object_name(node, entry, "secretNameParameter", "secretName", "use_secret_as_env")
            data = self._secret(node, name)
            self._apply_keys(
                node,
                entry,
                "secretKey",
                data,
                env,
                sources,
                kind="secret",
                name=name,
                setting="use_secret_as_env",
            )

    def _config_map_env(
        self, node: Node, config: dict[str, Any], env: dict[str, str], sources: list[dict[str, Any]]
    ) -> None:
        for entry in _entries(node, config, "configMapAsEnv"):
            name = self._object_name(
                node, entry, "configMapNameParameter", "configMapName", "use_config_map_as_env"
            )
            values = self._config_map(node, name)
            data = None if values is None else {key: value.encode() for key, value in values.items()}
            self._apply_keys(
                node,
                entry,
                "configMapKey",
                data,
                env,
                sources,
                kind="config_map",
                name=name,
                setting="use_config_map_as_env",
            )

    def _apply_keys(  # noqa: PLR0917
        self,
        node: Node,
        entry: dict[str, Any],
        key_field: str,
        data: dict[str, bytes] | None,
        env: dict[str, str],
        sources: list[dict[str, Any]],
        *,
        kind: str,
        name: str,
        setting: str,
    ) -> None:
        what = f"{kind.replace('_', ' ')} {name!r}"
        optional = bool(entry.get("optional"))
        pairs = entry.get("keyToEnv") or []
        if not isinstance(pairs, list):
            raise TaskError(node.path, f"{setting}: keyToEnv of {what} is not a list")
        if data is None:
            if not optional:
                raise TaskError(
                    node.path,
                    f"{setting}: {what} does not exist in namespace {self.ctx.namespace!r} "
                    f"(create it with: sluice {'secrets' if kind == 'secret' else 'configmaps'} create {name} ...)",
                )
            for pair in pairs:
                sources.append(
                    _source(pair, key_field, kind, name, skipped=f"optional {what} does not exist")
                )
            return
        for pair in pairs:
            key, variable = str(pair.get(key_field) or ""), str(pair.get("envVar") or "")
            if key not in data:
                if optional:
                    sources.append(
                        _source(pair, key_field, kind, name, skipped=f"optional key {key!r} is absent")
                    )
                    continue
                raise TaskError(
                    node.path,
                    f"{setting}: {what} has no key {key!r} (wanted for {variable!r}); its keys: "
                    f"{', '.join(sorted(data)) or 'none'}",
                )
            try:
                env[variable] = data[key].decode("utf-8")
            except UnicodeDecodeError:
                raise TaskError(
                    node.path,
                    f"{setting}: key {key!r} of {what} is not UTF-8 text, so it cannot be the environment "
                    f"variable {variable!r}",
                ) from None
            sources.append(_source(pair, key_field, kind, name))

    def _object_name(
        self, node: Node, entry: dict[str, Any], parameter: str, legacy: str, setting: str
    ) -> str:
        """A secret's or config map's name: a constant, a pipeline parameter or an upstream output."""
        if entry.get(parameter):
            value = self._parameter(node, entry[parameter], f"{setting}.{parameter}")
        else:
            value = entry.get(legacy)
        if not isinstance(value, str) or not value:
            raise TaskError(node.path, f"{setting}: the name must be a non-empty string, got {value!r}")
        return value

    def _parameter(self, node: Node, spec_dict: Any, where: str) -> Any:
        try:
            spec = TaskInputParameterSpec.from_dict(spec_dict, where)
        except IRError as error:
            raise TaskError(node.path, f"kfp-kubernetes setting {where}: {error}") from None
        if node.parent is None:
            raise TaskError(node.path, f"kfp-kubernetes setting {where}: the task has no enclosing DAG")
        value, why = resolve_parameter(spec, node.parent)
        if value is MISSING:
            raise TaskError(node.path, f"kfp-kubernetes setting {where} has no value: {why}")
        return value

    def _resolved(self, node: Node, key: str, value: Any) -> Any:
        """A recorded setting with its pipeline-parameter references (``...Json``, names) resolved."""
        if isinstance(value, list):
            return [self._resolved(node, key, item) for item in value]
        if not isinstance(value, dict):
            return value
        resolved: dict[str, Any] = {}
        for name, item in value.items():
            if name.endswith(("Json", "NameParameter")) and isinstance(item, dict):
                try:
                    resolved[name] = self._parameter(node, item, f"{key}.{name}")
                except TaskError:  # an unused setting never fails a task: keep the reference as written
                    resolved[name] = item
            else:
                resolved[name] = self._resolved(node, key, item)
        return resolved

    # ------------------------------------------------------------ the store

    def _vault_for(self, node: Node) -> Any:
        if self._vault is None:
            from sluice.secrets import SecretStore

            self._vault = SecretStore(self.ctx.store, self.ctx.home)
        return self._vault

    def _secret(self, node: Node, name: str) -> dict[str, bytes] | None:
        if name not in self._secrets:
            from sluice.secrets import SecretsError

            try:
                self._secrets[name] = self._vault_for(node).read_secret(name, self.ctx.namespace)
            except SecretsError as error:
                raise TaskError(node.path, f"use_secret_as_env: {error}") from None
        return self._secrets[name]

    def _config_map(self, node: Node, name: str) -> dict[str, str] | None:
        if name not in self._config_maps:
            self._config_maps[name] = self._vault_for(node).read_config_map(name, self.ctx.namespace)
        return self._config_maps[name]


def _entries(node: Node, config: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = config.get(key) or []
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise TaskError(node.path, f"kfp-kubernetes setting {key} is not a list of objects")
    return entries


def _source(pair: dict[str, Any], key_field: str, kind: str, name: str, skipped: str = "") -> dict[str, Any]:
    source: dict[str, Any] = {
        "name": pair.get("envVar"),
        "from": kind,
        "source": name,
        "key": pair.get(key_field),
    }
    if skipped:
        source["skipped"] = skipped
    return source


def _volume_name(key: str, entry: dict[str, Any]) -> str:
    for field_name in ("volumeName", "secretName", "configMapName", "constant", "componentInputParameter"):
        if entry.get(field_name):
            return str(entry[field_name])
    for parameter in ("secretNameParameter", "configMapNameParameter", "pvcNameParameter"):
        spec = entry.get(parameter) or {}
        constant = (spec.get("runtimeValue") or {}).get("constant")
        if constant:
            return str(constant)
        if spec.get("componentInputParameter"):
            return f"from input {spec['componentInputParameter']}"
        if spec.get("taskOutputParameter"):
            output = spec["taskOutputParameter"]
            return f"from {output.get('producerTask')}.{output.get('outputParameterKey')}"
    return "unnamed"


def _refuse_volumes(node: Node, config: dict[str, Any]) -> None:
    for key, function in _VOLUMES.items():
        for entry in _entries(node, config, key):
            raise TaskError(
                node.path,
                f"{_SANDBOX}: volume {_volume_name(key, entry)!r} at {entry.get('mountPath') or '?'} "
                f"(kfp-kubernetes' {function}) cannot be mounted under the host profile",
            )


def _refuse_init_containers(node: Node, config: dict[str, Any]) -> None:
    for entry in _entries(node, config, "initContainers"):
        raise TaskError(
            node.path,
            f"init container {entry.get('name') or '?'!r} (image {entry.get('image') or '?'}) cannot run: "
            "the local launcher runs no containers",
        )


def used_settings(launcher: str) -> frozenset[str]:
    """The scheduling settings a launcher uses: a cluster launcher (Ray) places tasks by node selector."""
    return frozenset({"nodeSelector"}) if launcher != "local" else frozenset()


def unused_settings_warning(
    spec: PipelineSpec, platform_spec: PlatformSpec | None, used: frozenset[str] = frozenset()
) -> str | None:
    """One sentence naming the settings this machine records but does not use (``used``: those the
    launcher does use), and their tasks."""
    executors = kubernetes_executors(platform_spec)
    if not executors:
        return None
    tasks_by_label = _tasks_by_executor(spec)
    found: dict[str, set[str]] = {}
    for label, config in executors.items():
        if not isinstance(config, dict):
            continue
        names = tasks_by_label.get(label) or {label}
        for key, title in _UNUSED.items():
            if config.get(key) and key not in used:
                found.setdefault(title, set()).update(names)
        for key in sorted(set(config) - set(_UNUSED) - set(_VOLUMES) - _APPLIED - {"initContainers"}):
            found.setdefault(f"unknown setting {key!r}", set()).update(names)
    if not found:
        return None
    parts = [
        f"{title} (task{'s' * (len(names) > 1)} {', '.join(sorted(names))})" for title, names in found.items()
    ]
    return (
        "this machine does not use these kfp-kubernetes settings (they are recorded on the tasks): "
        + "; ".join(parts)
    )


def _tasks_by_executor(spec: PipelineSpec) -> dict[str, set[str]]:
    components = dict(spec.components)
    dags = [component.dag for component in components.values() if component.dag is not None]
    if spec.root is not None and spec.root.dag is not None:
        dags.append(spec.root.dag)
    found: dict[str, set[str]] = {}
    for dag in dags:
        for key, task in dag.tasks.items():
            component = components.get(task.component_ref.name or "") if task.component_ref else None
            if component is not None and component.executor_label:
                name = (task.task_info.name if task.task_info else None) or key
                found.setdefault(component.executor_label, set()).add(name)
    return found
