"""``deploy_model``: a prebuilt component that puts a pipeline's Model behind a stable REST URL.

Use it like any component: ``deploy_model(model=train.outputs["model"], deployment="churn")``. It creates
the deployment, or adds a revision to it (all traffic once ready, or ``canary_percent`` of it), waits until
the revision serves, and returns the URL and revision number. A model that fails to load fails the task
with the load error; the deployment keeps serving what it served.

It talks to the pipeline service: ``host``, else ``$SLUICE_HOST`` (``sluice up`` gives its tasks its own
address), else ``$KF_PIPELINES_ENDPOINT``, else http://127.0.0.1:8888. The function is self-contained
(standard library only) because its source is what the task runs.
"""

# No `from __future__ import annotations`: the component's signature is read at definition time.
from typing import NamedTuple

from sluice import dsl
from sluice.dsl import Input, Model

__all__ = ["deploy_model"]


@dsl.component
def deploy_model(  # noqa: PLR0917  (a component's inputs are its parameters)
    model: Input[Model],
    deployment: str,
    predictor: str = "",
    canary_percent: int = 0,
    replicas: int = 0,
    namespace: str = "default",
    host: str = "",
    timeout_seconds: float = 600.0,
) -> NamedTuple("Deployed", [("url", str), ("revision", int)]):  # type: ignore[valid-type]
    """Deploy ``model`` as the deployment's next revision (creating the deployment the first time).

    predictor: "sklearn" or FILE.py:CLASS; empty: the model folder's predictor.py, or scikit-learn for a
        .joblib/.pkl file (an update keeps the current revision's predictor).
    canary_percent: 1-99 to start the new revision as a canary; 0 gives it all traffic once ready.
    replicas: model server processes (0: 1 for a new deployment, the current revision's for an update).
    """
    import json
    import os
    import time
    import urllib.error
    import urllib.parse
    import urllib.request
    from collections import namedtuple
    from typing import Any

    base = (
        host
        or os.environ.get("SLUICE_HOST")
        or os.environ.get("KF_PIPELINES_ENDPOINT")
        or "http://127.0.0.1:8888"
    ).rstrip("/")
    if "://" not in base:
        base = "http://" + base
    api = f"{base}/apis/sluice/v1/deployments"
    query = "?" + urllib.parse.urlencode({"namespace": namespace})
    agent = f"sluice-deploy-model (run {os.environ.get('SLUICE_RUN_ID', 'unknown')})"

    def call(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            url, data=data, method=method, headers={"content-type": "application/json", "user-agent": agent}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                document: dict[str, Any] = json.loads(response.read() or b"{}")
                return int(response.status), document
        except urllib.error.HTTPError as error:
            try:
                message = json.loads(error.read()).get("message")
            except ValueError:
                message = error.reason
            return int(error.code), {"message": message}
        except urllib.error.URLError as error:
            raise RuntimeError(
                f"cannot reach the Sluice service at {base} (is `sluice up` running?): {error.reason}"
            ) from None

    body: dict[str, Any] = {"model": model.uri}
    if predictor:
        body["predictor"] = predictor
        file = predictor.split(":", 1)[0]
        if file.endswith(".py") and os.path.isfile(file):
            body["predictor"] = os.path.basename(file) + predictor[len(file) :]
            with open(file, encoding="utf-8") as handle:
                body["predictor_source"] = handle.read()
    if replicas:
        body["replicas"] = replicas
    status, found = call("GET", f"{api}/{deployment}{query}")
    if status == 404:
        status, answer = call("POST", api, {**body, "name": deployment, "namespace": namespace})
    elif status == 200:
        if canary_percent:
            body["canary_percent"] = canary_percent
        status, answer = call("POST", f"{api}/{deployment}:update{query}", body)
    else:
        raise RuntimeError(f"deployment {deployment!r}: {found.get('message')}")
    if status != 200:
        raise RuntimeError(f"deployment {deployment!r} refused the model: {answer.get('message')}")
    # The newest revision is this one (it may already have loaded, or failed, by now).
    revision = max(item["number"] for item in answer["revisions"])
    print(f"deployment {namespace}/{deployment}: revision {revision} is loading ({model.uri})")
    deadline = time.monotonic() + timeout_seconds
    while True:
        status, current = call("GET", f"{api}/{deployment}{query}")
        if status != 200:
            raise RuntimeError(f"deployment {deployment!r}: {current.get('message')}")
        loaded = next(item for item in current["revisions"] if item["number"] == revision)
        if loaded["state"] != "LOADING":
            break
        if time.monotonic() >= deadline:
            raise RuntimeError(
                f"revision {revision} of {deployment!r} did not load within {timeout_seconds:g}s"
            )
        time.sleep(0.5)
    if loaded["state"] == "FAILED":
        raise RuntimeError(f"revision {revision} of {deployment!r} failed to load: {loaded['error']}")
    shares = ", ".join(f"{share['percent']}% to revision {share['revision']}" for share in current["traffic"])
    print(f"deployment {namespace}/{deployment}: revision {revision} serves at {current['url']} ({shares})")
    Deployed = namedtuple("Deployed", ["url", "revision"])
    return Deployed(current["url"], revision)
