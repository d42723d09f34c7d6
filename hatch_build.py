"""Builds the web UI (``ui/``) into ``src/sluice/ui/static`` when Sluice is installed.

Runs ``npm ci`` (from the lockfile, so the npm cache is enough offline) and ``npm run build``. The build is
skipped when the sources have not changed since the last one (a stamp of their hash sits beside the assets),
when ``SLUICE_SKIP_UI_BUILD=1``, or, with a warning, when npm is not installed: the server then says so at ``/``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

UI_SOURCES = ("package.json", "package-lock.json", "index.html", "tsconfig.json", "vite.config.ts", "src")
STAMP_NAME = ".source-hash"


def _source_hash(ui: Path) -> str:
    digest = hashlib.sha256()
    for name in UI_SOURCES:
        path = ui / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                digest.update(file.relative_to(ui).as_posix().encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name not in ("wheel", "sdist"):
            return
        root = Path(self.root)
        ui = root / "ui"
        static = root / "src" / "sluice" / "ui" / "static"
        if ui.is_dir() and os.environ.get("SLUICE_SKIP_UI_BUILD") != "1":
            self._build(ui, static)
        if version != "editable" and (static / "index.html").is_file():
            # The assets are gitignored, which hatch would otherwise leave out of the wheel and the sdist
            # (a wheel built from the sdist then finds them built: its stamp matches, no npm needed).
            target = "sluice/ui/static" if self.target_name == "wheel" else "src/sluice/ui/static"
            build_data["force_include"][str(static)] = target

    def _build(self, ui: Path, static: Path) -> None:
        stamp = static / STAMP_NAME
        source_hash = _source_hash(ui)
        if stamp.is_file() and stamp.read_text().strip() == source_hash:
            return
        if not (ui / "package-lock.json").is_file():
            return  # an sdist without UI sources: the assets it carries are used as they are
        npm = shutil.which("npm")
        if npm is None:
            self.app.display_warning(
                "npm not found: the web UI is not built (install Node.js 20+ and reinstall)"
            )
            return
        self.app.display_info("Building the web UI (npm ci && npm run build)")
        installed = ui / "node_modules" / ".package-lock.json"
        if not installed.is_file() or installed.stat().st_mtime < (ui / "package-lock.json").stat().st_mtime:
            subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=ui, check=True)
        subprocess.run([npm, "run", "build"], cwd=ui, check=True)
        stamp.write_text(source_hash + "\n")
