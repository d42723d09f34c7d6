"""Artifact content as streams: whole files without a size cap, byte ranges (``Range: bytes=...``, for
previews), folders as a tar stream built on the fly (headers and file bytes, never the whole archive in
memory), and KFP's base64 ReadArtifact body written as it is read."""

from __future__ import annotations

import base64
import os
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from fastapi.responses import Response, StreamingResponse

__all__ = ["base64_json_stream", "file_response", "folder_tar_response", "size_of"]

_CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _chunks(handle: IO[bytes], remaining: int | None) -> Iterator[bytes]:
    try:
        while remaining is None or remaining > 0:
            size = _CHUNK if remaining is None else min(_CHUNK, remaining)
            chunk = handle.read(size)
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(first, last) of a single satisfiable range; None: send the whole file; "unsatisfiable": a 416."""
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None  # several ranges or another unit: RFC 9110 lets a server send the whole content
    start_text, end_text = match.groups()
    if not start_text and not end_text:
        return None
    if not start_text:  # the last N bytes
        length = int(end_text)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = int(start_text)
    end = min(int(end_text), size - 1) if end_text else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, end


def file_response(
    handle: IO[bytes], size: int | None, range_header: str | None, *, media_type: str, filename: str | None
) -> Response:
    """The file behind ``handle`` (opened; closed when sent), whole or the requested range; ``filename``:
    offered as a download under that name."""
    headers = {"Accept-Ranges": "bytes"}
    if filename:
        headers["Content-Disposition"] = _attachment(filename)
    if size is None:
        return StreamingResponse(_chunks(handle, None), media_type=media_type, headers=headers)
    wanted = _byte_range(range_header, size)
    if wanted == "unsatisfiable":
        handle.close()
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if isinstance(wanted, tuple):
        start, end = wanted
        handle.seek(start)
        headers |= {"Content-Range": f"bytes {start}-{end}/{size}", "Content-Length": str(end - start + 1)}
        return StreamingResponse(
            _chunks(handle, end - start + 1), status_code=206, media_type=media_type, headers=headers
        )
    headers["Content-Length"] = str(size)
    return StreamingResponse(_chunks(handle, size), media_type=media_type, headers=headers)


def _attachment(filename: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "artifact"
    return f'attachment; filename="{safe}"'


def _tar_entries(folder: Path) -> Iterator[bytes]:
    """A POSIX tar of ``folder``'s files and subfolders, as bytes, file by file (symlinks are left out:
    they could point outside the artifact root)."""
    for current, folders, files in os.walk(folder, followlinks=False):
        folders.sort()
        here = Path(current)
        relative = here.relative_to(folder)
        if relative != Path("."):
            info = tarfile.TarInfo(relative.as_posix())
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = int(here.stat().st_mtime)
            yield info.tobuf(format=tarfile.PAX_FORMAT)
        for name in sorted(files):
            path = here / name
            if path.is_symlink() or not path.is_file():
                continue
            try:
                handle = path.open("rb")
            except OSError:
                continue
            with handle:
                stat = os.fstat(handle.fileno())
                info = tarfile.TarInfo((relative / name).as_posix())
                info.size = stat.st_size
                info.mode = 0o644
                info.mtime = int(stat.st_mtime)
                yield info.tobuf(format=tarfile.PAX_FORMAT)
                written = 0
                while written < info.size:
                    chunk = handle.read(min(_CHUNK, info.size - written))
                    if not chunk:  # the file shrank while being read: pad to the size the header gave
                        chunk = b"\0" * (info.size - written)
                    written += len(chunk)
                    yield chunk
                if info.size % tarfile.BLOCKSIZE:
                    yield b"\0" * (tarfile.BLOCKSIZE - info.size % tarfile.BLOCKSIZE)
    yield b"\0" * (2 * tarfile.BLOCKSIZE)  # the end-of-archive marker


def folder_tar_response(folder: Path, filename: str) -> Response:
    return StreamingResponse(
        _tar_entries(folder),
        media_type="application/x-tar",
        headers={"Content-Disposition": _attachment(f"{filename}.tar")},
    )


def base64_json_stream(handle: IO[bytes], key: str = "data") -> Iterator[bytes]:
    """``{"data": "<base64 of the content>"}`` written chunk by chunk: each piece encodes a multiple of 3
    bytes, so the pieces concatenate into one valid base64 text."""
    yield f'{{"{key}": "'.encode()
    pending = b""
    for chunk in _chunks(handle, None):
        data = pending + chunk
        whole = len(data) - len(data) % 3
        yield base64.b64encode(data[:whole])
        pending = data[whole:]
    yield base64.b64encode(pending) + b'"}'


def size_of(handle: Any) -> int | None:
    """The size of an open file, or None when the handle cannot tell."""
    try:
        return int(os.fstat(handle.fileno()).st_size)
    except (AttributeError, OSError, ValueError):
        pass
    size = getattr(handle, "size", None)
    return int(size) if isinstance(size, int) else None
