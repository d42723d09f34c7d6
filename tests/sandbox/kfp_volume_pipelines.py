"""Pipelines with kfp-kubernetes volumes, written with the official kfp and kfp-kubernetes SDKs and compiled
by kfp (tests/sandbox/test_volumes.py runs them under the ``restricted`` profile).

No ``from __future__ import annotations``: kfp reads component annotations as live objects.
"""

from kfp import dsl, kubernetes

IMAGE = "python:3.11"


@dsl.component(base_image=IMAGE)
def write_note(folder: str, text: str) -> str:
    import os

    with open(os.path.join(folder, "note.txt"), "a") as note:
        note.write(text + "\n")
    return "written"


@dsl.component(base_image=IMAGE)
def read_note(folder: str) -> str:
    import os

    with open(os.path.join(folder, "note.txt")) as note:
        return note.read()


@dsl.component(base_image=IMAGE)
def list_folder(folder: str) -> dict:
    """Each file's SHA-256 (a secret's value never becomes an output)."""
    import hashlib
    import os

    found = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as source:
            found[name] = hashlib.sha256(source.read()).hexdigest()
    return found


@dsl.component(base_image=IMAGE)
def mounts_at(paths: list) -> dict:
    kinds = {}
    with open("/proc/self/mounts") as table:
        for line in table:
            parts = line.split()
            if parts[1] in paths:
                kinds[parts[1]] = parts[2]
    return kinds


@dsl.pipeline(name="pvc-round-trip")
def pvc_round_trip(text: str = "hello") -> str:
    made = kubernetes.CreatePVC(pvc_name_suffix="-scratch", access_modes=["ReadWriteOnce"], size="1Gi")
    writer = write_note(folder="/mnt/data", text=text)
    kubernetes.mount_pvc(writer, pvc_name=made.outputs["name"], mount_path="/mnt/data")
    reader = read_note(folder="/mnt/data").after(writer)
    kubernetes.mount_pvc(reader, pvc_name=made.outputs["name"], mount_path="/mnt/data")
    deleted = kubernetes.DeletePVC(pvc_name=made.outputs["name"]).after(reader)
    del deleted
    return reader.output


@dsl.pipeline(name="named-volume")
def named_volume(text: str = "first") -> str:
    kubernetes.CreatePVC(
        pvc_name="shared", access_modes=["ReadWriteMany"], size="5Gi", storage_class_name="fast"
    )
    writer = write_note(folder="/shared", text=text)
    kubernetes.mount_pvc(writer, pvc_name="shared", mount_path="/shared")
    reader = read_note(folder="/shared").after(writer)
    kubernetes.mount_pvc(reader, pvc_name="shared", mount_path="/shared")
    return reader.output


@dsl.pipeline(name="files-from-objects")
def files_from_objects() -> dict:
    task = list_folder(folder="/etc/creds")
    kubernetes.use_secret_as_volume(task, secret_name="api", mount_path="/etc/creds")
    settings = list_folder(folder="/config")
    kubernetes.use_config_map_as_volume(settings, config_map_name="settings", mount_path="/config")
    return task.output


@dsl.pipeline(name="empty-dirs")
def empty_dirs() -> dict:
    task = mounts_at(paths=["/scratch", "/fast", "/eph"])
    kubernetes.empty_dir_mount(task, volume_name="scratch", mount_path="/scratch", size_limit="1Gi")
    kubernetes.empty_dir_mount(
        task, volume_name="fast", mount_path="/fast", medium="Memory", size_limit="64Mi"
    )
    kubernetes.add_ephemeral_volume(
        task, volume_name="eph", mount_path="/eph", access_modes=["ReadWriteOnce"], size="2Gi"
    )
    return task.output


@dsl.pipeline(name="missing-volume")
def missing_volume() -> str:
    task = read_note(folder="/d")
    kubernetes.mount_pvc(task, pvc_name="nowhere", mount_path="/d")
    return task.output


@dsl.component(base_image=IMAGE)
def flaky_reader(state: str, secrets: str) -> str:
    """Fails on its first attempt (leaving a mark in a volume), reads the secret file on the next."""
    import hashlib
    import os

    mark = os.path.join(state, "tried")
    if not os.path.exists(mark):
        open(mark, "w").close()
        raise RuntimeError("first attempt fails on purpose")
    with open(os.path.join(secrets, "token"), "rb") as source:
        return hashlib.sha256(source.read()).hexdigest()


@dsl.pipeline(name="retried-with-volumes")
def retried_with_volumes() -> str:
    kubernetes.CreatePVC(pvc_name="state", access_modes=["ReadWriteOnce"], size="1Gi")
    task = flaky_reader(state="/state", secrets="/secrets").set_retry(num_retries=1, backoff_duration="0s")
    kubernetes.mount_pvc(task, pvc_name="state", mount_path="/state")
    kubernetes.use_secret_as_volume(task, secret_name="api", mount_path="/secrets")
    return task.output
