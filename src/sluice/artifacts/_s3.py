"""Artifacts in an S3-compatible bucket (AWS, MinIO, SeaweedFS, ...), through fsspec's ``s3fs``.

URIs are ``s3://bucket/prefix/<run>/<task path>/<output>``; tasks still read and write local files. Each
object has a local copy at ``<mount>/<bucket>/<key>`` (KFP's ``/s3/`` mount convention, with the folder
named by ``$SLUICE_S3_MOUNT`` for the task's runtime): the engine downloads inputs there before a task
starts and uploads outputs and logs from there after it ends. The endpoint and credentials come from the
usual AWS variables (``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``).
"""

from __future__ import annotations

import os
import posixpath
import shutil
from pathlib import Path
from typing import IO, Any

from sluice.artifacts._store import ArtifactStoreError, UnsafePathError, check_path_part
from sluice.dsl._internal import S3_MOUNT_VARIABLE

__all__ = ["S3ArtifactStore"]

_SCHEME = "s3://"


def _endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


class S3ArtifactStore:
    """An :class:`~sluice.artifacts.ArtifactStore` over ``s3://bucket/prefix``, staged under ``mount``."""

    def __init__(self, root: str, mount: str | os.PathLike[str]) -> None:
        try:
            import s3fs
        except ImportError as error:
            raise ArtifactStoreError(
                f"artifact root {root!r}: the s3:// artifact store needs s3fs (pip install 'sluice[s3]')"
            ) from error
        self._root = _SCHEME + _key_of(root).rstrip("/")
        bucket = _key_of(self._root).split("/", 1)[0]
        if not bucket:
            raise ArtifactStoreError(f"artifact root {root!r} names no bucket (s3://bucket/prefix)")
        self.mount = Path(mount).absolute()
        self.endpoint = _endpoint()
        region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")
        self._fs = s3fs.S3FileSystem(
            endpoint_url=self.endpoint,
            key=os.environ.get("AWS_ACCESS_KEY_ID"),
            secret=os.environ.get("AWS_SECRET_ACCESS_KEY"),
            client_kwargs={"region_name": region} if region else {},
            # Fail in seconds, not minutes, when the endpoint is wrong or down.
            config_kwargs={"connect_timeout": 5, "read_timeout": 30, "retries": {"max_attempts": 2}},
            use_listings_cache=False,  # outputs appear while we run; a cached listing would hide them
            skip_instance_cache=True,
        )
        where = f"at {self.endpoint}" if self.endpoint else "(AWS default endpoint)"
        try:
            self._fs.ls(bucket)
        except FileNotFoundError as error:
            raise ArtifactStoreError(
                f"artifact root {self._root!r}: bucket {bucket!r} does not exist {where}"
            ) from error
        except Exception as error:  # botocore and aiohttp raise many kinds; all mean "unusable"
            raise ArtifactStoreError(
                f"artifact root {self._root!r}: cannot reach bucket {bucket!r} {where}: "
                f"{type(error).__name__}: {error}"
            ) from error

    @property
    def root_uri(self) -> str:
        return self._root

    @property
    def is_remote(self) -> bool:
        return True

    def task_environment(self) -> dict[str, str]:
        # The runtime maps s3:// URIs to these local copies instead of KFP's /s3/ mount.
        return {S3_MOUNT_VARIABLE: str(self.mount)}

    def uri_for(self, *parts: str) -> str:
        for part in parts:
            check_path_part(part)
        return "/".join((self._root, *parts))

    def local_path(self, uri: str) -> Path:
        return self.mount.joinpath(*_safe_key(uri).split("/"))

    def contains(self, uri: str) -> bool:
        try:
            key = _safe_key(uri)
        except UnsafePathError:
            return False
        return (_SCHEME + key).startswith(self._root + "/")

    def exists(self, uri: str) -> bool:
        key = _safe_key(uri)
        # s3fs answers from its listing cache, which misses what another process (a Ray node) just wrote.
        self._fs.invalidate_cache(key)
        return bool(self._fs.exists(key))

    def open(self, uri: str, mode: str = "rb") -> IO[Any]:
        handle: IO[Any] = self._fs.open(_safe_key(uri), mode)
        return handle

    def download(self, uri: str) -> Path:
        """Copy the object (or every object under the prefix) at ``uri`` to its local path; that path."""
        key = _safe_key(uri)
        target = self.local_path(uri)
        if self._fs.isfile(key):
            target.parent.mkdir(parents=True, exist_ok=True)
            self._fs.get_file(key, str(target))
            return target
        found = [str(name) for name in self._fs.find(key)]
        if not found:
            raise FileNotFoundError(f"nothing is stored at {uri}")
        for name in found:
            relative = posixpath.relpath(name, key)
            local = target.joinpath(*relative.split("/"))
            local.parent.mkdir(parents=True, exist_ok=True)
            self._fs.get_file(name, str(local))
        return target

    def remove(self, uri: str) -> None:
        if not self.contains(uri):
            raise UnsafePathError(f"artifact URI {uri!r} lies outside the artifact root {self._root!r}")
        key = _safe_key(uri)
        found = [str(name) for name in self._fs.find(key)]
        if self._fs.isfile(key):
            found.append(key)
        if found:
            self._fs.rm(found)
        local = self.local_path(uri)
        if local.is_dir() and not local.is_symlink():
            shutil.rmtree(local, ignore_errors=True)
        else:
            local.unlink(missing_ok=True)

    def upload(self, uri: str) -> bool:
        """Copy the local file or folder of ``uri`` to the bucket; False when there is nothing local."""
        key = _safe_key(uri)
        source = self.local_path(uri)
        if source.is_file():
            self._fs.put_file(str(source), key)
            return True
        if not source.is_dir():
            return False
        for file in sorted(path for path in source.rglob("*") if path.is_file()):
            self._fs.put_file(str(file), key + "/" + file.relative_to(source).as_posix())
        return True


def _key_of(uri: str) -> str:
    if not uri.startswith(_SCHEME):
        raise UnsafePathError(f"artifact URI {uri!r} is not an s3:// URI")
    return uri[len(_SCHEME) :]


def _safe_key(uri: str) -> str:
    """``bucket/key`` of an s3 URI, refusing ``..``, empty segments and NUL (they would leave the mount)."""
    key = _key_of(uri).rstrip("/")
    for part in key.split("/"):
        check_path_part(part, f"segment of artifact URI {uri!r}")
    return key
