"""Lineage over the API, in process, on every database: real runs record artifacts, executions and events;
the lists filter and page them, one artifact shows who made and used it, and the graph crosses runs (an
importer reusing another run's model, a cache hit pointing at its source)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import sluice
from sluice import dsl
from sluice.dsl import Dataset, Input, Metrics, Model, Output
from sluice.server import ServerConfig, create_app
from tests.store.conftest import database_servers, database_url  # noqa: F401  (fixtures)

API = "/apis/sluice/v1"


@dsl.component
def make_data(rows: int, data: Output[Dataset]) -> None:
    with open(data.path, "w") as handle:
        handle.write("\n".join(str(row) for row in range(rows)))
    data.metadata["rows"] = rows


@dsl.component
def train(data: Input[Dataset], model: Output[Model]) -> None:
    with open(data.path) as handle:
        total = sum(int(line) for line in handle)
    with open(model.path, "w") as handle:
        handle.write(str(total))
    model.metadata["framework"] = "toy"
    model.metadata["accuracy"] = 0.9


@dsl.pipeline(name="produce")
def produce(rows: int = 5) -> None:
    train(data=make_data(rows=rows).outputs["data"])


@dsl.component
def evaluate(model: Input[Model], scores: Output[Metrics]) -> None:
    with open(model.path) as handle:
        scores.log_metric("total", float(handle.read()))


@dsl.pipeline(name="consume")
def consume(model_uri: str) -> None:
    imported = dsl.importer(artifact_uri=model_uri, artifact_class=Model)
    evaluate(model=imported.output)


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:  # noqa: F811
    """Three runs on this database: produce, consume (imports produce's model), produce again (cached)."""
    home = tmp_path_factory.mktemp("lineage-home")
    options: dict[str, Any] = {"home": home, "database_url": database_url, "handle_sigint": False}
    first = sluice.run(produce, {"rows": 5}, **options)
    assert first.succeeded, first.error
    model_uri = first.task("train").outputs["model"]
    second = sluice.run(consume, {"model_uri": model_uri}, **options)
    assert second.succeeded, second.error
    third = sluice.run(produce, {"rows": 5}, **options)
    assert third.succeeded, third.error
    assert third.task("train").state == "CACHED"
    config = ServerConfig.resolve(home=home, database_url=database_url, port=1)
    with TestClient(create_app(config), base_url="http://127.0.0.1") as client:
        yield {"api": client, "first": first, "second": second, "third": third, "model_uri": model_uri}


def _get(world: dict[str, Any], path: str, **params: Any) -> Any:
    response = world["api"].get(f"{API}{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _model(world: dict[str, Any]) -> dict[str, Any]:
    (model,) = _get(world, "/artifacts", type="system.Model")["artifacts"]
    return dict(model)


def test_artifacts_filter_by_type_run_name_and_metadata(world: dict[str, Any]) -> None:
    first, second = world["first"], world["second"]
    model = _model(world)  # the importer reused it: one Model in the store, not two
    assert model["uri"] == world["model_uri"]
    assert model["run_id"] == first.run_id and model["task_path"].endswith("train")
    assert model["metadata"] == {"framework": "toy", "accuracy": 0.9}

    produced_first = _get(world, "/artifacts", run_id=first.run_id)["artifacts"]
    assert {artifact["type"] for artifact in produced_first} == {"system.Dataset", "system.Model"}
    produced_second = _get(world, "/artifacts", run_id=second.run_id)["artifacts"]
    assert {artifact["type"] for artifact in produced_second} == {"system.Model", "system.Metrics"}

    assert [a["id"] for a in _get(world, "/artifacts", property="framework:toy")["artifacts"]] == [
        model["id"]
    ]
    assert [a["id"] for a in _get(world, "/artifacts", property="accuracy:0.9")["artifacts"]] == [model["id"]]
    assert _get(world, "/artifacts", property="accuracy:0.8")["artifacts"] == []
    assert {a["type"] for a in _get(world, "/artifacts", name="scor")["artifacts"]} == {"system.Metrics"}
    assert _get(world, "/artifacts", uri_prefix="s3://nowhere/")["artifacts"] == []


def test_lists_page_by_keyset_without_gaps_or_repeats(world: dict[str, Any]) -> None:
    everything = [a["id"] for a in _get(world, "/artifacts", page_size=100)["artifacts"]]
    assert len(everything) == 3  # dataset, model, metrics
    seen: list[str] = []
    token = ""
    while True:
        page = _get(world, "/artifacts", page_size=1, page_token=token)
        seen += [artifact["id"] for artifact in page["artifacts"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == everything

    executions = _get(world, "/executions", page_size=100)["executions"]
    assert {execution["state"] for execution in executions} == {"COMPLETE", "CACHED"}
    cached = _get(world, "/executions", state="cached")["executions"]
    assert {execution["name"] for execution in cached} == {"make-data", "train"}
    assert {execution["run_id"] for execution in cached} == {world["third"].run_id}
    trains = _get(world, "/executions", component="train")["executions"]
    assert len(trains) == 2 and {t["component"] for t in trains} == {"comp-train"}


def test_an_artifact_shows_who_made_it_and_who_used_it(world: dict[str, Any]) -> None:
    first, second, third = world["first"], world["second"], world["third"]
    detail = _get(world, f"/artifacts/{_model(world)['id']}")
    producers = {(use["execution"]["run_id"], use["execution"]["type"]) for use in detail["produced_by"]}
    assert producers == {
        (first.run_id, "system.ContainerExecution"),  # trained it
        (second.run_id, "system.ImporterExecution"),  # imported it
        (third.run_id, "system.ContainerExecution"),  # the cache hit that reused it
    }
    hit = next(use["execution"] for use in detail["produced_by"] if use["execution"]["state"] == "CACHED")
    assert hit["cached_from_run_id"] == first.run_id
    assert hit["cached_from_task_id"] == first.task("train").id
    assert [(use["key"], use["execution"]["name"]) for use in detail["consumed_by"]] == [
        ("model", "evaluate")
    ]
    assert detail["deployed_in"] == []

    execution = _get(world, f"/executions/{detail['consumed_by'][0]['execution']['id']}")
    assert [(use["key"], use["artifact"]["type"]) for use in execution["inputs"]] == [
        ("model", "system.Model")
    ]
    assert [(use["key"], use["artifact"]["type"]) for use in execution["outputs"]] == [
        ("scores", "system.Metrics")
    ]


def test_lineage_walks_upstream_across_runs_and_stops_at_the_depth(world: dict[str, Any]) -> None:
    first, second = world["first"], world["second"]
    metrics = _get(world, "/artifacts", type="system.Metrics")["artifacts"][0]
    graph = _get(world, "/lineage", artifact=metrics["id"], direction="up", depth=10)
    assert graph["center"] == f"artifact:{metrics['id']}" and not graph["truncated"]
    assert {a["type"] for a in graph["artifacts"]} == {"system.Metrics", "system.Model", "system.Dataset"}
    runs = {(e["run_id"], e["name"]) for e in graph["executions"]}
    # evaluate and the importer (second run); train and make-data (first run), whose cache hits in the
    # third run also produced the model and the dataset.
    assert {(second.run_id, "evaluate"), (first.run_id, "train"), (first.run_id, "make-data")} <= runs
    ids = {e["id"]: e for e in graph["executions"]}
    by_kind = {(ids[edge["execution_id"]]["name"], edge["type"], edge["key"]) for edge in graph["edges"]}
    assert ("evaluate", "INPUT", "model") in by_kind and ("train", "OUTPUT", "model") in by_kind
    assert ("train", "INPUT", "data") in by_kind

    near = _get(world, "/lineage", artifact=metrics["id"], direction="up", depth=1)
    assert [e["name"] for e in near["executions"]] == ["evaluate"] and len(near["artifacts"]) == 1


def test_lineage_downstream_from_the_data_reaches_the_metrics(world: dict[str, Any]) -> None:
    dataset = _get(world, "/artifacts", type="system.Dataset")["artifacts"][0]
    graph = _get(world, "/lineage", artifact=dataset["id"], direction="down", depth=4)
    assert {a["type"] for a in graph["artifacts"]} == {"system.Dataset", "system.Model", "system.Metrics"}
    assert {e["name"] for e in graph["executions"]} == {"train", "evaluate"}  # producers are upstream
    both = _get(world, "/lineage", execution=graph["executions"][0]["id"], depth=3)
    assert both["center"].startswith("execution:") and both["artifacts"]


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("/lineage", {}, 400, "exactly one"),
        ("/lineage", {"artifact": "a", "execution": "b"}, 400, "exactly one"),
        ("/lineage", {"artifact": "nope"}, 404, "artifact 'nope' not found"),
        ("/lineage", {"artifact": "x", "depth": 0}, 400, "depth"),
        ("/lineage", {"artifact": "x", "direction": "sideways"}, 400, "direction"),
        ("/executions", {"state": "HAPPY"}, 400, "not an execution state"),
        ("/artifacts", {"property": "novalue"}, 400, "KEY:VALUE"),
        ("/artifacts", {"page_token": "forged"}, 400, "page_token"),
        ("/artifacts/nope", {}, 404, "not found"),
        ("/executions/nope", {}, 404, "not found"),
    ],
)
def test_bad_requests_get_a_clear_4xx(
    world: dict[str, Any], path: str, params: dict[str, Any], status: int, words: str
) -> None:
    response = world["api"].get(f"{API}{path}", params=params)
    assert response.status_code == status, response.text
    assert words in response.text
