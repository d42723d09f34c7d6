"""Every kfp-kubernetes setting, through ``sluice.kubernetes`` (``kfp.kubernetes`` on the kfp side): the
PlatformSpec must come out as kfp-kubernetes writes it, references rewritten for loops, conditions and
sub-pipelines, and the executors of tasks with different settings kept apart."""

# kfp-style pipeline code on purpose: list defaults, tasks kept in variables.
# ruff: noqa: B006

from sluice import dsl, kubernetes


@dsl.component
def name_of(text: str) -> str:
    return text


@dsl.component
def work(text: str) -> str:
    return text


@dsl.pipeline
def inner(text: str = "in") -> str:
    task = work(text=text)
    kubernetes.use_secret_as_env(task, secret_name="inner-secret", secret_key_to_env={"k": "INNER"})
    kubernetes.add_pod_label(task, "where", "inner")
    return task.output


@dsl.pipeline
def kubernetes_settings(secret: str = "creds", pvc: str = "data", items: list = [1, 2], mode: str = "a"):
    named = name_of(text="api")
    task = work(text="all settings")
    kubernetes.use_secret_as_env(
        task, secret_name="creds", secret_key_to_env={"password": "PW"}, optional=True
    )
    kubernetes.use_secret_as_env(task, secret_name=secret, secret_key_to_env={"user": "USER"})
    kubernetes.use_secret_as_env(task, secret_name=named.output, secret_key_to_env={"token": "TOKEN"})
    kubernetes.use_config_map_as_env(task, config_map_name="cm", config_map_key_to_env={"k": "K", "j": "J"})
    kubernetes.use_field_path_as_env(task, env_name="POD", field_path="metadata.name")
    kubernetes.add_pod_label(task, "team", "ml")
    kubernetes.add_pod_label(task, "tier", "gold")
    kubernetes.add_pod_annotation(task, "owner", "alice")
    kubernetes.add_node_selector(task, "gpu", "h100")
    kubernetes.add_node_selector_json(task, {"disk": "ssd"})
    kubernetes.add_toleration(
        task, key="k", operator="Equal", value="v", effect="NoSchedule", toleration_seconds=30
    )
    kubernetes.add_toleration_json(
        task, [{"key": "a", "operator": "Exists"}, {"key": "b", "effect": "NoExecute"}]
    )
    kubernetes.add_node_affinity(
        task,
        match_expressions=[{"key": "zone", "operator": "In", "values": ["a", "b"]}],
        match_fields=[{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}],
        weight=5,
    )
    kubernetes.add_node_affinity(task, match_expressions=[{"key": "x", "operator": "Exists"}])
    kubernetes.add_node_affinity_json(
        task, {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}
    )
    kubernetes.set_image_pull_secrets(task, ["registry", secret])
    kubernetes.set_image_pull_policy(task, "IfNotPresent")
    kubernetes.set_timeout(task, 300)
    kubernetes.set_security_context(task, run_as_user=1000, run_as_group=0, run_as_non_root=True)
    kubernetes.use_secret_as_volume(task, secret_name="creds", mount_path="/secrets")
    kubernetes.use_config_map_as_volume(task, config_map_name="cm", mount_path="/config", optional=True)
    kubernetes.empty_dir_mount(
        task, volume_name="scratch", mount_path="/scratch", medium="Memory", size_limit="1Gi"
    )
    kubernetes.empty_dir_mount(task, volume_name="plain", mount_path="/plain")
    kubernetes.add_ephemeral_volume(
        task, volume_name="eph", mount_path="/eph", access_modes=["ReadWriteOnce"], size="1Gi"
    )
    kubernetes.add_ephemeral_volume(
        task,
        volume_name="eph2",
        mount_path="/eph2",
        access_modes=["ReadWriteMany"],
        size="2Gi",
        storage_class_name="fast",
        labels={"l": "1"},
        annotations={"a": "2"},
    )
    kubernetes.mount_pvc(task, pvc_name="fixed", mount_path="/fixed", sub_path="sub")
    kubernetes.mount_pvc(task, pvc_name=pvc, mount_path="/param")
    kubernetes.mount_pvc(task, pvc_name=named.output, mount_path="/upstream")

    plain = work(text="no settings")
    timed = work(text="timeout only").after(plain)
    kubernetes.set_timeout(timed, 10)
    kubernetes.set_timeout(timed, 0)  # 0 removes it, as in kfp-kubernetes
    kubernetes.set_timeout(timed, 20)

    with dsl.ParallelFor(items):
        looped = work(text="in a loop")
        kubernetes.use_secret_as_env(looped, secret_name=secret, secret_key_to_env={"user": "USER"})
        kubernetes.use_secret_as_env(looped, secret_name=named.output, secret_key_to_env={"token": "TOKEN"})
        kubernetes.mount_pvc(looped, pvc_name=pvc, mount_path="/param")

    with dsl.If(mode == "a"):
        conditional = work(text="in a condition")
        kubernetes.use_config_map_as_env(
            conditional, config_map_name=secret, config_map_key_to_env={"k": "K"}
        )

    inner(text="sub")
