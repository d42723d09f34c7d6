"""The web UI's built assets, which ``sluice up`` serves at ``/``.

The front end lives in ``ui/`` at the repository root; installing Sluice builds it (``hatch_build.py`` runs
``npm ci && npm run build``) into ``static/`` beside this file.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles

__all__ = ["is_built", "mount", "static_dir"]

_STATIC = Path(__file__).parent / "static"
API_PREFIX = "apis"

_NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sluice</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;line-height:1.5}</style></head>
<body><h1>Sluice</h1>
<p>The platform is up, but its web UI was not built: installing Sluice builds it when Node.js 20+ and npm are
on the PATH. Install them, then reinstall (<code>pip install -e .</code>).</p>
<ul>
<li><a href="/apis/v2beta1/openapi.json">OpenAPI document</a> (the KFP v2beta1 REST API)</li>
</ul>
</body></html>
"""


def static_dir() -> Path:
    """The folder holding ``index.html`` and ``assets/``; it may be missing when the UI was not built."""
    return _STATIC


def is_built() -> bool:
    """Whether the assets are there to serve."""
    return (_STATIC / "index.html").is_file()


def mount(app: FastAPI) -> None:
    """Serve the UI at ``/``: its assets, and ``index.html`` for every other page path (the UI routes itself).

    Call it after every other route is added: its catch-all route answers whatever they do not. Unknown
    ``/apis/...`` paths still get the API's 404.
    """
    if is_built():
        app.mount("/assets", StaticFiles(directory=_STATIC / "assets"), name="ui-assets")

    @app.get("/{path:path}", include_in_schema=False)
    def ui_page(path: str) -> Response:
        if path.split("/", 1)[0] == API_PREFIX:
            raise HTTPException(status_code=404)
        if not is_built():
            return HTMLResponse(_NOT_BUILT_PAGE)
        # The page names hashed asset files, so it must be fetched anew after an upgrade.
        return FileResponse(_STATIC / "index.html", headers={"Cache-Control": "no-cache"})
