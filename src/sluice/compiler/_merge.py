"""Merging a pipeline used as a component (a sub-pipeline) into the pipeline that calls it.

The sub-pipeline's components and executors join the caller's; a name already taken gets a ``-2``
(``-3``...) suffix, and references to it are renamed, as KFP does.
"""

from __future__ import annotations

import copy
from typing import Any

from sluice import ir
from sluice.dsl._internal import unique_name

__all__ = ["merge_sub_pipeline"]


def _rename_component_refs(dag: ir.DagSpec | None, renames: dict[str, str]) -> None:
    if dag is None:
        return
    for task in dag.tasks.values():
        if task.component_ref is not None and task.component_ref.name in renames:
            task.component_ref.name = renames[task.component_ref.name]


def merge_sub_pipeline(
    main: ir.PipelineSpec,
    executors: dict[str, ir.ExecutorSpec],
    sub: ir.PipelineSpec,
    *,
    platform: dict[str, Any] | None = None,
    sub_platform: dict[str, Any] | None = None,
) -> ir.ComponentSpec:
    """Add ``sub``'s components and executors to ``main`` (renaming clashes); return ``sub``'s root to use.

    ``sub_platform`` (the sub-pipeline's kfp-kubernetes settings by executor label) joins ``platform``
    under the executors' new labels.
    """
    sub = sub.copy()
    sub_executors = sub.deployment_spec.executors if sub.deployment_spec else {}
    labels: dict[str, str] = {}
    for label, executor in sub_executors.items():
        labels[label] = unique_name(label, executors)
        executors[labels[label]] = executor
        if platform is not None and sub_platform and label in sub_platform:
            platform[labels[label]] = copy.deepcopy(sub_platform[label])
    for component in sub.components.values():
        if component.executor_label in labels:
            component.executor_label = labels[component.executor_label]

    renames: dict[str, str] = {}
    taken = set(main.components)
    for name in sub.components:
        new_name = unique_name(name, taken | set(renames) | set(renames.values()))
        renames[name] = new_name
    changed = {old: new for old, new in renames.items() if old != new}
    if changed:
        for component in sub.components.values():
            _rename_component_refs(component.dag, changed)
        assert sub.root is not None
        _rename_component_refs(sub.root.dag, changed)
    for name, component in sub.components.items():
        main.components[renames[name]] = component
    assert sub.root is not None
    return sub.root
