"""Sluice's SDK has kfp 2.17's signatures: every public function, class and method of ``sluice.dsl``,
``sluice.compiler`` and ``sluice.components`` that kfp also has takes the same parameters, in the same
order, of the same kind, with the same defaults, so code written for kfp calls Sluice unchanged
(``Compiler().compile(p, "x.yaml", "name", "Display")`` included).

What differs on purpose is listed below, each with the reason. A difference not listed fails the test;
so does a listed one that is gone (the list stays true).
"""

from __future__ import annotations

import inspect
import types
import warnings
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import kfp.compiler
    import kfp.components
    import kfp.dsl

import sluice.compiler
import sluice.components
import sluice.dsl

MODULES = [
    (sluice.dsl, kfp.dsl),
    (sluice.compiler, kfp.compiler),
    (sluice.components, kfp.components),
]

# Public in kfp (its __all__, plus EmbeddedInput, which kfp.dsl defines outside __all__), absent in Sluice.
NOT_PROVIDED = {
    # Kubernetes-only or Vertex-only features that have no meaning for a Sluice run.
    "kfp.dsl.TaskConfig": "dsl.TaskConfig passes the task's Kubernetes pod settings into the function",
    "kfp.dsl.TaskConfigField": "part of dsl.TaskConfig",
    "kfp.dsl.TaskConfigPassthrough": "part of dsl.TaskConfig",
    "kfp.compiler.KubernetesManifestOptions": "Sluice compiles to PipelineSpec YAML, not Kubernetes manifests",
    # Notebook components need nbclient and a Jupyter kernel in the task.
    # kfp.components re-exports its class hierarchy; Sluice's classes live in sluice.dsl.
    "kfp.components.BaseComponent": "sluice.dsl.BaseComponent",
    "kfp.components.PythonComponent": "sluice.dsl.PythonComponent",
    "kfp.components.ContainerComponent": "sluice.dsl.ContainerComponent",
}

# Members of kfp's classes that Sluice's classes do not have as class attributes.
MEMBERS_NOT_PROVIDED = {
    # Set per instance in Sluice's __init__ (a property in kfp): the same for users.
    "PipelineTask.name": "an instance attribute in Sluice",
    "ContainerSpec.command": "a dataclass field in kfp; an instance attribute in Sluice",
    "ContainerSpec.args": "a dataclass field in kfp; an instance attribute in Sluice",
    # kfp's compiler internals, reachable as public names on its objects.
    "Collected.task": "kfp's compiler-side bookkeeping",
    "Condition.remove_task_recursive": "kfp's compiler-side bookkeeping",
    "If.remove_task_recursive": "kfp's compiler-side bookkeeping",
    "Elif.remove_task_recursive": "kfp's compiler-side bookkeeping",
    "Else.remove_task_recursive": "kfp's compiler-side bookkeeping",
    "ExitHandler.remove_task_recursive": "kfp's compiler-side bookkeeping",
    "ParallelFor.remove_task_recursive": "kfp's compiler-side bookkeeping",
    "PipelineTask.channel_inputs": "an instance attribute in Sluice",
    "PipelineTask.platform_spec": "platform settings of tasks are the kfp-kubernetes issue's",
    "YamlComponent.platform_spec": "platform settings of loaded components are the kfp-kubernetes issue's",
    "YamlComponent.execute": "a component loaded from YAML runs in a pipeline (or with sluice.local)",
}

# Signatures that differ on purpose: "<module>.<name>[.<member>]" -> why.
SIGNATURE_DIFFERENCES = {
    # Sluice's task is built from its component and keyword arguments; kfp's from a ComponentSpec and
    # compiler settings. Users never construct tasks: calling a component does.
    "sluice.dsl.PipelineTask.__init__": "built by calling a component, never by users",
    # The second argument names where the text came from in error messages; kfp's takes only the text.
    "sluice.components.load_component_from_text": "extra optional 'source' for error messages",
}


def _public_names(module: types.ModuleType) -> set[str]:
    names = set(getattr(module, "__all__", ()))
    if module is kfp.dsl:
        names.add("EmbeddedInput")
    return names


def _shape(callable_object: Any) -> list[tuple[str, str, str]] | None:
    """Parameters as (name, kind, default): what a caller relies on. None when Python cannot tell."""
    try:
        signature = inspect.signature(callable_object)
    except (TypeError, ValueError):
        return None
    return [
        (
            parameter.name,
            parameter.kind.name,
            "<required>" if parameter.default is inspect.Parameter.empty else repr(parameter.default),
        )
        for parameter in signature.parameters.values()
    ]


def _comparisons() -> list[tuple[str, Any, Any]]:
    """(qualified name, Sluice's callable, kfp's callable) for every signature both SDKs have."""
    pairs: list[tuple[str, Any, Any]] = []
    for ours, theirs in MODULES:
        for name in sorted(_public_names(ours) & _public_names(theirs)):
            mine, reference = getattr(ours, name), getattr(theirs, name)
            qualified = f"{ours.__name__}.{name}"
            if inspect.isclass(reference) and inspect.isclass(mine):
                pairs.append((f"{qualified}.__init__", mine.__init__, reference.__init__))
                for member in sorted(dir(reference)):
                    if member.startswith("_") or not hasattr(mine, member):
                        continue
                    static = inspect.getattr_static(reference, member)
                    if isinstance(static, types.FunctionType | staticmethod | classmethod):
                        pairs.append(
                            (f"{qualified}.{member}", getattr(mine, member), getattr(reference, member))
                        )
            elif callable(reference):
                pairs.append((qualified, mine, reference))
    return pairs


COMPARISONS = {name: (mine, reference) for name, mine, reference in _comparisons()}


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_signature_is_kfps(name: str) -> None:
    mine, reference = COMPARISONS[name]
    differs = _shape(mine) != _shape(reference)
    if name in SIGNATURE_DIFFERENCES:
        assert differs, f"{name} now matches kfp: remove it from SIGNATURE_DIFFERENCES"
        return
    assert not differs, f"{name}:\n  sluice {_shape(mine)}\n  kfp    {_shape(reference)}"


def test_every_kfp_name_is_provided_or_listed() -> None:
    missing = []
    for ours, theirs in MODULES:
        for name in sorted(_public_names(theirs) - _public_names(ours)):
            qualified = f"{theirs.__name__}.{name}"
            if qualified not in NOT_PROVIDED:
                missing.append(qualified)
    assert not missing, f"kfp names Sluice neither provides nor lists in NOT_PROVIDED: {missing}"
    stale = [
        name
        for name in NOT_PROVIDED
        if any(
            name == f"{theirs.__name__}.{short}" for ours, theirs in MODULES for short in _public_names(ours)
        )
    ]
    assert not stale, f"listed in NOT_PROVIDED but provided: {stale}"


def test_every_kfp_member_is_provided_or_listed() -> None:
    missing, stale = [], []
    for ours, theirs in MODULES:
        for name in sorted(_public_names(ours) & _public_names(theirs)):
            mine, reference = getattr(ours, name), getattr(theirs, name)
            if not (inspect.isclass(reference) and inspect.isclass(mine)):
                continue
            for member in sorted(dir(reference)):
                if member.startswith("_"):
                    continue
                key = f"{name}.{member}"
                if not hasattr(mine, member) and key not in MEMBERS_NOT_PROVIDED:
                    missing.append(key)
                if hasattr(mine, member) and key in MEMBERS_NOT_PROVIDED:
                    stale.append(key)
    assert not missing, f"kfp members Sluice neither provides nor lists in MEMBERS_NOT_PROVIDED: {missing}"
    assert not stale, f"listed in MEMBERS_NOT_PROVIDED but provided: {stale}"


def test_compile_takes_kfps_positional_order(tmp_path: Any) -> None:
    @sluice.dsl.component
    def echo(text: str) -> str:
        return text

    @sluice.dsl.pipeline
    def greet(text: str = "hi") -> str:
        return echo(text=text).output

    target = tmp_path / "x.yaml"
    sluice.compiler.Compiler().compile(
        greet, str(target), "renamed", "Renamed Pipeline", {"text": "hello"}, True
    )
    document = sluice.ir.read_pipeline(target)
    assert document.spec.pipeline_info is not None
    assert document.spec.pipeline_info.name == "renamed"
    assert document.spec.pipeline_info.display_name == "Renamed Pipeline"
    assert document.spec.root is not None and document.spec.root.input_definitions is not None
    assert document.spec.root.input_definitions.parameters["text"].default_value == "hello"
