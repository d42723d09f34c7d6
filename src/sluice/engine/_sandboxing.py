"""An attempt's sandbox under a sandboxed execution profile: what it reads, writes and mounts."""

from __future__ import annotations

import os
from typing import Any

from sluice.engine._context import RunContext
from sluice.engine._prepare import PreparedTask
from sluice.sandbox import Mount, SandboxSpec

__all__ = ["sandbox_for"]


def _input_paths(ctx: RunContext, executor_input: dict[str, Any]) -> list[str]:
    """The input artifacts' local files that resolve inside the run's folder or the artifact root: bwrap
    binds them as the engine's user, so a link elsewhere (to the store's database) is left out."""
    roots = [os.path.realpath(ctx.run_dir.parent), os.path.realpath(ctx.run_dir)]
    paths: list[str] = []
    inputs = executor_input.get("inputs") or {}
    for entry in (inputs.get("artifacts") or {}).values():
        for artifact in entry.get("artifacts") or []:
            uri = artifact.get("uri")
            if not uri:
                continue
            try:
                path = str(ctx.artifacts.local_path(uri))
            except Exception:  # an artifact outside the root (an importer's URI): nothing local to read
                continue
            real = os.path.realpath(path)
            if any(real.startswith(root + os.sep) for root in roots):
                paths.append(path)
    return paths


def sandbox_for(
    ctx: RunContext, prepared: PreparedTask, gpus: list[int], mounts: tuple[Mount, ...] = ()
) -> SandboxSpec | None:
    """The attempt's sandbox, or None under the ``host`` profile."""
    profile = ctx.options.profile
    if profile is None or not profile.sandboxed:
        return None
    workspace = ctx.workspace_dir
    workspace.mkdir(parents=True, exist_ok=True)
    return SandboxSpec(
        profile=profile,
        namespace=ctx.namespace,
        readable=tuple(_input_paths(ctx, prepared.executor_input)),
        writable=(str(prepared.task_dir), str(workspace)),
        mounts=mounts,
        gpus=tuple(gpus) if prepared.request.gpus else (),
    )
