"""``@dsl.component(embedded_artifact_path=...)``: a file or folder carried inside the compiled component.

At compile time the file or folder becomes a gzipped tar archive, base64-encoded into the component's
source, followed by a few lines that extract it when the task's module is loaded. They set the module
globals KFP's executors read for ``EmbeddedInput[...]`` parameters: ``__KFP_EMBEDDED_ASSET_DIR`` (the
extracted folder, also put first on ``sys.path``) and, for a single file, ``__KFP_EMBEDDED_ASSET_FILE``.
Because the names are kfp's, kfp-compiled components run on Sluice's runtime and Sluice-compiled ones on
kfp's.

The archive is deterministic (sorted entries, no timestamps or owners), so recompiling an unchanged
folder gives the same YAML and the same cache fingerprints.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["ASSET_DIR_GLOBAL", "ASSET_FILE_GLOBAL", "LARGE_ARCHIVE_BYTES", "embedded_asset_source"]

ASSET_DIR_GLOBAL = "__KFP_EMBEDDED_ASSET_DIR"
ASSET_FILE_GLOBAL = "__KFP_EMBEDDED_ASSET_FILE"
LARGE_ARCHIVE_BYTES = 1 << 20
"""Above this (compressed), compiling warns: the archive travels inside the pipeline's YAML and every task."""

# The archive is a Python string literal: base64 holds no quotes or backslashes.
_EXTRACTOR = """
def _sluice_extract_embedded_asset(archive):
    import atexit, base64, io, shutil, sys, tarfile, tempfile

    folder = tempfile.mkdtemp(prefix="embedded-asset-")
    atexit.register(shutil.rmtree, folder, True)
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(archive)), mode="r:gz") as bundle:
        if hasattr(tarfile, "data_filter"):
            bundle.extractall(folder, filter="data")
        else:
            bundle.extractall(folder)
    sys.path.insert(0, folder)
    return folder


{dir_global} = _sluice_extract_embedded_asset(
    "{archive}"
)
"""


def _normalized(info: Any) -> Any:
    """A tar entry without what changes between checkouts: times, owners."""
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _archive(path: str) -> bytes:
    """``path`` (a file, or a folder's content) as a deterministic .tar.gz."""
    import gzip
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as bundle:
        if os.path.isdir(path):
            # tarfile adds a folder's entries in sorted order.
            bundle.add(path, arcname=".", filter=_normalized)
        else:
            bundle.add(path, arcname=os.path.basename(path), filter=_normalized)
    return gzip.compress(buffer.getvalue(), mtime=0)


def embedded_asset_source(path: str) -> tuple[str, int]:
    """The lines that carry ``path`` (an existing file or folder) and extract it; and the archive's size.

    Raises OSError when ``path`` cannot be read.
    """
    import base64

    archive = _archive(path)
    source = _EXTRACTOR.replace("{dir_global}", ASSET_DIR_GLOBAL).replace(
        "{archive}", base64.b64encode(archive).decode("ascii")
    )
    if not os.path.isdir(path):
        file_name = os.path.basename(path)
        source += f"{ASSET_FILE_GLOBAL} = __import__('os').path.join({ASSET_DIR_GLOBAL}, {file_name!r})\n"
    return source, len(archive)
