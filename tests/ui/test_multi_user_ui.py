"""The UI of a team server (``sluice up --multi-user --gpus 2``) in Chromium: the sign-in page, the user and
namespace in the side bar, lists scoped to the namespace, the live Queue page, signing out."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.auth import Directory, Quota
from sluice.store import Store
from tests.server.conftest import API, ServerProcess
from tests.server.test_fair_queue import _gpu_pipeline, _submit
from tests.ui.conftest import VIEWPORT, shoot


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    home = tmp_path_factory.mktemp("ui-team") / "home"
    home.mkdir(parents=True)
    store = Store.open(f"sqlite:///{home / 'sluice.db'}")
    try:
        directory = Directory(store)
        tokens = {name: directory.create_user(name) for name in ("alice", "bob")}
        directory.create_namespace("team-a", owner="alice", quota=Quota(gpus=1))
        directory.create_namespace("team-b", owner="bob")
    finally:
        store.close()
    server = ServerProcess(home, None, extra_args=["--multi-user", "--gpus", "2"]).start()
    yield server, tokens
    server.stop()


@pytest.fixture
def tab(browser: Any, team_server: tuple[ServerProcess, dict[str, str]]) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, base_url=team_server[0].url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def test_sign_in_scope_queue_and_sign_out(
    tab: Any, team_server: tuple[ServerProcess, dict[str, str]], tmp_path: Path
) -> None:
    server, tokens = team_server
    alice = httpx.Client(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {tokens['alice']}"}
    )
    bob = httpx.Client(base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {tokens['bob']}"})
    with alice, bob:
        bob.post(f"{API}/experiments", json={"display_name": "bobs-secret", "namespace": "team-b"})
        tab.goto("/experiments")
        form = tab.get_by_role("form", name="Sign in")
        form.get_by_label("API token").fill("sluice_wrong")
        form.get_by_role("button", name="Sign in").click()
        tab.get_by_role("alert").wait_for()
        assert "refused" in tab.get_by_role("alert").inner_text()
        shoot(tab, "multi-user-sign-in")
        tab.get_by_label("API token").fill(tokens["alice"])
        tab.get_by_role("button", name="Sign in").click()
        tab.get_by_text("Signed in as").wait_for()
        assert "alice" in tab.locator(".signed-in").inner_text()
        assert tab.get_by_label("Namespace").input_value() == "team-a"
        tab.get_by_role("heading", name="Experiments").wait_for()
        assert "bobs-secret" not in tab.locator("main").inner_text()
        # The queue, live: team-a's quota holds two of its three GPU tasks back; team-b's takes the free GPU.
        spec = _gpu_pipeline(tmp_path, 4)
        for _ in range(3):
            _submit(alice, "team-a", spec)
        tab.get_by_role("link", name="Queue").click()
        tab.locator("tr[data-state=pending]").nth(1).wait_for()
        assert tab.locator("tr[data-state=running]").count() == 1
        assert (
            "waiting for team-a's GPU quota: 1 of 1 in use" in tab.locator(".queue-reason").first.inner_text()
        )
        _submit(bob, "team-b", _gpu_pipeline(tmp_path, 1))
        tab.get_by_text("0 of 2 free").wait_for()  # both GPUs busy: team-b's task did not wait
        assert "team-b" not in tab.locator("main").inner_text()  # alice sees her namespace only
        shoot(tab, "multi-user-queue")
        first = alice.get(f"{API}/runs", params={"namespace": "team-a"}).json()["runs"][0]["run_id"]
        tab.goto(f"/runs/{first}")  # still signed in after a reload
        tab.get_by_role("tab", name="Details").click()
        assert tab.locator(".created-by").inner_text() == "alice"
        tab.get_by_role("button", name="Sign out").click()
        tab.get_by_role("form", name="Sign in").wait_for()
