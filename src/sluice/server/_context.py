"""What every request handler reaches: the store, the run executor, the artifact root and store, and the
page token signer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Request

from sluice.artifacts import ArtifactStore
from sluice.server._package_url import PackageFetcher
from sluice.server._page_tokens import PageTokens
from sluice.store import Store

if TYPE_CHECKING:
    from sluice.server._executor import RunExecutor

__all__ = ["ServiceContext", "service"]


@dataclass
class ServiceContext:
    store: Store
    executor: RunExecutor
    artifact_root: str  # a folder, or s3://bucket/prefix
    artifacts: ArtifactStore  # reads what runs produced, by URI
    home: Path
    page_tokens: PageTokens  # signs the next_page_token of lists
    package_fetcher: PackageFetcher = field(default_factory=PackageFetcher)  # package_url, SSRF-guarded


def service(request: Request) -> ServiceContext:
    """The running service (a FastAPI dependency)."""
    context: ServiceContext = request.app.state.service
    return context
