"""CreatePVC, mount_pvc and DeletePVC with the official kfp and kfp-kubernetes SDKs (test_kubernetes_dsl.py
compiles the same pipeline with sluice.kubernetes). No ``from __future__ import annotations``: kfp reads
annotations as live objects."""

from kfp import dsl, kubernetes


@dsl.component(base_image="python:3.11")
def work(text: str) -> str:
    return text


@dsl.pipeline(name="pvc")
def pvc_pipeline():
    pvc = kubernetes.CreatePVC(
        pvc_name_suffix="-data", access_modes=["ReadWriteOnce"], size="1Gi", storage_class_name="std"
    )
    task = work(text="x")
    kubernetes.mount_pvc(task, pvc_name=pvc.outputs["name"], mount_path="/data")
    kubernetes.DeletePVC(pvc_name=pvc.outputs["name"]).after(task)
