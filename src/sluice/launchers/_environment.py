"""The environment a task starts from; the task's own variables (``LaunchSpec.env``: its executor's env, the
secrets it asks for, ``SLUICE_RUN_ID`` and the like) go on top.

Two policies:

- :func:`personal_environment`, for ``sluice run`` on a person's own machine: everything the person has, as
  kfp.local passes it (their credentials are theirs to use), except Sluice's own settings (``SLUICE_*``:
  the database URL above all).
- :func:`clean_environment`, for the tasks of a service (``sluice up``), which run code that the people
  submitting pipelines wrote: only what a process needs to run (``PATH``, ``HOME``, locale, time zone,
  temporary folder, proxies, CA bundles, GPU variables, Python's own), plus the names the operator allows.
  Never the server's database URL, tokens or cloud credentials: tasks of an ``s3://`` root work on local
  copies that the engine downloads and uploads, so they need no AWS variables either.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

__all__ = [
    "ALWAYS_ALLOWED",
    "TASK_ENV_ALLOW_VARIABLE",
    "check_task_env_names",
    "clean_environment",
    "personal_environment",
    "task_env_names_from_environment",
]

TASK_ENV_ALLOW_VARIABLE = "SLUICE_TASK_ENV_ALLOW"
_SLUICE_PREFIX = "SLUICE_"

# What every process may need and no secret lives in.
ALWAYS_ALLOWED = frozenset(
    {
        # the system
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "HOSTNAME",
        "TERM",
        "TZ",
        "TMPDIR",
        "TEMP",
        "TMP",
        "LANG",
        "LANGUAGE",
        "LD_LIBRARY_PATH",
        # proxies (a proxy URL with a password in it is the operator's choice of proxy, not a task's secret)
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "all_proxy",
        # certificate bundles
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        # Python, where the runtime comes from
        "PYTHONPATH",
        "PYTHONHOME",
        "VIRTUAL_ENV",
        # accelerators
        "HIP_VISIBLE_DEVICES",
        "ROCR_VISIBLE_DEVICES",
        # model caches
        "HF_HOME",
        "TORCH_HOME",
    }
)
_ALLOWED_PREFIXES = ("LC_", "CUDA_", "NVIDIA_", "XDG_")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_task_env_names(names: Iterable[str]) -> tuple[str, ...]:
    """Variable names an operator allows tasks to inherit; ValueError for a name that is not one, or for
    Sluice's own settings, which tasks never get."""
    checked = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        if not _NAME.match(name):
            raise ValueError(f"--task-env {name!r}: not an environment variable name")
        if name.startswith(_SLUICE_PREFIX):
            raise ValueError(
                f"--task-env {name}: Sluice's own settings (SLUICE_*, such as the database URL) never reach tasks"
            )
        checked.append(name)
    return tuple(dict.fromkeys(checked))


def task_env_names_from_environment(source: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The names in ``$SLUICE_TASK_ENV_ALLOW`` (separated by commas or spaces), checked."""
    text = (os.environ if source is None else source).get(TASK_ENV_ALLOW_VARIABLE, "")
    return check_task_env_names(re.split(r"[\s,]+", text))


def _allowed(name: str, extra: frozenset[str]) -> bool:
    if name.startswith(_SLUICE_PREFIX):
        return False
    return name in ALWAYS_ALLOWED or name in extra or name.startswith(_ALLOWED_PREFIXES)


def clean_environment(allow: Iterable[str] = (), source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables of ``source`` (this process's environment) a service's task may start from: the
    allowlist and ``allow`` (checked with :func:`check_task_env_names`)."""
    extra = frozenset(check_task_env_names(allow))
    environment = os.environ if source is None else source
    return {name: value for name, value in environment.items() if _allowed(name, extra)}


def personal_environment(source: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without Sluice's own settings, for tasks of ``sluice run``."""
    environment = os.environ if source is None else source
    return {name: value for name, value in environment.items() if not name.startswith(_SLUICE_PREFIX)}
