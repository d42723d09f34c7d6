"""Load components from compiled YAML (Sluice's or kfp's), and save components as YAML.

``load_component_from_file('train.yaml')`` returns a component to call inside a pipeline like any other:
a single-step component runs its container; a compiled pipeline runs as a nested pipeline.
"""

from sluice.components._loading import (
    YamlComponent,
    load_component_from_file,
    load_component_from_text,
    load_component_from_url,
    save_component,
)

__all__ = [
    "YamlComponent",
    "load_component_from_file",
    "load_component_from_text",
    "load_component_from_url",
    "save_component",
]
