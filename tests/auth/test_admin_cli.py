"""``sluice admin`` on the store directly, and ``sluice login``: tokens shown once and kept only as hashes,
expiry and revocation, namespaces with members and quotas, clear refusals."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from sluice.auth import AuthError, Directory, Quota, hash_token
from sluice.store import Store
from sluice.store.models import ApiToken

SLUICE = str(Path(sys.executable).with_name("sluice"))


def sluice(
    home: Path, *arguments: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SLUICE_HOME": str(home), **(env or {})}
    environment.pop("SLUICE_DATABASE_URL", None)
    result = subprocess.run(
        [SLUICE, *arguments], env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_admin_commands_end_to_end(tmp_path: Path) -> None:
    made = json.loads(sluice(tmp_path, "admin", "users", "create", "root", "--admin", "--json").stdout)
    assert made["name"] == "root" and made["token"].startswith("sluice_")
    sluice(tmp_path, "admin", "users", "create", "alice")
    sluice(
        tmp_path,
        "admin",
        "namespaces",
        "create",
        "team-a",
        "--owner",
        "alice",
        "--gpus",
        "1",
        "--memory",
        "16Gi",
        "--max-running-runs",
        "2",
    )
    sluice(tmp_path, "admin", "users", "create", "bob")
    sluice(tmp_path, "admin", "namespaces", "add-member", "team-a", "bob", "--role", "view")
    listed = json.loads(sluice(tmp_path, "admin", "namespaces", "list", "--json").stdout)
    assert listed == [
        {
            "name": "team-a",
            "members": {"alice": "owner", "bob": "view"},
            "quota": {
                "gpus": 1,
                "cpus": None,
                "memory_bytes": 16 * 2**30,
                "max_running_runs": 2,
                "max_running_tasks": None,
            },
        }
    ]
    users = {u["name"]: u for u in json.loads(sluice(tmp_path, "admin", "users", "list", "--json").stdout)}
    assert users["root"]["admin"] and users["bob"]["namespaces"] == {"team-a": "view"}
    sluice(tmp_path, "admin", "namespaces", "remove-member", "team-a", "bob")
    sluice(tmp_path, "admin", "namespaces", "set-quota", "team-a", "--gpus", "2")
    quota = json.loads(sluice(tmp_path, "admin", "namespaces", "list", "--json").stdout)[0]["quota"]
    assert quota["gpus"] == 2 and quota["memory_bytes"] is None
    # The token is nowhere in the store: only its hash.
    database = (tmp_path / "sluice.db").read_bytes()
    assert made["token"].encode() not in database
    assert hash_token(made["token"]).encode() in database
    # Clear refusals, nothing half-written.
    refused = sluice(tmp_path, "admin", "namespaces", "create", "Team_A", "--owner", "alice", check=False)
    assert refused.returncode == 2 and "namespace name 'Team_A' is not valid" in refused.stderr
    refused = sluice(tmp_path, "admin", "namespaces", "create", "team-c", "--owner", "nobody", check=False)
    assert refused.returncode == 2 and "user 'nobody' does not exist" in refused.stderr
    refused = sluice(
        tmp_path,
        "admin",
        "namespaces",
        "create",
        "team-d",
        "--owner",
        "alice",
        "--memory",
        "lots",
        check=False,
    )
    assert refused.returncode == 2 and "not a memory quantity" in refused.stderr
    assert [
        n["name"] for n in json.loads(sluice(tmp_path, "admin", "namespaces", "list", "--json").stdout)
    ] == ["team-a"]
    assert "already exists" in sluice(tmp_path, "admin", "users", "create", "alice", check=False).stderr
    sluice(tmp_path, "admin", "users", "delete", "bob")
    assert "bob" not in sluice(tmp_path, "admin", "users", "list").stdout
    audit = json.loads(sluice(tmp_path, "admin", "audit", "--namespace", "team-a", "--json").stdout)
    assert [(e["action"], e["target"]) for e in audit] == [
        ("admin namespaces create", "team-a"),
        ("admin namespaces add-member --role view", "bob"),
        ("admin namespaces remove-member", "bob"),
        ("admin namespaces set-quota", "team-a"),
    ]
    assert all(e["actor"].startswith("cli:") for e in audit)


def test_tokens_expire_are_revoked_and_die_with_a_disabled_user(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'sluice.db'}")
    try:
        directory = Directory(store)
        first = directory.create_user("carol")
        second = directory.create_token("carol", description="laptop")
        assert first != second
        assert directory.authenticate(first) is not None and directory.authenticate(second) is not None
        assert directory.authenticate("sluice_" + "x" * 43) is None and directory.authenticate("") is None
        expired = directory.create_token("carol", expires_in=timedelta(seconds=-1))
        assert directory.authenticate(expired) is None
        laptop = next(t for t in directory.list_tokens("carol") if t.description == "laptop")
        directory.revoke_token(laptop.id)
        assert directory.authenticate(second) is None and directory.authenticate(first) is not None
        directory.set_disabled("carol", True)
        assert directory.authenticate(first) is None
        with store.read_session() as session:
            hashes = {row.token_hash for row in session.query(ApiToken)}
        assert hash_token(first) in hashes and first not in hashes
        with pytest.raises(AuthError, match="role 'boss' is not one of view, edit, owner"):
            directory.set_member("x", "carol", "boss")
        with pytest.raises(AuthError, match="--gpus must not be negative"):
            directory.create_user("dave")
            directory.create_namespace("team-x", owner="dave", quota=Quota(gpus=-1))
        assert not directory.namespace_exists("team-x")
    finally:
        store.close()


def test_tokens_cli_and_audit(tmp_path: Path) -> None:
    sluice(tmp_path, "admin", "users", "create", "erin")
    token = sluice(
        tmp_path, "admin", "tokens", "create", "erin", "--expires-in", "30d", "--description", "ci"
    ).stdout.strip()
    assert token.startswith("sluice_")
    listed = json.loads(sluice(tmp_path, "admin", "tokens", "list", "erin", "--json").stdout)
    assert {t["description"] for t in listed} == {"first token", "ci"}
    assert token not in json.dumps(listed)
    ci = next(t for t in listed if t["description"] == "ci")
    assert ci["expires_at"] is not None
    sluice(tmp_path, "admin", "tokens", "revoke", ci["id"])
    assert json.loads(sluice(tmp_path, "admin", "tokens", "list", "erin", "--json").stdout)[1]["revoked_at"]
    bad = sluice(tmp_path, "admin", "tokens", "create", "erin", "--expires-in", "soon", check=False)
    assert bad.returncode == 2 and "not a duration" in bad.stderr


def test_login_saves_the_token_in_a_private_file(tmp_path: Path) -> None:
    from tests.server.conftest import ServerProcess

    home = tmp_path / "home"
    token = json.loads(sluice(home, "admin", "users", "create", "frank", "--json").stdout)["token"]
    server = ServerProcess(home, None, extra_args=["--multi-user"]).start()
    config = tmp_path / "config"
    try:
        env = {"XDG_CONFIG_HOME": str(config)}
        refused = sluice(home, "login", "--host", server.url, "--token", "sluice_wrong", check=False, env=env)
        assert refused.returncode == 2 and "refused" in refused.stderr
        assert not (config / "sluice" / "credentials.json").exists()
        signed_in = sluice(home, "login", "--host", server.url, "--token", token, env=env)
        assert "signed in as frank" in signed_in.stdout and token not in signed_in.stdout
        saved = config / "sluice" / "credentials.json"
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
        # The client commands use it (no --host: the saved default).
        listed = sluice(home, "experiments", "list", "--json", env={**env, "SLUICE_HOST": ""})
        assert listed.returncode == 0
    finally:
        server.stop()
