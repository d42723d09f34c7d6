"""``ArtifactStore.remove`` (what run retention deletes a run's folder with), on a local folder and on a real
S3 server (SeaweedFS): the folder goes, local copies too, and nothing outside the root (nor the root) can go."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.artifacts import UnsafePathError, open_artifact_store
from tests.seaweedfs import S3Server


def test_a_local_run_folder_is_removed_and_nothing_outside(tmp_path: Path) -> None:
    store = open_artifact_store(tmp_path / "root")
    folder = Path(store.uri_for("run-1"))
    (folder / "task" / ".sluice").mkdir(parents=True)
    (folder / "task" / "model").write_text("weights")
    (folder / "task" / ".sluice" / "attempt-1.log").write_text("log")
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    (tmp_path / "root" / "link").symlink_to(tmp_path)  # a way out, through a symlink

    store.remove(store.uri_for("run-1"))
    assert not folder.exists()
    store.remove(store.uri_for("run-1"))  # already gone: no error
    with pytest.raises(UnsafePathError):
        store.remove(str(outside))
    with pytest.raises(UnsafePathError):
        store.remove(str(tmp_path / "root" / "link" / "outside.txt"))
    with pytest.raises(UnsafePathError):
        store.remove(store.root_uri)
    assert outside.read_text() == "keep"


def test_a_bucket_run_folder_is_removed_with_its_local_copy(s3_environment: S3Server, tmp_path: Path) -> None:
    root = f"s3://{s3_environment.bucket}/remove-test"
    store = open_artifact_store(root, s3_mount=tmp_path / "s3")
    kept = store.uri_for("run-kept", "task", "model")
    doomed = store.uri_for("run-doomed", "task", "model")
    for uri in (kept, doomed, store.uri_for("run-doomed", "task", ".sluice", "attempt-1.log")):
        local = store.local_path(uri)
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text("content")
        assert store.upload(uri)
    store.remove(store.uri_for("run-doomed"))
    assert not store.exists(doomed)
    assert not store.exists(store.uri_for("run-doomed", "task", ".sluice", "attempt-1.log"))
    assert not store.local_path(store.uri_for("run-doomed")).exists()
    assert store.exists(kept)
    with pytest.raises(UnsafePathError):
        store.remove(f"s3://{s3_environment.bucket}/elsewhere/file")
