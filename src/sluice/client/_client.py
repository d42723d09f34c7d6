"""``sluice.Client``: a typed client of the Sluice (or any KFP v2beta1) pipeline service, over httpx."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from sluice import __version__
from sluice._credentials import load_login, token_for
from sluice._home import HOST_VARIABLES, configured_host
from sluice.client._deployments import DeploymentMethods
from sluice.client._errors import ApiError
from sluice.client._models import Experiment, Page, Pipeline, PipelineVersion, RecurringRun, Run

__all__ = ["DEFAULT_HOST", "HOST_VARIABLES", "Client", "configured_host"]

DEFAULT_HOST = "http://127.0.0.1:8888"
_API = "/apis/v2beta1"
_T = TypeVar("_T")

PipelineSource = str | os.PathLike[str] | Mapping[str, Any]
Filter = str | Mapping[str, Any] | None


def _normalise_host(host: str) -> str:
    host = host.rstrip("/")
    return host if "://" in host else f"http://{host}"


def _filter_text(filter: Filter) -> str | None:
    if filter is None or isinstance(filter, str):
        return filter
    return json.dumps(filter)


def _timestamp(moment: datetime | str | None) -> str | None:
    if moment is None or isinstance(moment, str):
        return moment
    return moment.isoformat().replace("+00:00", "Z")


def _spec_of(pipeline: PipelineSource) -> dict[str, Any]:
    """A pipeline spec from a dict, or a compiled YAML/JSON file (a PipelineSpec with its PlatformSpec)."""
    if isinstance(pipeline, Mapping):
        return dict(pipeline)
    import yaml

    documents = [doc for doc in yaml.safe_load_all(Path(pipeline).read_text(encoding="utf-8")) if doc]
    if not documents:
        raise ValueError(f"{pipeline}: the file holds no pipeline spec")
    if len(documents) == 2:
        return {"pipeline_spec": documents[0], "platform_spec": documents[1]}
    return dict(documents[0])


class Client(DeploymentMethods):
    """Talks to ``sluice up`` (or KFP): ``host`` defaults to ``$SLUICE_HOST``, ``$KF_PIPELINES_ENDPOINT``,
    then ``http://127.0.0.1:8888``. Errors raise :class:`ApiError` with the service's message. Model serving
    (deployments) is Sluice's own: see :class:`~sluice.client._deployments.DeploymentMethods`."""

    def __init__(
        self,
        host: str | None = None,
        *,
        timeout: float = 30.0,
        user_agent: str | None = None,
        token: str | None = None,
    ) -> None:
        """``token``: the API token of a multi-user service (default: ``$SLUICE_TOKEN``, else the one
        ``sluice login`` saved for this host); sent as ``Authorization: Bearer``, as kfp.Client does."""
        self.host = _normalise_host(host or configured_host() or load_login()[0] or DEFAULT_HOST)
        headers = {"user-agent": user_agent or f"sluice-client/{__version__}"}
        token = token or token_for(self.host)
        if token:
            headers["authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=self.host, timeout=timeout, headers=headers)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------------ plumbing

    def _request(self, method: str, path: str, *, api: str = _API, **kwargs: Any) -> Any:
        params = kwargs.pop("params", None)
        if params is not None:
            kwargs["params"] = {key: value for key, value in params.items() if value is not None}
        try:
            response = self._http.request(method, f"{api}{path}", **kwargs)
        except httpx.HTTPError as error:
            raise ApiError(
                0, 14, f"cannot reach the pipeline service at {self.host}: {error}", method, path
            ) from error
        if response.status_code >= 400:
            try:
                body = response.json()
                message, code = (
                    str(body.get("message") or body.get("error") or response.text),
                    int(body.get("code") or 0),
                )
            except (ValueError, AttributeError, TypeError):
                message, code = response.text or response.reason_phrase, 0
            raise ApiError(response.status_code, code, message, method, path)
        return response.json() if response.content else {}

    def _list(
        self,
        path: str,
        key: str,
        build: Callable[[dict[str, Any]], _T],
        *,
        page_size: int,
        page_token: str,
        sort_by: str | None = None,
        filter: Filter = None,
        **scope: str | None,
    ) -> Page[_T]:
        """One page of a collection; ``scope`` (``experiment_id``) goes first, unset parameters are left out."""
        data = self._request(
            "GET",
            path,
            params={
                **scope,
                "page_size": page_size,
                "page_token": page_token,
                "sort_by": sort_by,
                "filter": _filter_text(filter),
            },
        )
        return Page(
            [build(item) for item in data.get(key) or []],
            int(data.get("total_size") or 0),
            str(data.get("next_page_token") or ""),
        )

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", "/healthz")
        return result

    def whoami(self) -> dict[str, Any]:
        """Who the token signs in as on a multi-user service: name, admin, namespaces with roles."""
        result: dict[str, Any] = self._request("GET", "/me", api="/apis/sluice/v1")
        return result

    def queue(self, namespace: str | None = None) -> dict[str, Any]:
        """The fair queue: per namespace and user, running tasks with what they hold, pending ones with why."""
        result: dict[str, Any] = self._request(
            "GET", "/queue", api="/apis/sluice/v1", params={"namespace": namespace}
        )
        return result

    # ------------------------------------------------------------------------------------------------ pipelines

    def upload_pipeline(
        self, package: str | os.PathLike[str], name: str | None = None, *, description: str | None = None
    ) -> Pipeline:
        """Upload a compiled pipeline (YAML/JSON, .zip, .tar.gz) as a new pipeline with its first version."""
        path = Path(package)
        with path.open("rb") as handle:
            data = self._request(
                "POST",
                "/pipelines/upload",
                params={"name": name, "description": description},
                files={"uploadfile": (path.name, handle)},
            )
        return Pipeline.from_json(data)

    def upload_pipeline_version(
        self,
        package: str | os.PathLike[str],
        pipeline_id: str,
        name: str | None = None,
        *,
        description: str | None = None,
    ) -> PipelineVersion:
        path = Path(package)
        with path.open("rb") as handle:
            data = self._request(
                "POST",
                "/pipelines/upload_version",
                params={"name": name, "pipelineid": pipeline_id, "description": description},
                files={"uploadfile": (path.name, handle)},
            )
        return PipelineVersion.from_json(data)

    def get_pipeline(self, pipeline_id: str) -> Pipeline:
        return Pipeline.from_json(self._request("GET", f"/pipelines/{pipeline_id}"))

    def get_pipeline_by_name(self, name: str) -> Pipeline:
        return Pipeline.from_json(self._request("GET", f"/pipelines/names/{name}"))

    def list_pipelines(
        self,
        *,
        page_size: int = 50,
        page_token: str = "",
        sort_by: str = "created_at desc",
        filter: Filter = None,
    ) -> Page[Pipeline]:
        return self._list(
            "/pipelines",
            "pipelines",
            Pipeline.from_json,
            page_size=page_size,
            page_token=page_token,
            sort_by=sort_by,
            filter=filter,
        )

    def list_pipeline_versions(
        self, pipeline_id: str, *, page_size: int = 50, page_token: str = "", sort_by: str = "created_at desc"
    ) -> Page[PipelineVersion]:
        return self._list(
            f"/pipelines/{pipeline_id}/versions",
            "pipeline_versions",
            PipelineVersion.from_json,
            page_size=page_size,
            page_token=page_token,
            sort_by=sort_by,
        )

    def delete_pipeline(self, pipeline_id: str, *, cascade: bool = False) -> None:
        self._request("DELETE", f"/pipelines/{pipeline_id}", params={"cascade": str(cascade).lower()})

    # ------------------------------------------------------------------------------------------------ experiments

    def create_experiment(self, name: str, *, description: str = "") -> Experiment:
        return Experiment.from_json(
            self._request("POST", "/experiments", json={"display_name": name, "description": description})
        )

    def get_experiment(self, experiment_id: str) -> Experiment:
        return Experiment.from_json(self._request("GET", f"/experiments/{experiment_id}"))

    def find_experiment(self, name: str) -> Experiment | None:
        predicate = {"key": "display_name", "operation": "EQUALS", "string_value": name}
        page = self.list_experiments(filter={"predicates": [predicate]}, page_size=1)
        return page.items[0] if page.items else None

    def list_experiments(
        self,
        *,
        page_size: int = 50,
        page_token: str = "",
        sort_by: str = "created_at desc",
        filter: Filter = None,
    ) -> Page[Experiment]:
        return self._list(
            "/experiments",
            "experiments",
            Experiment.from_json,
            page_size=page_size,
            page_token=page_token,
            sort_by=sort_by,
            filter=filter,
        )

    def archive_experiment(self, experiment_id: str) -> None:
        self._request("POST", f"/experiments/{experiment_id}:archive")

    def unarchive_experiment(self, experiment_id: str) -> None:
        self._request("POST", f"/experiments/{experiment_id}:unarchive")

    def delete_experiment(self, experiment_id: str) -> None:
        self._request("DELETE", f"/experiments/{experiment_id}")

    # ------------------------------------------------------------------------------------------------ runs

    def submit(
        self,
        pipeline: PipelineSource | None = None,
        arguments: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        experiment_id: str | None = None,
        pipeline_id: str | None = None,
        pipeline_version_id: str | None = None,
        description: str = "",
    ) -> Run:
        """Create a run of a compiled pipeline (file or spec dict), or of an uploaded pipeline (version)."""
        body: dict[str, Any] = {
            "display_name": name or "",
            "description": description,
            "experiment_id": experiment_id,
            "runtime_config": {"parameters": dict(arguments or {})},
        }
        if pipeline is not None:
            body["pipeline_spec"] = _spec_of(pipeline)
        else:
            body["pipeline_version_reference"] = {
                "pipeline_id": pipeline_id,
                "pipeline_version_id": pipeline_version_id,
            }
        return Run.from_json(self._request("POST", "/runs", json=body))

    def get_run(self, run_id: str) -> Run:
        return Run.from_json(self._request("GET", f"/runs/{run_id}"))

    def list_runs(
        self,
        *,
        experiment_id: str | None = None,
        page_size: int = 50,
        page_token: str = "",
        sort_by: str = "created_at desc",
        filter: Filter = None,
    ) -> Page[Run]:
        """Runs, newest first by default; ``sort_by="metric:accuracy desc"`` and filter keys ``metric:NAME``
        use the metrics runs logged."""
        return self._list(
            "/runs",
            "runs",
            Run.from_json,
            experiment_id=experiment_id,
            page_size=page_size,
            page_token=page_token,
            sort_by=sort_by,
            filter=filter,
        )

    def wait(self, run_id: str, *, timeout: float | None = None, poll_interval: float = 0.5) -> Run:
        """Poll until the run ends; raises TimeoutError after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            run = self.get_run(run_id)
            if run.done:
                return run
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} is still {run.state} after {timeout} s")
            time.sleep(poll_interval)

    def terminate_run(self, run_id: str) -> None:
        self._request("POST", f"/runs/{run_id}:terminate")

    def retry_run(self, run_id: str) -> None:
        self._request("POST", f"/runs/{run_id}:retry")

    def archive_run(self, run_id: str) -> None:
        self._request("POST", f"/runs/{run_id}:archive")

    def unarchive_run(self, run_id: str) -> None:
        self._request("POST", f"/runs/{run_id}:unarchive")

    def delete_run(self, run_id: str) -> None:
        self._request("DELETE", f"/runs/{run_id}")

    def logs(self, run_id: str, task: str, *, follow: bool = False) -> Iterator[str]:
        """A task's log (by task id or name) as text chunks; ``follow`` streams until the task ends."""
        task_id = self._task_id(run_id, task, wait=follow)
        path = f"{_API}/runs/{run_id}/tasks/{task_id}/log"
        with self._http.stream("GET", path, params={"follow": str(follow).lower()}, timeout=None) as response:
            if response.status_code >= 400:
                response.read()
                self._raise_for(response, "GET", path)
            yield from response.iter_text()

    def read_artifact(self, run_id: str, task: str, artifact_name: str) -> bytes:
        """The content of a task's output artifact (a file)."""
        import base64

        data = self._request("GET", f"/runs/{run_id}/nodes/{task}/artifacts/{artifact_name}:read")
        return base64.b64decode(data.get("data") or "")

    def _task_id(self, run_id: str, task: str, *, wait: bool = False) -> str:
        """The id of a task (given by id, path or name); with ``wait``, waits for a task not created yet."""
        while True:
            run = self.get_run(run_id)
            for candidate in run.tasks:
                if task in (candidate.task_id, candidate.path):
                    return candidate.task_id
            try:
                return run.task(task).task_id
            except KeyError:
                if not wait or run.done:
                    raise ApiError(
                        404, 5, f"run {run_id} has no task {task!r}", "GET", f"/runs/{run_id}"
                    ) from None
            time.sleep(0.2)

    def _raise_for(self, response: httpx.Response, method: str, path: str) -> None:
        try:
            body = response.json()
            raise ApiError(
                response.status_code, int(body.get("code") or 0), str(body.get("message")), method, path
            )
        except ValueError:
            raise ApiError(response.status_code, 0, response.text, method, path) from None

    # ------------------------------------------------------------------------------------------------ recurring

    def create_recurring_run(
        self,
        name: str,
        pipeline: PipelineSource | None = None,
        arguments: Mapping[str, Any] | None = None,
        *,
        cron: str | None = None,
        time_zone: str | None = None,
        interval_seconds: int | None = None,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        max_concurrency: int = 1,
        no_catchup: bool = False,
        enabled: bool = True,
        experiment_id: str | None = None,
        pipeline_id: str | None = None,
        pipeline_version_id: str | None = None,
    ) -> RecurringRun:
        """Run a pipeline on a cron schedule (in ``time_zone``) or every ``interval_seconds``."""
        if (cron is None) == (interval_seconds is None):
            raise ValueError("give exactly one of cron and interval_seconds")
        window = {"start_time": _timestamp(start_time), "end_time": _timestamp(end_time)}
        trigger = (
            {"cron_schedule": {**window, "cron": cron, "time_zone": time_zone}}
            if cron is not None
            else {"periodic_schedule": {**window, "interval_second": str(interval_seconds)}}
        )
        body: dict[str, Any] = {
            "display_name": name,
            "experiment_id": experiment_id,
            "runtime_config": {"parameters": dict(arguments or {})},
            "trigger": trigger,
            "max_concurrency": str(max_concurrency),
            "no_catchup": no_catchup,
            "mode": "ENABLE" if enabled else "DISABLE",
        }
        if pipeline is not None:
            body["pipeline_spec"] = _spec_of(pipeline)
        else:
            body["pipeline_version_reference"] = {
                "pipeline_id": pipeline_id,
                "pipeline_version_id": pipeline_version_id,
            }
        return RecurringRun.from_json(self._request("POST", "/recurringruns", json=body))

    def get_recurring_run(self, recurring_run_id: str) -> RecurringRun:
        return RecurringRun.from_json(self._request("GET", f"/recurringruns/{recurring_run_id}"))

    def list_recurring_runs(
        self, *, experiment_id: str | None = None, page_size: int = 50, page_token: str = ""
    ) -> Page[RecurringRun]:
        return self._list(
            "/recurringruns",
            "recurringRuns",
            RecurringRun.from_json,
            experiment_id=experiment_id,
            page_size=page_size,
            page_token=page_token,
        )

    def enable_recurring_run(self, recurring_run_id: str) -> None:
        self._request("POST", f"/recurringruns/{recurring_run_id}:enable")

    def disable_recurring_run(self, recurring_run_id: str) -> None:
        self._request("POST", f"/recurringruns/{recurring_run_id}:disable")

    def delete_recurring_run(self, recurring_run_id: str) -> None:
        self._request("DELETE", f"/recurringruns/{recurring_run_id}")
