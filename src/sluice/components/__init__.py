"""Load components from compiled YAML (Sluice's or kfp's), and save components as YAML; prebuilt components.

``load_component_from_file('train.yaml')`` returns a component to call inside a pipeline like any other:
a single-step component runs its container; a compiled pipeline runs as a nested pipeline.

Prebuilt: ``deploy_model`` puts a Model behind a stable REST URL on the service (see docs/serving.md).
"""

from typing import TYPE_CHECKING, Any

from sluice.components._loading import (
    YamlComponent,
    load_component_from_file,
    load_component_from_text,
    load_component_from_url,
    save_component,
)

if TYPE_CHECKING:
    from sluice.components._deploy_model import deploy_model

__all__ = [
    "YamlComponent",
    "deploy_model",
    "load_component_from_file",
    "load_component_from_text",
    "load_component_from_url",
    "save_component",
]


def __getattr__(name: str) -> Any:
    if name == "deploy_model":  # defined on first use: building a component reads its source
        from sluice.components._deploy_model import deploy_model

        return deploy_model
    raise AttributeError(f"module 'sluice.components' has no attribute {name!r}")
