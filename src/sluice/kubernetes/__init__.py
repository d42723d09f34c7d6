"""Kubernetes settings for tasks, with kfp-kubernetes' function names and arguments (``kfp.kubernetes``).

Each function changes ``task.platform_config['kubernetes']``; the compiler writes them to the pipeline's
PlatformSpec as kfp-kubernetes does, and the engine applies what one machine can (see docs/engine.md):
secrets, config maps and field paths as environment variables, pod labels and annotations, timeouts.
Scheduling settings are recorded and warned about; volumes need a sandboxed execution profile. Standard library
only, like ``sluice.dsl``.

    from sluice import dsl, kubernetes

    task = train()
    kubernetes.use_secret_as_env(task, secret_name="db", secret_key_to_env={"password": "DB_PASSWORD"})
"""

from sluice.kubernetes._env import use_config_map_as_env, use_field_path_as_env, use_secret_as_env
from sluice.kubernetes._pod import (
    add_node_affinity,
    add_node_affinity_json,
    add_node_selector,
    add_node_selector_json,
    add_pod_annotation,
    add_pod_label,
    add_toleration,
    add_toleration_json,
    set_image_pull_policy,
    set_image_pull_secrets,
    set_security_context,
    set_timeout,
)
from sluice.kubernetes._volumes import (
    CreatePVC,
    DeletePVC,
    add_ephemeral_volume,
    empty_dir_mount,
    mount_pvc,
    use_config_map_as_volume,
    use_secret_as_volume,
)

__all__ = [
    "CreatePVC",
    "DeletePVC",
    "add_ephemeral_volume",
    "add_node_affinity",
    "add_node_affinity_json",
    "add_node_selector",
    "add_node_selector_json",
    "add_pod_annotation",
    "add_pod_label",
    "add_toleration",
    "add_toleration_json",
    "empty_dir_mount",
    "mount_pvc",
    "set_image_pull_policy",
    "set_image_pull_secrets",
    "set_security_context",
    "set_timeout",
    "use_config_map_as_env",
    "use_config_map_as_volume",
    "use_field_path_as_env",
    "use_secret_as_env",
    "use_secret_as_volume",
]
