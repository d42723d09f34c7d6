"""Structural comparison of two compiled pipelines, e.g. kfp's fixture and Sluice's output for one example.

Two compiled pipelines are structurally equal when a KFP backend would run them the same way: same
components (by name) with the same input/output definitions, same DAG tasks with the same
dependencies, input wiring, trigger conditions, iterators, retry and caching options, same executors
(image, resources, env) and the same pipeline info and platform spec. Two things may differ:

* ``sdkVersion``, which names the SDK that wrote the file;
* the command and args of lightweight Python components: each SDK embeds its own bootstrap script and
  the function's source. Container components keep theirs: those are user-written command lines,
  placeholders included, and must come out exactly as kfp writes them.

Numbers compare by value (kfp writes an ``int`` default as ``7.0``), but never equal to booleans, and
``dependentTasks`` compares as a set.
"""

from __future__ import annotations

import copy
import json
from typing import Any

Document = dict[str, Any]

# Lists whose order carries no meaning.
_UNORDERED_LISTS = frozenset({"dependentTasks"})


def python_executor_labels(spec: Document) -> set[str]:
    """Executors that run a lightweight Python component (kfp's marks them with ``--function_to_execute``)."""
    executors = spec.get("deploymentSpec", {}).get("executors", {})
    return {
        label
        for label, executor in executors.items()
        if "--function_to_execute" in executor.get("container", {}).get("args", [])
    }


def comparable(docs: list[Document], python_executors: set[str]) -> list[Document]:
    """A copy of ``docs`` without what may differ: ``sdkVersion`` and Python executors' command/args."""
    docs = copy.deepcopy(docs)
    if docs:
        spec = docs[0]
        spec.pop("sdkVersion", None)
        executors = spec.get("deploymentSpec", {}).get("executors", {})
        for label in python_executors & executors.keys():
            container = executors[label].get("container", {})
            container.pop("command", None)
            container.pop("args", None)
    return docs


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


def _same_scalar(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def _differences(expected: Any, actual: Any, path: str, names: tuple[str, str], out: list[str]) -> None:
    left, right = names
    where = path or "<document>"
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(expected.keys() | actual.keys(), key=str):
            child = f"{path}.{key}" if path else str(key)
            if key not in actual:
                out.append(f"{child}: only in {left}: {_show(expected[key])}")
            elif key not in expected:
                out.append(f"{child}: only in {right}: {_show(actual[key])}")
            else:
                _differences(expected[key], actual[key], child, names, out)
        return
    if isinstance(expected, list) and isinstance(actual, list):
        if path.rsplit(".", 1)[-1] in _UNORDERED_LISTS:
            expected, actual = sorted(expected, key=_show), sorted(actual, key=_show)
        if len(expected) != len(actual):
            out.append(
                f"{where}: {left} has {len(expected)} items, {right} has {len(actual)}: "
                f"{left} {_show(expected)} / {right} {_show(actual)}"
            )
            return
        for index, (a, b) in enumerate(zip(expected, actual, strict=True)):
            _differences(a, b, f"{path}[{index}]", names, out)
        return
    if not _same_scalar(expected, actual):
        out.append(f"{where}: {left} {_show(expected)} != {right} {_show(actual)}")


def structural_differences(
    expected: list[Document], actual: list[Document], names: tuple[str, str] = ("kfp", "sluice")
) -> list[str]:
    """Every structural difference between two compiled pipelines, one readable line each, by path.

    ``expected`` is the reference (kfp's fixture): its Python executors decide which command/args to skip.
    """
    out: list[str] = []
    if len(expected) != len(actual):
        out.append(f"<file>: {names[0]} wrote {len(expected)} YAML documents, {names[1]} wrote {len(actual)}")
    skip = python_executor_labels(expected[0]) if expected else set()
    for index, (a, b) in enumerate(zip(comparable(expected, skip), comparable(actual, skip))):
        prefix = "" if index == 0 else "platformSpec"
        _differences(a, b, prefix, names, out)
    return out


def assert_structurally_equal(
    expected: list[Document],
    actual: list[Document],
    names: tuple[str, str] = ("kfp", "sluice"),
    limit: int = 40,
) -> None:
    """Fails with the list of differences (at most ``limit`` lines) when the pipelines differ in structure."""
    differences = structural_differences(expected, actual, names)
    if differences:
        shown = differences[:limit]
        if len(differences) > limit:
            shown.append(f"... and {len(differences) - limit} more")
        raise AssertionError(
            f"{len(differences)} structural difference(s) between {names[0]} and {names[1]}:\n  "
            + "\n  ".join(shown)
        )
