"""Virtual environments for ``packages_to_install``: one per distinct requirement set, built with uv.

A component whose requirements are already satisfied by the engine's own environment runs there (through
the fork server). Otherwise its environment is built once under ``$SLUICE_HOME/venvs/<hash>`` and reused by
every later task and run with the same requirements. Builds take a file lock, so two engines never build the
same environment at once; a ``.complete`` marker says a build finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["VenvError", "ensure_venv", "requirements_satisfied", "runtime_pythonpath"]

OFFLINE_VARIABLE = "SLUICE_OFFLINE"


class VenvError(RuntimeError):
    """The environment for a task's packages could not be built."""


def requirements_satisfied(requirements: tuple[str, ...]) -> bool:
    """Whether every requirement is installed, at a matching version, in the engine's environment."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement

    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            return False
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            version = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            return False
        if requirement.url is None and not requirement.specifier.contains(version, prereleases=True):
            return False
    return True


def _key(
    requirements: tuple[str, ...], index_urls: tuple[str, ...], extra_index_urls: tuple[str, ...]
) -> str:
    identity = {
        "python": sys.version,
        "executable": os.path.realpath(sys.executable),
        "requirements": sorted(requirements),
        "index_urls": list(index_urls),
        "extra_index_urls": list(extra_index_urls),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:20]


def _uv() -> str:
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        import shutil

        found = shutil.which("uv")
        if found is None:
            raise VenvError("uv is not installed; install Sluice's dependencies (pip install uv)") from None
        return found


def _run(argv: list[str], what: str) -> None:
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-15:])
        raise VenvError(f"{what} failed:\n{tail}")


def ensure_venv(
    root: Path,
    requirements: tuple[str, ...],
    index_urls: tuple[str, ...] = (),
    extra_index_urls: tuple[str, ...] = (),
) -> str:
    """The Python interpreter of an environment with ``requirements`` installed, built if need be."""
    import fcntl

    folder = root / _key(requirements, index_urls, extra_index_urls)
    python = folder / "bin" / "python"
    marker = folder / ".complete"
    if marker.exists():
        return str(python)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return str(python)
        uv = _uv()
        _run([uv, "venv", "--quiet", "--clear", "--python", sys.executable, str(folder)], "creating a venv")
        install = [uv, "pip", "install", "--quiet", "--python", str(python)]
        for url in index_urls[:1]:
            install += ["--index-url", url]
        for url in (*index_urls[1:], *extra_index_urls):
            install += ["--extra-index-url", url]
        offline = os.environ.get(OFFLINE_VARIABLE, "").lower() in ("1", "true", "yes")
        if offline:
            install.append("--offline")
        try:
            _run([*install, *requirements], f"installing {', '.join(requirements)}")
        except VenvError as error:
            hint = (
                "SLUICE_OFFLINE is set, so only packages already in uv's cache can be installed"
                if offline
                else "is this machine offline? Install the packages into Sluice's own environment, or point "
                "uv at a local wheel folder (UV_FIND_LINKS) or index (UV_INDEX_URL)"
            )
            raise VenvError(f"{error}\n({hint})") from None
        marker.write_text(json.dumps({"requirements": list(requirements)}))
    return str(python)


def runtime_pythonpath(home: Path) -> str:
    """A folder holding only the ``sluice`` package, for ``PYTHONPATH`` in task virtual environments.

    Putting the engine's whole site-packages on the path would leak its packages into the task; the runtime
    needs only ``sluice`` itself (it is standard-library only).
    """
    package = Path(__file__).resolve().parent.parent
    folder = home / "runtime-path" / hashlib.sha256(str(package).encode()).hexdigest()[:12]
    link = folder / "sluice"
    if not link.exists():
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".sluice-{os.getpid()}"
        temporary.symlink_to(package, target_is_directory=True)
        os.replace(temporary, link)
    return str(folder)
