"""``sluice up --multi-user``: sign-in on every route, namespaces and roles, nothing leaking across them, the
audit log, the sign-in proxy's header believed only from the proxy, and the official kfp.Client with a token."""

from __future__ import annotations

import re
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.auth import Directory
from sluice.store import Store
from tests.server.conftest import API, SLUICE, ServerProcess, assert_kfp_error, wait_for_run


@dataclass
class Team:
    server: ServerProcess
    tokens: dict[str, str]  # user -> token

    def as_user(self, user: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=self.server.url, timeout=30, headers=headers)


def make_users(home: Path) -> dict[str, str]:
    """admin (platform admin); alice owns team-a, victor views it; bob owns team-b."""
    home.mkdir(parents=True, exist_ok=True)
    store = Store.open(f"sqlite:///{home / 'sluice.db'}")
    try:
        directory = Directory(store)
        tokens = {
            name: directory.create_user(name, admin=name == "admin")
            for name in ("admin", "alice", "bob", "victor")
        }
        directory.create_namespace("team-a", owner="alice")
        directory.create_namespace("team-b", owner="bob")
        directory.set_member("team-a", "victor", "view")
    finally:
        store.close()
    return tokens


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    home = tmp_path_factory.mktemp("team") / "home"
    tokens = make_users(home)
    server = ServerProcess(
        home,
        None,
        extra_args=[
            "--multi-user",
            "--trusted-user-header",
            "kubeflow-userid",
            "--trusted-proxy",
            "127.0.0.5",
        ],
    ).start()
    yield Team(server, tokens)
    server.stop()


@pytest.fixture(scope="module")
def objects(team: Team, packages: dict[str, Path]) -> dict[str, str]:
    """In team-a (by alice): an experiment, a finished run with an artifact, a recurring run."""
    with team.as_user("alice") as api:
        experiment = api.post(
            f"{API}/experiments", json={"display_name": "a-exp", "namespace": "team-a"}
        ).json()
        spec = _spec(packages["trainer"])
        run = api.post(
            f"{API}/runs",
            json={
                "display_name": "a-run",
                "experiment_id": experiment["experiment_id"],
                "pipeline_spec": spec,
            },
        ).json()
        assert "run_id" in run, run
        done = wait_for_run(api, run["run_id"])
        assert done["state"] == "SUCCEEDED", done
        recurring = api.post(
            f"{API}/recurringruns",
            json={
                "display_name": "a-nightly",
                "experiment_id": experiment["experiment_id"],
                "pipeline_spec": spec,
                "trigger": {"cron_schedule": {"cron": "0 0 3 * * *"}},
                "mode": "DISABLE",
            },
        ).json()
        assert "recurring_run_id" in recurring, recurring
        task = next(t for t in done["run_details"]["task_details"] if t["display_name"] == "train")
        artifact_ids = [i for output in (task.get("outputs") or {}).values() for i in output["artifact_ids"]]
    return {
        "experiment_id": experiment["experiment_id"],
        "run_id": run["run_id"],
        "recurring_run_id": recurring["recurring_run_id"],
        "task_id": task["task_id"],
        "artifact_id": artifact_ids[0] if artifact_ids else "none",
    }


def _spec(package: Path) -> dict[str, Any]:
    import yaml

    return dict(yaml.safe_load(package.read_text()))


def test_healthz_says_multi_user_and_needs_no_token(team: Team) -> None:
    with team.as_user(None) as api:
        assert api.get(f"{API}/healthz").json()["multi_user"] is True


def test_no_token_or_a_bad_one_is_401_with_a_kfp_body(team: Team) -> None:
    with team.as_user(None) as api:
        assert_kfp_error(api.get(f"{API}/runs"), 401, "Bearer")
        assert_kfp_error(api.get(f"{API}/runs", headers={"Authorization": "Bearer sluice_wrong"}), 401)
        assert_kfp_error(api.get(f"{API}/runs", headers={"Authorization": "Basic YWxpY2U6eA=="}), 401)
        # The UI's pages are served (they show the sign-in page); the API is not.
        assert api.get("/").status_code == 200


def test_members_see_their_namespace_only(team: Team, objects: dict[str, str]) -> None:
    with team.as_user("alice") as alice, team.as_user("bob") as bob, team.as_user("victor") as victor:
        assert [
            r["run_id"] for r in alice.get(f"{API}/runs", params={"namespace": "team-a"}).json()["runs"]
        ] == [objects["run_id"]]
        assert victor.get(f"{API}/runs/{objects['run_id']}").status_code == 200
        # bob: team-a's lists are refused, his own are empty, and nothing of team-a shows anywhere.
        assert_kfp_error(bob.get(f"{API}/runs", params={"namespace": "team-a"}), 403, "team-a")
        assert_kfp_error(bob.get(f"{API}/experiments", params={"namespace": "team-a"}), 403)
        for listing, key in (
            ("runs", "runs"),
            ("experiments", "experiments"),
            ("recurringruns", "recurringRuns"),
        ):
            body = bob.get(f"{API}/{listing}").json()
            assert not body.get(key) and not body.get("total_size"), (listing, body)
        filtered = bob.get(
            f"{API}/runs",
            params={
                "filter": '{"predicates":[{"key":"display_name","operation":"EQUALS","string_value":"a-run"}]}'
            },
        ).json()
        assert not filtered.get("runs") and not filtered.get("total_size")
        assert bob.get(f"{API}/runs", params={"experiment_id": objects["experiment_id"]}).status_code == 404
        # Objects of team-a by id: as if they did not exist.
        for path in (
            f"/runs/{objects['run_id']}",
            f"/experiments/{objects['experiment_id']}",
            f"/recurringruns/{objects['recurring_run_id']}",
            f"/runs/{objects['run_id']}/tasks/{objects['task_id']}/log",
            f"/runs/{objects['run_id']}/nodes/train/artifacts/model:read",
        ):
            assert_kfp_error(bob.get(f"{API}{path}"), 404)


def test_viewers_cannot_write_and_outsiders_cannot_touch(team: Team, objects: dict[str, str]) -> None:
    with team.as_user("victor") as victor, team.as_user("bob") as bob:
        assert_kfp_error(victor.post(f"{API}/runs/{objects['run_id']}:archive"), 403, "view", "edit")
        assert_kfp_error(
            victor.post(f"{API}/experiments", json={"display_name": "nope", "namespace": "team-a"}),
            403,
            "view",
        )
        assert_kfp_error(bob.post(f"{API}/runs/{objects['run_id']}:terminate"), 404)
        assert_kfp_error(bob.delete(f"{API}/experiments/{objects['experiment_id']}"), 404)
        assert_kfp_error(
            bob.post(f"{API}/runs", json={"experiment_id": objects["experiment_id"], "pipeline_spec": {}}),
            404,
        )


def test_a_task_of_another_run_is_not_reachable_through_ones_own_run(
    team: Team, packages: dict[str, Path]
) -> None:
    with team.as_user("bob") as bob, team.as_user("alice") as alice:
        experiment = bob.post(
            f"{API}/experiments", json={"display_name": "b-exp", "namespace": "team-b"}
        ).json()
        run = bob.post(
            f"{API}/runs",
            json={"experiment_id": experiment["experiment_id"], "pipeline_spec": _spec(packages["adder"])},
        ).json()
        alice_experiment = alice.post(
            f"{API}/experiments", json={"display_name": "a-exp-tasks", "namespace": "team-a"}
        ).json()
        alice_run = alice.post(
            f"{API}/runs",
            json={
                "experiment_id": alice_experiment["experiment_id"],
                "pipeline_spec": _spec(packages["adder"]),
            },
        ).json()
        wait_for_run(bob, run["run_id"])
        done = wait_for_run(alice, alice_run["run_id"])
        alice_task = done["run_details"]["task_details"][0]
        assert_kfp_error(bob.get(f"{API}/runs/{run['run_id']}/tasks/{alice_task['task_id']}/log"), 404)


def test_runs_record_who_created_them_and_writes_are_audited(team: Team, objects: dict[str, str]) -> None:
    with team.as_user("alice") as alice:
        assert alice.get(f"{API}/runs/{objects['run_id']}").json()["created_by"] == "alice"
    with team.as_user("victor") as victor:  # a viewer's write: refused, and recorded as refused
        assert_kfp_error(victor.post(f"{API}/runs/{objects['run_id']}:archive"), 403)
    result = subprocess.run(
        [SLUICE, "admin", "audit", "--namespace", "team-a", "--json"],
        env={"SLUICE_HOME": str(team.server.home), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    entries = json.loads(result.stdout)
    actions = [(e["actor"], e["action"], e["status"]) for e in entries]
    assert ("alice", "POST /apis/v2beta1/experiments", 200) in actions
    assert ("alice", "POST /apis/v2beta1/runs", 200) in actions
    assert ("victor", "POST /apis/v2beta1/runs/{run_id}:archive", 403) in actions
    assert all(e["source"] == "127.0.0.1" for e in entries)
    for token in team.tokens.values():
        assert token not in result.stdout
        assert token not in team.server.log()


def test_the_proxy_header_is_believed_only_from_the_trusted_proxy(team: Team) -> None:
    header = {"kubeflow-userid": "accounts.google.com:alice"}
    with httpx.Client(base_url=team.server.url, timeout=30, headers=header) as direct:
        # From 127.0.0.1, which is not the proxy: ignored, so no identity.
        assert_kfp_error(direct.get(f"{API}/runs"), 401)
    proxied = httpx.Client(
        base_url=team.server.url,
        timeout=30,
        headers=header,
        transport=httpx.HTTPTransport(local_address="127.0.0.5"),
    )
    with proxied:
        response = proxied.get("/apis/sluice/v1/me")
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "alice"
        assert proxied.get(f"{API}/runs", params={"namespace": "team-a"}).status_code == 200
        assert_kfp_error(proxied.get(f"{API}/runs", params={"namespace": "team-b"}), 403)


def test_every_route_refuses_strangers_outsiders_and_viewers(team: Team, objects: dict[str, str]) -> None:
    """Table-driven over the served OpenAPI: no token, a member of another namespace, a viewer writing."""
    with team.as_user("admin") as admin:
        document = admin.get(f"{API}/openapi.json").json()
    values = {**objects, "node_id": "train", "artifact_name": "model", "name": "anything", "pipeline_id": "x"}
    calls = []
    for path, methods in document["paths"].items():
        if path.endswith("/healthz"):
            continue
        concrete = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), path)
        for method in methods:
            calls.append((method.upper(), path, concrete))
    assert len(calls) > 40
    query = {"namespace": "team-a", "experiment_id": objects["experiment_id"], "run_id": objects["run_id"]}
    body = {"namespace": "team-a", "experiment_id": objects["experiment_id"], "display_name": "x"}
    # What any signed-in user may read: who they are, and the shared pipelines (none of team-a's data).
    open_to_all = {
        ("GET", "/apis/sluice/v1/me"),
        ("GET", "/apis/sluice/v1/namespaces"),
        ("GET", f"{API}/pipelines"),
    }
    refused = (400, 403, 404, 405, 422)
    with team.as_user(None) as stranger, team.as_user("bob") as bob, team.as_user("victor") as victor:
        for method, template, path in calls:
            kwargs: dict[str, Any] = {"params": query}
            if method in ("POST", "PUT", "PATCH"):
                kwargs["json"] = body
            response = stranger.request(method, path, **kwargs)
            assert response.status_code == 401, (method, template, response.status_code, response.text)
            response = bob.request(method, path, **kwargs)
            assert response.status_code < 500, (method, template, response.text)
            if (method, template) not in open_to_all:
                assert response.status_code in refused, (method, template, response.text)
            assert "a-run" not in response.text and "a-exp" not in response.text, (method, template)
            if method != "GET":
                response = victor.request(method, path, **kwargs)
                assert response.status_code in refused, (method, template, response.text)


def test_official_kfp_client_with_a_token_and_a_namespace(team: Team, packages: dict[str, Path]) -> None:
    import kfp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alice = kfp.Client(host=team.server.url, existing_token=team.tokens["alice"], namespace="team-a")
        bob = kfp.Client(host=team.server.url, existing_token=team.tokens["bob"], namespace="team-b")
    experiment = alice.create_experiment("kfp-team", namespace="team-a")
    run = alice.create_run_from_pipeline_package(
        str(packages["sleepy"]), arguments={"seconds": 60}, experiment_name="kfp-team", namespace="team-a"
    )
    assert alice.get_run(run.run_id).experiment_id == experiment.experiment_id
    listed = alice.list_runs(namespace="team-a", experiment_id=experiment.experiment_id)
    assert [r.run_id for r in listed.runs] == [run.run_id]
    # bob, not a member: every call refused.
    for call in (
        lambda: bob.get_run(run.run_id),
        lambda: bob.list_runs(namespace="team-a"),
        lambda: bob.create_experiment("intruder", namespace="team-a"),
        lambda: bob.terminate_run(run.run_id),
        lambda: bob.create_run_from_pipeline_package(
            str(packages["adder"]), arguments={"a": 1, "b": 2}, experiment_id=experiment.experiment_id
        ),
    ):
        with pytest.raises(Exception) as refused:
            call()
        assert getattr(refused.value, "status", None) in (403, 404), refused.value
    alice.terminate_run(run.run_id)
    with team.as_user("alice") as api:
        assert wait_for_run(api, run.run_id)["state"] == "CANCELED"


def test_a_cache_hit_never_crosses_namespaces(team: Team, packages: dict[str, Path]) -> None:
    spec = _spec(packages["adder"])
    ids: dict[str, list[dict[str, Any]]] = {}
    for user, namespace in (("alice", "team-a"), ("alice", "team-a"), ("bob", "team-b")):
        with team.as_user(user) as api:
            experiment = api.post(
                f"{API}/experiments", json={"display_name": f"cache-{namespace}", "namespace": namespace}
            )
            experiment_id = experiment.json().get("experiment_id") or next(
                e["experiment_id"]
                for e in api.get(f"{API}/experiments", params={"namespace": namespace}).json()["experiments"]
                if e["display_name"] == f"cache-{namespace}"
            )
            run = api.post(
                f"{API}/runs",
                json={
                    "experiment_id": experiment_id,
                    "pipeline_spec": spec,
                    "runtime_config": {"parameters": {"a": 7, "b": 9}},
                },
            ).json()
            done = wait_for_run(api, run["run_id"])
            ids.setdefault(namespace, []).append(done)

    def cached(run: dict[str, Any]) -> bool:
        return any(
            t["state"] == "CACHED" or t.get("cached_from_task_id")
            for t in run["run_details"]["task_details"]
            if t["display_name"] == "add"
        )

    assert cached(ids["team-a"][1])  # the same namespace reuses
    assert not cached(ids["team-b"][0])  # another namespace runs it again


def test_refuses_a_public_address_without_sign_in(tmp_path: Path) -> None:
    result = subprocess.run(
        [SLUICE, "up", "--host", "0.0.0.0", "--port", "1"],
        env={"SLUICE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--multi-user" in result.stderr and "--insecure-no-auth" in result.stderr


def test_the_ui_cookie_signs_in_reads_only(team: Team, objects: dict[str, str]) -> None:
    cookie = {"Cookie": f"sluice_token={team.tokens['alice']}"}
    with team.as_user(None) as api:
        assert api.get(f"{API}/runs/{objects['run_id']}", headers=cookie).status_code == 200
        # A write needs the header: a form another page submits carries the cookie, never the header.
        assert_kfp_error(api.post(f"{API}/runs/{objects['run_id']}:archive", headers=cookie), 401)


def test_pipelines_are_shared_or_namespaced(team: Team) -> None:
    with team.as_user("alice") as alice, team.as_user("bob") as bob, team.as_user("victor") as victor:
        shared = alice.post(f"{API}/pipelines", json={"display_name": "shared-pipe"}).json()
        private = alice.post(
            f"{API}/pipelines", json={"display_name": "a-pipe", "namespace": "team-a"}
        ).json()
        assert shared["namespace"] == "" and private["namespace"] == "team-a"
        names = {p["display_name"] for p in bob.get(f"{API}/pipelines").json().get("pipelines", [])}
        assert "shared-pipe" in names and "a-pipe" not in names
        assert bob.get(f"{API}/pipelines/{shared['pipeline_id']}").status_code == 200
        assert_kfp_error(bob.get(f"{API}/pipelines/{private['pipeline_id']}"), 404)
        assert_kfp_error(bob.get(f"{API}/pipelines", params={"namespace": "team-a"}), 403)
        assert_kfp_error(bob.delete(f"{API}/pipelines/{private['pipeline_id']}"), 404)
        listed = alice.get(f"{API}/pipelines", params={"namespace": "team-a"}).json()["pipelines"]
        assert [p["display_name"] for p in listed] == ["a-pipe"]
        assert victor.get(f"{API}/pipelines/{private['pipeline_id']}").status_code == 200
        assert_kfp_error(
            victor.post(f"{API}/pipelines", json={"display_name": "nope"}), 403, "shared pipelines"
        )


def test_uploads_go_to_the_namespace_in_the_query(team: Team, packages: dict[str, Path]) -> None:
    with team.as_user("alice") as alice, team.as_user("bob") as bob:
        for api, status in ((bob, 403), (alice, 200)):
            with packages["adder"].open("rb") as handle:
                response = api.post(
                    f"{API}/pipelines/upload",
                    params={"name": "uploaded-a", "namespace": "team-a"},
                    files={"uploadfile": ("adder.yaml", handle)},
                )
            assert response.status_code == status, response.text
        assert response.json()["namespace"] == "team-a"


def test_owners_manage_members_through_the_api(team: Team, objects: dict[str, str]) -> None:
    members = "/apis/sluice/v1/namespaces/team-a/members"
    with team.as_user("alice") as alice, team.as_user("bob") as bob, team.as_user("victor") as victor:
        listed = alice.get("/apis/sluice/v1/namespaces").json()["namespaces"]
        assert [(n["name"], n["role"]) for n in listed] == [("team-a", "owner")]
        assert listed[0]["members"] == {"alice": "owner", "victor": "view"}
        assert_kfp_error(victor.put(f"{members}/bob", json={"role": "view"}), 403, "owner")
        assert_kfp_error(bob.put(f"{members}/bob", json={"role": "owner"}), 404)
        assert_kfp_error(alice.put(f"{members}/nobody", json={"role": "view"}), 404, "nobody")
        assert_kfp_error(alice.put(f"{members}/bob", json={"role": "boss"}), 400)
        assert alice.put(f"{members}/bob", json={"role": "view"}).status_code == 200
        assert bob.get(f"{API}/runs/{objects['run_id']}").status_code == 200  # at once
        assert alice.delete(f"{members}/bob").status_code == 200
        assert_kfp_error(bob.get(f"{API}/runs/{objects['run_id']}"), 404)


def test_deployments_stay_in_their_namespace(team: Team, objects: dict[str, str]) -> None:
    deployments = "/apis/sluice/v1/deployments"
    with team.as_user("bob") as bob:
        body = {"name": "stolen", "namespace": "team-a", "model": "s3://x/model"}
        assert_kfp_error(bob.post(deployments, json=body), 403, "team-a")
        body = {"name": "stolen", "namespace": "team-b", "model": f"{objects['run_id']}/train/model"}
        assert_kfp_error(bob.post(deployments, json=body), 404)
        assert bob.get(deployments).json()["deployments"] == []
        assert_kfp_error(bob.get(deployments, params={"namespace": "team-a"}), 403)
        assert_kfp_error(bob.get("/serving/team-a/anything/v1/models/anything"), 404)


def test_sorting_by_a_metric_counts_only_the_namespace(team: Team, objects: dict[str, str]) -> None:
    with team.as_user("alice") as alice, team.as_user("bob") as bob:
        params = {"sort_by": "metric:accuracy desc"}
        mine = alice.get(f"{API}/runs", params={**params, "namespace": "team-a"}).json()
        assert objects["run_id"] in [r["run_id"] for r in mine["runs"]]
        assert mine["total_size"] == len(mine["runs"])
        theirs = bob.get(f"{API}/runs", params=params).json()
        assert not theirs.get("runs") and not theirs.get("total_size")


def test_a_run_cannot_use_another_namespaces_pipeline(team: Team, packages: dict[str, Path]) -> None:
    with team.as_user("alice") as alice, team.as_user("bob") as bob:
        body = {
            "pipeline": {"display_name": "a-secret-pipe", "namespace": "team-a"},
            "pipeline_version": {"pipeline_spec": _spec(packages["adder"])},
        }
        created = alice.post(f"{API}/pipelines/create", json=body)
        assert created.status_code == 200, created.text
        pipeline_id = created.json()["pipeline_id"]
        version_id = alice.get(f"{API}/pipelines/{pipeline_id}/versions").json()["pipeline_versions"][0][
            "pipeline_version_id"
        ]
        experiment = bob.post(
            f"{API}/experiments", json={"display_name": "b-steal", "namespace": "team-b"}
        ).json()
        reference = {"pipeline_id": pipeline_id, "pipeline_version_id": version_id}
        for path in ("runs", "recurringruns"):
            response = bob.post(
                f"{API}/{path}",
                json={
                    "experiment_id": experiment["experiment_id"],
                    "pipeline_version_reference": reference,
                    "trigger": {"periodic_schedule": {"interval_second": 3600}},
                },
            )
            assert_kfp_error(response, 404)


def test_lineage_shows_only_the_callers_namespaces(team: Team, objects: dict[str, str]) -> None:
    lineage_api = "/apis/sluice/v1"
    artifact_id = objects["artifact_id"]
    with team.as_user("alice") as alice, team.as_user("victor") as victor, team.as_user("bob") as bob:
        assert artifact_id in [a["id"] for a in alice.get(f"{lineage_api}/artifacts").json()["artifacts"]]
        detail = victor.get(f"{lineage_api}/artifacts/{artifact_id}")  # a viewer reads it
        assert detail.status_code == 200, detail.text
        assert detail.json()["produced_by"][0]["execution"]["run_id"] == objects["run_id"]
        graph = victor.get(f"{lineage_api}/lineage", params={"artifact": artifact_id, "depth": 4})
        assert graph.status_code == 200, graph.text
        assert {e["run_id"] for e in graph.json()["executions"]} == {objects["run_id"]}

        # bob (team-b) sees none of it: not listed, not readable, no graph around it.
        listed = bob.get(f"{lineage_api}/artifacts", params={"page_size": 200}).json()["artifacts"]
        assert artifact_id not in [a["id"] for a in listed]
        executions = bob.get(f"{lineage_api}/executions", params={"page_size": 200}).json()["executions"]
        assert objects["run_id"] not in {e["run_id"] for e in executions}
        assert_kfp_error(bob.get(f"{lineage_api}/artifacts/{artifact_id}"), 404)
        assert_kfp_error(bob.get(f"{lineage_api}/lineage", params={"artifact": artifact_id}), 404)
        assert_kfp_error(bob.get(f"{lineage_api}/artifacts", params={"run_id": objects["run_id"]}), 404)
        assert_kfp_error(bob.get(f"{lineage_api}/artifacts", params={"namespace": "team-a"}), 403)


def test_metrics_are_a_platform_admins(team: Team) -> None:
    """/metrics counts every namespace's runs and tasks: signed in, and only for a platform admin."""
    with team.as_user(None) as stranger, team.as_user("alice") as alice, team.as_user("admin") as admin:
        assert_kfp_error(stranger.get("/metrics"), 401)
        assert_kfp_error(alice.get("/metrics"), 403)
        scraped = admin.get("/metrics")
        assert scraped.status_code == 200, scraped.text
        assert "sluice_runs" in scraped.text
