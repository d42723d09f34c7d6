"""Hostile input gets a 4xx naming the problem, the same on SQLite, PostgreSQL and MariaDB, and leaves
nothing behind: page tokens the server never issued, NUL and control characters in names, filters, paths
and specs, integers beyond int64, and pipelines whose DAG has a cycle."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.cycles import CYCLE_CASES, cyclic_spec
from tests.server.conftest import API, ServerProcess, assert_kfp_error

LISTS = ["/pipelines", "/experiments", "/runs", "/recurringruns", "/pipelines/{pipeline_id}/versions"]


def _token(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.fixture(scope="module")
def api(backend_server: ServerProcess) -> Any:
    with backend_server.client() as client:
        yield client


@pytest.fixture(scope="module")
def pipeline_id(api: httpx.Client, specs: dict[str, Any]) -> str:
    body = {"pipeline": {"display_name": "hostile"}, "pipeline_version": {"pipeline_spec": specs["adder"]}}
    response = api.post(f"{API}/pipelines/create", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["pipeline_id"])


def _counts(api: httpx.Client) -> dict[str, int]:
    return {
        path: api.get(f"{API}{path}").json().get("total_size", 0)
        for path in ("/pipelines", "/experiments", "/runs", "/recurringruns")
    }


# ------------------------------------------------------------------------------------------------ page tokens


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "forged",
    [
        _token({"offset": 2**63}),
        _token({"offset": 10**30}),
        _token({"offset": 1}),  # well-formed, small, but not issued by the server
        _token({"offset": -1}),
        _token(["offset", 1]),
        "bm90IGEgdG9rZW4",
    ],
    ids=["2^63", "10^30", "unsigned-1", "negative", "list", "garbage"],
)
def test_page_tokens_the_server_did_not_issue_are_refused(
    api: httpx.Client, pipeline_id: str, path: str, forged: str
) -> None:
    url = API + path.format(pipeline_id=pipeline_id)
    assert_kfp_error(api.get(url, params={"page_token": forged}), 400, "page_token")


def test_issued_page_tokens_page_through_and_altered_ones_are_refused(api: httpx.Client) -> None:
    names = [f"paged-{index}" for index in range(3)]
    for name in names:
        assert api.post(f"{API}/experiments", json={"display_name": name}).status_code == 200
    flt = json.dumps(
        {"predicates": [{"key": "display_name", "operation": "IS_SUBSTRING", "string_value": "paged-"}]}
    )
    seen: list[str] = []
    token = ""
    tokens = []
    while True:
        page = api.get(
            f"{API}/experiments", params={"filter": flt, "page_size": 1, "page_token": token}
        ).json()
        seen += [experiment["display_name"] for experiment in page["experiments"]]
        token = page["next_page_token"]
        if not token:
            break
        tokens.append(token)
    assert seen == names
    issued = tokens[0]
    for altered in (issued[:-1] + ("A" if issued[-1] != "A" else "B"), issued + "x", issued.split(".")[0]):
        assert_kfp_error(api.get(f"{API}/experiments", params={"page_token": altered}), 400, "page_token")


# ------------------------------------------------------------------------------------ NUL and control characters


def _upload(api: httpx.Client, content: bytes, **params: str) -> httpx.Response:
    return api.post(f"{API}/pipelines/upload", params=params, files={"uploadfile": ("p.yaml", content)})


def _name_filter(value: str) -> str:
    return json.dumps({"predicates": [{"key": "display_name", "operation": "EQUALS", "string_value": value}]})


@pytest.mark.parametrize(
    "request_args",
    [
        ("POST", "/pipelines", {"json": {"display_name": "a\0b"}}),
        ("POST", "/pipelines", {"json": {"display_name": "ok", "description": "a\0b"}}),
        ("POST", "/experiments", {"json": {"display_name": "a\0b"}}),
        ("GET", "/runs", {"params": {"filter": _name_filter("a\0b")}}),
        ("GET", "/experiments", {"params": {"filter": _name_filter("a\0b")}}),
        ("GET", "/pipelines", {"params": {"namespace": "a\0b"}}),
        ("GET", "/runs/abc%00def", {}),
        ("GET", "/experiments/%00", {}),
        ("GET", "/pipelines/names/a%00b", {}),
        ("DELETE", "/pipelines/x%00y", {}),
        ("POST", "/runs/abc%00:archive", {}),
        ("GET", "/recurringruns/a%01b", {}),
    ],
    ids=lambda args: f"{args[0]} {args[1]} {json.dumps(args[2])[:40]}",
)
def test_nul_and_control_characters_are_refused(
    api: httpx.Client, request_args: tuple[str, str, dict[str, Any]]
) -> None:
    method, path, options = request_args
    before = _counts(api)
    response = api.request(method, f"{API}{path}", **options)
    body = assert_kfp_error(response, 400)
    assert "NUL" in body["message"] or "control character" in body["message"], body
    assert _counts(api) == before


def test_nul_inside_a_run_or_an_uploaded_spec_is_refused(api: httpx.Client, specs: dict[str, Any]) -> None:
    before = _counts(api)
    run = {"display_name": "nul", "pipeline_spec": specs["adder"], "description": "x\0y"}
    assert_kfp_error(api.post(f"{API}/runs", json=run), 400, "NUL", "description")
    spec = json.loads(json.dumps(specs["adder"]))
    spec["pipelineInfo"]["description"] = "with a \0 inside"
    assert_kfp_error(_upload(api, yaml.safe_dump(spec).encode(), name="nul-spec"), 400, "NUL", "pipelineInfo")
    assert_kfp_error(
        api.post(f"{API}/runs", json={**run, "description": "", "pipeline_spec": spec}), 400, "NUL"
    )
    assert_kfp_error(_upload(api, yaml.safe_dump(specs["adder"]).encode(), name="a\0b"), 400, "NUL")
    assert _counts(api) == before


@pytest.mark.parametrize("name", ["tab\there", "new\nline", "bell\x07", "del\x7f"])
@pytest.mark.parametrize("resource", ["pipeline", "experiment", "run", "recurring run"])
def test_names_with_control_characters_are_refused(
    api: httpx.Client, specs: dict[str, Any], resource: str, name: str
) -> None:
    before = _counts(api)
    if resource == "pipeline":
        response = api.post(f"{API}/pipelines", json={"display_name": name})
    elif resource == "experiment":
        response = api.post(f"{API}/experiments", json={"display_name": name})
    elif resource == "run":
        response = api.post(f"{API}/runs", json={"display_name": name, "pipeline_spec": specs["adder"]})
    else:
        body = {
            "display_name": name,
            "pipeline_spec": specs["adder"],
            "trigger": {"cron_schedule": {"cron": "0 0 1 1 *"}},
        }
        response = api.post(f"{API}/recurringruns", json=body)
    assert_kfp_error(response, 400, "display_name", "control character")
    assert _counts(api) == before


def test_printable_unicode_names_still_work(api: httpx.Client) -> None:
    response = api.post(f"{API}/experiments", json={"display_name": "Données ✓ 実験"})
    assert response.status_code == 200, response.text
    listed = api.get(f"{API}/experiments", params={"filter": _name_filter("Données ✓ 実験")}).json()
    assert [item["display_name"] for item in listed["experiments"]] == ["Données ✓ 実験"]


# ------------------------------------------------------------------------------------------------ integers


@pytest.mark.parametrize("value", [10**40, 2**63, -(2**63) - 1, 1e40])
def test_integer_parameters_beyond_int64_are_refused(
    api: httpx.Client, specs: dict[str, Any], value: Any
) -> None:
    before = _counts(api)
    body = {
        "display_name": "big",
        "pipeline_spec": specs["adder"],
        "runtime_config": {"parameters": {"a": value}},
    }
    assert_kfp_error(api.post(f"{API}/runs", json=body), 400, "'a'", "64-bit")
    assert _counts(api) == before


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63)])
def test_integer_parameters_at_the_int64_limits_are_accepted(
    api: httpx.Client, specs: dict[str, Any], value: int
) -> None:
    body = {
        "display_name": "edge",
        "pipeline_spec": specs["adder"],
        "runtime_config": {"parameters": {"a": value}},
    }
    response = api.post(f"{API}/runs", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["runtime_config"]["parameters"]["a"] == value


# ------------------------------------------------------------------------------------------------ cycles


@pytest.mark.parametrize("case", CYCLE_CASES)
def test_pipelines_with_a_cycle_are_refused_naming_it(api: httpx.Client, case: str) -> None:
    spec, cycle = cyclic_spec(case)
    before = _counts(api)
    where = "comp-two-steps" if case == "nested" else "root"
    assert_kfp_error(_upload(api, yaml.safe_dump(spec).encode(), name=f"cycle-{case}"), 400, cycle, where)
    together = {"pipeline": {"display_name": f"cycle-{case}"}, "pipeline_version": {"pipeline_spec": spec}}
    assert_kfp_error(api.post(f"{API}/pipelines/create", json=together), 400, cycle)
    run = {"display_name": f"cycle-{case}", "pipeline_spec": spec}
    assert_kfp_error(api.post(f"{API}/runs", json=run), 400, cycle, where)
    recurring = {**run, "trigger": {"cron_schedule": {"cron": "0 0 1 1 *"}}}
    assert_kfp_error(api.post(f"{API}/recurringruns", json=recurring), 400, cycle)
    assert _counts(api) == before


def test_a_stored_version_with_a_cycle_cannot_be_run(
    api: httpx.Client, backend_server: ServerProcess, pipeline_id: str
) -> None:
    """A version stored before cycles were checked (written straight into the store here) is refused too."""
    from sluice.store import Store
    from sluice.store.models import PipelineVersion

    spec, cycle = cyclic_spec("loop")
    url = backend_server.database_url or f"sqlite:///{backend_server.home / 'sluice.db'}"
    store = Store.open(url)
    try:
        with store.session() as session:
            version = PipelineVersion(
                pipeline_id=pipeline_id, name="old-cyclic", display_name="old", pipeline_spec=spec
            )
            session.add(version)
            session.flush()
            version_id = version.id
    finally:
        store.close()
    before = _counts(api)
    run = {
        "display_name": "old",
        "pipeline_version_reference": {"pipeline_id": pipeline_id, "pipeline_version_id": version_id},
    }
    assert_kfp_error(api.post(f"{API}/runs", json=run), 400, cycle)
    assert _counts(api) == before


def test_page_tokens_survive_a_restart_on_the_same_home(tmp_path: Path) -> None:
    running = ServerProcess(tmp_path / "home", None).start()
    try:
        with running.client() as client:
            for name in ("first", "second"):
                assert client.post(f"{API}/experiments", json={"display_name": name}).status_code == 200
            token = client.get(f"{API}/experiments", params={"page_size": 1}).json()["next_page_token"]
    finally:
        running.stop()
    key = tmp_path / "home" / "secrets" / "page-token.key"
    assert key.stat().st_mode & 0o777 == 0o600
    running.start()
    try:
        with running.client() as client:
            page = client.get(f"{API}/experiments", params={"page_size": 1, "page_token": token})
            assert page.status_code == 200, page.text
            assert page.json()["experiments"]
    finally:
        running.stop()
