"""Make ``import kfp`` resolve to Sluice inside a task process.

Component source written for KFP imports ``kfp.dsl`` for its annotations and artifact types. In a task
process those must be Sluice's classes (the runtime recognizes only those), and the container may not
have kfp at all, so the runtime registers alias modules in ``sys.modules`` before it loads the
component. The task process runs one component, so nothing else sees the aliases.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["install_kfp_aliases"]

# Decorators KFP source may still carry around the function; inside a task they only need to hand the
# function back, whatever sluice.dsl defines at the time.
_PASS_THROUGH_DECORATORS = ("component", "container_component", "notebook_component", "pipeline")


def _pass_through_decorator(*args: Any, **kwargs: Any) -> Any:
    """Accepts ``@decorator`` and ``@decorator(...)`` alike and returns the function unchanged."""
    if len(args) == 1 and not kwargs and callable(args[0]):
        return args[0]

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        return function

    return decorate


def _make_dsl_alias(sluice_dsl: ModuleType, module_name: str) -> ModuleType:
    alias = ModuleType(module_name, sluice_dsl.__doc__)
    alias.__path__ = []  # a package, so that ``kfp.dsl.types`` and friends can be registered under it

    def resolve(name: str) -> Any:
        # Looked up on each access, so names sluice.dsl gains later are found too. Dunders (__file__,
        # __spec__...) stay the alias's own, so tools see a module without a file, not sluice.dsl's.
        if not name.startswith("__") and hasattr(sluice_dsl, name):
            return getattr(sluice_dsl, name)
        if name in _PASS_THROUGH_DECORATORS:
            return _pass_through_decorator
        raise AttributeError(f"module {module_name!r} (Sluice's alias of kfp.dsl) has no attribute {name!r}")

    exported = list(getattr(sluice_dsl, "__all__", ()))
    vars(alias).update(
        __getattr__=resolve,
        __all__=exported + [name for name in _PASS_THROUGH_DECORATORS if name not in exported],
    )
    return alias


def _make_kfp_alias() -> ModuleType:
    alias = ModuleType("kfp", "Sluice's stand-in for the kfp package inside a task process.")
    alias.__path__ = []

    def resolve(name: str) -> Any:
        raise AttributeError(
            f"kfp.{name} is not available inside a Sluice task: there 'kfp' is an alias of Sluice "
            "that provides only kfp.dsl"
        )

    vars(alias)["__getattr__"] = resolve
    return alias


def install_kfp_aliases() -> None:
    """Register ``kfp``, ``kfp.dsl`` and the ``kfp.dsl`` submodules KFP code imports as Sluice's modules."""
    if getattr(sys.modules.get("kfp"), "__sluice_alias__", False):
        return
    import sluice.dsl as sluice_dsl
    from sluice.dsl import _annotations, _artifacts, _final_status

    kfp = _make_kfp_alias()
    dsl = _make_dsl_alias(sluice_dsl, "kfp.dsl")
    dsl_types = ModuleType("kfp.dsl.types", "Sluice's alias of kfp.dsl.types.")
    dsl_types.__path__ = []
    aliases: dict[str, ModuleType] = {
        "kfp": kfp,
        "kfp.dsl": dsl,
        "kfp.dsl.types": dsl_types,
        "kfp.dsl.types.artifact_types": _artifacts,
        "kfp.dsl.types.type_annotations": _annotations,
        "kfp.dsl.task_final_status": _final_status,
    }
    # ``from kfp import dsl`` reads the attribute of the parent, so each alias hangs off its parent too.
    vars(kfp).update(dsl=dsl, __sluice_alias__=True)
    vars(dsl).update(types=dsl_types, task_final_status=_final_status)
    vars(dsl_types).update(artifact_types=_artifacts, type_annotations=_annotations)
    sys.modules.update(aliases)
