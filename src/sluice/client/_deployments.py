"""``sluice.Client``'s model serving methods (Sluice's ``/apis/sluice/v1`` API): deployments, their
revisions, canaries, promotion and rollback.

A ``model`` is a local path (a file or folder: uploaded into the service's artifact root first), an
artifact URI under that root, or ``RUN_ID/TASK/OUTPUT`` (a run's output artifact). A ``predictor`` is
``"sklearn"`` or ``"FILE.py:CLASS"``: a file on this machine is sent along, otherwise it is looked up in the
model folder. Actions that load a revision wait for it by default and raise :class:`DeploymentError` with
the load error when it fails (the deployment keeps serving what it served).
"""

from __future__ import annotations

import io
import os
import tarfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sluice.client._deployment_models import Deployment, DeploymentAction, DeploymentError

__all__ = ["DeploymentMethods"]

SERVING_API = "/apis/sluice/v1"
DEFAULT_NAMESPACE = "default"


def _archive(path: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        bundle.add(path, arcname=path.name)
    return buffer.getvalue()


class DeploymentMethods:
    """Mixed into :class:`sluice.Client`."""

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:  # provided by Client
        raise NotImplementedError

    def _serving(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, api=SERVING_API, **kwargs)

    # ------------------------------------------------------------------------------------------ inputs

    def upload_model(self, path: str | os.PathLike[str]) -> str:
        """Copy a local model file or folder into the service's artifact root; its URI there."""
        source = Path(path)
        if not source.exists():
            raise FileNotFoundError(f"model {source} does not exist")
        files = {"uploadfile": (f"{source.name}.tar.gz", _archive(source), "application/gzip")}
        return str(self._serving("POST", "/models:upload", files=files)["uri"])

    def _model_reference(self, model: str | os.PathLike[str]) -> str:
        text = os.fspath(model)
        if "://" not in text and Path(text).exists():
            return self.upload_model(text)
        return text

    @staticmethod
    def _revision_body(
        model: str,
        predictor: str | None,
        replicas: int | None,
        resources: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model}
        if predictor is not None:
            body["predictor"] = predictor
            file, _, _ = predictor.partition(":")
            if file.endswith(".py") and Path(file).is_file():
                body["predictor"] = f"{Path(file).name}{predictor[len(file) :]}"
                body["predictor_source"] = Path(file).read_text(encoding="utf-8")
        if replicas is not None:
            body["replicas"] = replicas
        if resources is not None:
            body["resources"] = dict(resources)
        return body

    def _settle(self, deployment: Deployment, revision: int | None, wait: bool, timeout: float) -> Deployment:
        """With ``wait``, wait for the revision the action loads (it may have loaded, or failed, already)."""
        if not wait or revision is None:
            return deployment
        return self.wait_for_deployment(
            deployment.name, revision=revision, namespace=deployment.namespace, timeout=timeout
        )

    @staticmethod
    def _newest(deployment: Deployment) -> int | None:
        """The revision a create or update made: the newest one."""
        return max((revision.number for revision in deployment.revisions), default=None)

    # ------------------------------------------------------------------------------------------ actions

    def create_deployment(
        self,
        name: str,
        model: str | os.PathLike[str],
        *,
        predictor: str | None = None,
        replicas: int | None = None,
        resources: Mapping[str, Any] | None = None,
        description: str = "",
        namespace: str = DEFAULT_NAMESPACE,
        wait: bool = True,
        timeout: float = 600.0,
    ) -> Deployment:
        """Deploy ``model`` as revision 1 of a new deployment; with ``wait``, until it serves."""
        body = self._revision_body(self._model_reference(model), predictor, replicas, resources)
        body.update(name=name, namespace=namespace, description=description)
        deployment = Deployment.from_json(self._serving("POST", "/deployments", json=body))
        return self._settle(deployment, self._newest(deployment), wait, timeout)

    def update_deployment(
        self,
        name: str,
        model: str | os.PathLike[str],
        *,
        predictor: str | None = None,
        canary_percent: int | None = None,
        replicas: int | None = None,
        resources: Mapping[str, Any] | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        wait: bool = True,
        timeout: float = 600.0,
    ) -> Deployment:
        """A new revision: all traffic once ready, or ``canary_percent`` of it. The predictor, replicas and
        resources default to the current revision's."""
        body = self._revision_body(self._model_reference(model), predictor, replicas, resources)
        if canary_percent is not None:
            body["canary_percent"] = canary_percent
        deployment = Deployment.from_json(
            self._serving("POST", f"/deployments/{name}:update", params={"namespace": namespace}, json=body)
        )
        return self._settle(deployment, self._newest(deployment), wait, timeout)

    def promote_deployment(self, name: str, *, namespace: str = DEFAULT_NAMESPACE) -> Deployment:
        """The canary takes all the traffic."""
        return Deployment.from_json(
            self._serving("POST", f"/deployments/{name}:promote", params={"namespace": namespace})
        )

    def rollback_deployment(
        self,
        name: str,
        to_revision: int | None = None,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        wait: bool = True,
        timeout: float = 600.0,
    ) -> Deployment:
        """Cancel a loading revision, else drop the canary, else serve the previous revision (or
        ``to_revision``: one no longer kept warm is loaded first, while the current one keeps serving)."""
        deployment = Deployment.from_json(
            self._serving(
                "POST",
                f"/deployments/{name}:rollback",
                params={"namespace": namespace},
                json={"to_revision": to_revision} if to_revision is not None else None,
            )
        )
        # Only a rollback to a named revision loads one (when it is not kept warm).
        return self._settle(deployment, to_revision, wait, timeout)

    def scale_deployment(self, name: str, replicas: int, *, namespace: str = DEFAULT_NAMESPACE) -> Deployment:
        return Deployment.from_json(
            self._serving(
                "POST",
                f"/deployments/{name}:scale",
                params={"namespace": namespace},
                json={"replicas": replicas},
            )
        )

    def delete_deployment(self, name: str, *, namespace: str = DEFAULT_NAMESPACE) -> None:
        self._serving("DELETE", f"/deployments/{name}", params={"namespace": namespace})

    # ------------------------------------------------------------------------------------------ reading

    def get_deployment(self, name: str, *, namespace: str = DEFAULT_NAMESPACE) -> Deployment:
        return Deployment.from_json(
            self._serving("GET", f"/deployments/{name}", params={"namespace": namespace})
        )

    def list_deployments(self, *, namespace: str | None = None) -> list[Deployment]:
        data = self._serving("GET", "/deployments", params={"namespace": namespace})
        return [Deployment.from_json(item) for item in data.get("deployments") or []]

    def deployment_history(self, name: str, *, namespace: str = DEFAULT_NAMESPACE) -> list[DeploymentAction]:
        data = self._serving("GET", f"/deployments/{name}/history", params={"namespace": namespace})
        return [DeploymentAction.from_json(item) for item in data.get("actions") or []]

    def wait_for_deployment(
        self,
        name: str,
        *,
        revision: int | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        timeout: float = 600.0,
        poll_interval: float = 0.2,
    ) -> Deployment:
        """Wait until ``revision`` (default: the one loading now) is no longer loading. Raises DeploymentError
        if it failed to load, with the load error (the deployment keeps serving what it served)."""
        deadline = time.monotonic() + timeout
        while True:
            deployment = self.get_deployment(name, namespace=namespace)
            if revision is None:
                revision = deployment.pending_revision
            if revision is None or deployment.revision(revision).state != "LOADING":
                break
            if time.monotonic() >= deadline:
                raise DeploymentError(
                    f"revision {revision} of {name!r} is still loading after {timeout:g}s", deployment
                )
            time.sleep(poll_interval)
        if revision is not None and deployment.revision(revision).state == "FAILED":
            serving = (
                f"revision {deployment.current_revision} keeps serving"
                if deployment.current_revision is not None
                else "no revision serves it"
            )
            error = deployment.revision(revision).error
            raise DeploymentError(
                f"revision {revision} of {name!r} failed to load ({serving}): {error}", deployment
            )
        return deployment
