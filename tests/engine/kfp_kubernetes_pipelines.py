"""Pipelines using kfp-kubernetes settings, written with the official kfp and kfp-kubernetes SDKs and compiled
by kfp (tests/engine/test_kubernetes_settings.py runs them).

No ``from __future__ import annotations``: kfp reads component annotations as live objects. Components
never return a secret's value: they report its SHA-256, so the test can check it arrived while the store
never sees it.
"""

from kfp import dsl, kubernetes

IMAGE = "python:3.11"

FIELD_PATHS = {
    "POD_NAME": "metadata.name",
    "POD_NAMESPACE": "metadata.namespace",
    "POD_UID": "metadata.uid",
    "TEAM": "metadata.labels['team']",
    "RUN_ID_LABEL": "metadata.labels['pipeline/runid']",
    "OWNER": "metadata.annotations['owner']",
    "RUN_NAME": "metadata.annotations['pipelines.kubeflow.org/run_name']",
    "NO_SUCH_LABEL": 'metadata.labels["nope"]',
    "NODE": "spec.nodeName",
    "SERVICE_ACCOUNT": "spec.serviceAccountName",
    "POD_IP": "status.podIP",
    "HOST_IP": "status.hostIP",
}


@dsl.component(base_image=IMAGE)
def report_env(hashed: list, plain: list) -> dict:
    import hashlib
    import os

    return {
        "hashed": {
            name: hashlib.sha256(os.environ[name].encode()).hexdigest() if name in os.environ else None
            for name in hashed
        },
        "plain": {name: os.environ.get(name) for name in plain},
    }


@dsl.component(base_image=IMAGE)
def name_of_secret(name: str) -> str:
    return name


@dsl.pipeline
def env_from_settings(secret_name: str = "db-creds") -> dict:
    task = report_env(
        hashed=["DB_PASSWORD", "DB_USER", "API_TOKEN", "OPTIONAL_SECRET", "OPTIONAL_KEY"],
        plain=["MODE", "LEVEL", *FIELD_PATHS],
    )
    kubernetes.use_secret_as_env(
        task, secret_name=secret_name, secret_key_to_env={"password": "DB_PASSWORD", "user": "DB_USER"}
    )
    kubernetes.use_secret_as_env(task, secret_name="api", secret_key_to_env={"token": "API_TOKEN"})
    kubernetes.use_secret_as_env(
        task, secret_name="absent", secret_key_to_env={"x": "OPTIONAL_SECRET"}, optional=True
    )
    kubernetes.use_secret_as_env(
        task, secret_name="api", secret_key_to_env={"missing": "OPTIONAL_KEY"}, optional=True
    )
    kubernetes.use_config_map_as_env(
        task, config_map_name="settings", config_map_key_to_env={"mode": "MODE", "level": "LEVEL"}
    )
    kubernetes.add_pod_label(task, "team", "ml")
    kubernetes.add_pod_annotation(task, "owner", "alice")
    for env_name, field_path in FIELD_PATHS.items():
        kubernetes.use_field_path_as_env(task, env_name=env_name, field_path=field_path)
    kubernetes.set_timeout(task, 120)
    return task.output


@dsl.pipeline
def secret_names_from_the_pipeline(secret_name: str = "db-creds", items: list = [1, 2]) -> list:  # noqa: B006
    # The name as a pipeline parameter inside a loop (compiled to the loop's pipelinechannel-- input), and
    # as an upstream task's output.
    named = name_of_secret(name="api")
    with dsl.ParallelFor(items):
        inner = report_env(hashed=["DB_PASSWORD", "API_TOKEN"], plain=[])
        kubernetes.use_secret_as_env(
            inner, secret_name=secret_name, secret_key_to_env={"password": "DB_PASSWORD"}
        )
        kubernetes.use_secret_as_env(
            inner, secret_name=named.output, secret_key_to_env={"token": "API_TOKEN"}
        )
    return dsl.Collected(inner.output)


@dsl.pipeline
def scheduling_settings() -> dict:
    task = report_env(hashed=[], plain=["POD_NAME"])
    kubernetes.add_node_selector(task, "accelerator", "nvidia-h100")
    kubernetes.add_toleration(task, key="gpu", operator="Equal", value="yes", effect="NoSchedule")
    kubernetes.add_node_affinity(
        task, match_expressions=[{"key": "zone", "operator": "In", "values": ["a", "b"]}], weight=10
    )
    kubernetes.set_image_pull_secrets(task, ["registry-creds"])
    kubernetes.set_image_pull_policy(task, "Always")
    other = report_env(hashed=[], plain=[]).after(task)
    kubernetes.add_toleration(other, key="spot", operator="Exists", effect="NoExecute")
    return task.output


@dsl.pipeline
def missing_secret() -> dict:
    task = report_env(hashed=["X"], plain=[])
    kubernetes.use_secret_as_env(task, secret_name="no-such-secret", secret_key_to_env={"x": "X"})
    return task.output


@dsl.pipeline
def missing_secret_key() -> dict:
    task = report_env(hashed=["X"], plain=[])
    kubernetes.use_secret_as_env(task, secret_name="api", secret_key_to_env={"no-such-key": "X"})
    return task.output


@dsl.pipeline
def missing_config_map() -> dict:
    task = report_env(hashed=[], plain=["X"])
    kubernetes.use_config_map_as_env(task, config_map_name="no-such-map", config_map_key_to_env={"x": "X"})
    return task.output


@dsl.pipeline
def unknown_field_path() -> dict:
    task = report_env(hashed=[], plain=["X"])
    kubernetes.use_field_path_as_env(task, env_name="X", field_path="status.phase")
    return task.output


def _volume_pipeline(add_volume):
    @dsl.pipeline(name="volume")
    def volume() -> dict:
        task = report_env(hashed=[], plain=[])
        add_volume(task)
        return task.output

    return volume


VOLUME_PIPELINES = {
    "mount_pvc": (
        _volume_pipeline(lambda task: kubernetes.mount_pvc(task, pvc_name="my-data", mount_path="/data")),
        "my-data",
        "/data",
    ),
    "use_secret_as_volume": (
        _volume_pipeline(
            lambda task: kubernetes.use_secret_as_volume(task, secret_name="api", mount_path="/s")
        ),
        "api",
        "/s",
    ),
    "use_config_map_as_volume": (
        _volume_pipeline(
            lambda task: kubernetes.use_config_map_as_volume(
                task, config_map_name="settings", mount_path="/c"
            )
        ),
        "settings",
        "/c",
    ),
    "empty_dir_mount": (
        _volume_pipeline(
            lambda task: kubernetes.empty_dir_mount(task, volume_name="scratch", mount_path="/tmp/x")
        ),
        "scratch",
        "/tmp/x",
    ),
    "add_ephemeral_volume": (
        _volume_pipeline(
            lambda task: kubernetes.add_ephemeral_volume(
                task, volume_name="eph", mount_path="/e", access_modes=["ReadWriteOnce"], size="1Gi"
            )
        ),
        "eph",
        "/e",
    ),
}


@dsl.pipeline
def create_pvc() -> str:
    pvc = kubernetes.CreatePVC(pvc_name_suffix="-data", access_modes=["ReadWriteOnce"], size="1Gi")
    return pvc.outputs["name"]
