"""A deployment goes through create → 20% canary → promote → rollback → update while a load generator
calls its stable URL: no request fails, the canary gets its share, and each switch takes effect at once."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from sluice.client import Client
from tests.server.conftest import ServerProcess
from tests.serving.conftest import LoadGenerator, Outcome, failures, tagged_model, wait_for

NAME = "rollout"
TAGS = {1: "a", 2: "b", 3: "c"}
CANARY_SAMPLE = 2000


def _answered_by(outcomes: list[Outcome], revision: int) -> bool:
    return all(outcome.revision == revision for outcome in outcomes)


def test_rollout_under_load_loses_no_request(
    serving_server: ServerProcess, client: Client, tmp_path: Path
) -> None:
    models = {number: tagged_model(tmp_path / f"model-{tag}", tag) for number, tag in TAGS.items()}
    created = client.create_deployment(NAME, models[1])
    assert created.state == "READY" and created.traffic == {1: 100}
    assert created.url == f"{serving_server.url}/serving/default/{NAME}"

    load = LoadGenerator(f"{created.url}/v1/models/{NAME}:predict", {"instances": [[1.0, 2.0]]}).start()
    try:
        wait_for(lambda: load.count() >= 200, what="requests to revision 1")

        # A 20% canary: it takes traffic only once ready, then its share of it, evenly spread.
        canary = client.update_deployment(NAME, models[2], canary_percent=20)
        assert canary.traffic == {1: 80, 2: 20} and canary.canary_revision == 2
        canary_began = time.monotonic()
        wait_for(
            lambda: load.count(canary_began) >= CANARY_SAMPLE, timeout=120, what="requests during the canary"
        )
        during_canary = load.since(canary_began)

        promoted = client.promote_deployment(NAME)
        promoted_at = time.monotonic()
        assert promoted.traffic == {2: 100} and promoted.previous_revision == 1
        wait_for(lambda: load.count(promoted_at + 1.0) >= 200, what="requests after the promotion")
        after_promote = load.since(promoted_at + 1.0)

        rolled_back = client.rollback_deployment(NAME)
        rolled_back_at = time.monotonic()
        assert rolled_back.traffic == {1: 100} and rolled_back.previous_revision == 2
        wait_for(lambda: load.count(rolled_back_at + 1.0) >= 200, what="requests after the rollback")
        after_rollback = load.since(rolled_back_at + 1.0)

        updated = client.update_deployment(NAME, models[3])
        updated_at = time.monotonic()
        assert updated.traffic == {3: 100} and updated.previous_revision == 1
        wait_for(lambda: load.count(updated_at + 1.0) >= 200, what="requests after the update")
        after_update = load.since(updated_at + 1.0)
    finally:
        outcomes = load.stop()

    failed = failures(outcomes)
    assert not failed, f"{len(failed)} of {len(outcomes)} requests failed, e.g. {failed[:3]}"
    # Every answer came from the revision the header names, with that revision's model.
    assert all(
        outcome.revision is not None and outcome.body == {"predictions": [TAGS[outcome.revision]]}
        for outcome in outcomes
    )

    # The canary's share over the requests sent while it was on (at least 2,000): 20% +- 5%.
    canary_sample = [o for o in during_canary if o.started < promoted_at - 1.0] or during_canary
    assert len(during_canary) >= CANARY_SAMPLE
    share = sum(1 for o in during_canary if o.revision == 2) / len(during_canary)
    assert 0.15 <= share <= 0.25, f"the canary answered {share:.1%} of {len(during_canary)} requests"
    assert {o.revision for o in canary_sample} == {1, 2}

    # Within a second of each switch returning, every answer comes from the revision it chose.
    assert _answered_by(after_promote, 2)
    assert _answered_by(after_rollback, 1)
    assert _answered_by(after_update, 3)

    history = [(action.action, action.revision) for action in client.deployment_history(NAME)]
    assert history == [
        ("create", 1),
        ("ready", 1),
        ("update", 2),
        ("ready", 2),
        ("promote", 2),
        ("rollback", 1),
        ("update", 3),
        ("ready", 3),
    ]
    final = client.get_deployment(NAME)
    states = {revision.number: (revision.role, revision.state) for revision in final.revisions}
    # Revision 2 was retired by the update (the previous one, 1, stays warm); its replica drained and stopped.
    assert states == {3: ("current", "READY"), 1: ("previous", "READY"), 2: ("retired", "STOPPED")}
    wait_for(
        lambda: not client.get_deployment(NAME).revision(2).raw["replica_status"], what="revision 2 to stop"
    )


SLOW_PREDICTOR = """
import os
import time


class Slow:
    def load(self, model_path):
        # Loads until the test says so (or a minute passes).
        deadline = time.monotonic() + 60
        while not os.path.exists(model_path + "/go") and time.monotonic() < deadline:
            time.sleep(0.05)

    def predict(self, instances):
        return ["slow" for _ in instances]
"""


def test_rollback_to_a_retired_revision_loads_it_first_and_rollback_cancels_a_loading_one(
    serving_server: ServerProcess, client: Client, tmp_path: Path
) -> None:
    name = "undo"
    url = f"{serving_server.url}/serving/default/{name}/v1/models/{name}:predict"
    client.create_deployment(name, tagged_model(tmp_path / "a", "a"))
    client.update_deployment(name, tagged_model(tmp_path / "b", "b"))
    client.update_deployment(name, tagged_model(tmp_path / "c", "c"))
    deployment = client.get_deployment(name)
    assert (deployment.current_revision, deployment.previous_revision) == (3, 2)
    assert deployment.revision(1).state == "STOPPED"
    wait_for(
        lambda: not client.get_deployment(name).revision(1).raw["replica_status"], what="revision 1 to stop"
    )

    # Revision 1 is not warm: it loads again while 3 keeps serving, then takes all traffic.
    rolled_back = client.rollback_deployment(name, 1)
    assert rolled_back.traffic == {1: 100} and rolled_back.previous_revision == 3
    assert rolled_back.revision(1).state == "READY"
    assert httpx.post(url, json={"instances": [0]}).json() == {"predictions": ["a"]}
    assert client.deployment_history(name)[-2].detail["loading"] is True

    # A revision still loading is cancelled by a plain rollback; traffic never moved.
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "predictor.py").write_text(SLOW_PREDICTOR)
    loading = client.update_deployment(name, slow, wait=False)
    assert loading.pending_revision == 4
    cancelled = client.rollback_deployment(name)
    assert cancelled.pending_revision is None and cancelled.traffic == {1: 100}
    assert cancelled.revision(4).state == "STOPPED"
    assert client.deployment_history(name)[-1].detail["cancelled"] == 4
    wait_for(
        lambda: not client.get_deployment(name).revision(4).raw["replica_status"], what="revision 4 to stop"
    )
    assert httpx.post(url, json={"instances": [0]}).json() == {"predictions": ["a"]}
    client.delete_deployment(name)
