"""The one check of run parameters (``sluice.engine._arguments``), table-driven: what ``sluice.run()`` and the
REST API (strict) and ``sluice run -p`` (lenient text) accept and refuse, and how the API words a refusal."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sluice.engine import PipelineInputError, parse_arguments
from sluice.engine._arguments import complete_parameters
from sluice.ir import PipelineSpec
from sluice.server._errors import ApiError
from sluice.server._parameters import complete_parameters as api_parameters

TYPES = {
    "text": "STRING",
    "count": "NUMBER_INTEGER",
    "rate": "NUMBER_DOUBLE",
    "flag": "BOOLEAN",
    "items": "LIST",
    "config": "STRUCT",
}


def _spec(defaults: dict[str, Any] | None = None, optional: tuple[str, ...] = ()) -> PipelineSpec:
    parameters: dict[str, Any] = {}
    for name, parameter_type in TYPES.items():
        definition: dict[str, Any] = {"parameterType": parameter_type}
        if defaults and name in defaults:
            definition["defaultValue"] = defaults[name]
        if name in optional:
            definition["isOptional"] = True
        parameters[name] = definition
    return PipelineSpec.from_dict(
        {
            "pipelineInfo": {"name": "p"},
            "schemaVersion": "2.1.0",
            "sdkVersion": "sluice",
            "root": {"dag": {"tasks": {}}, "inputDefinitions": {"parameters": parameters}},
        }
    )


# Every input given a good value; each case replaces one.
GOOD = {"text": "a", "count": 1, "rate": 0.5, "flag": True, "items": [1], "config": {"k": 1}}

REFUSED = object()

# (input, value given, strict result, lenient result): REFUSED where the mode refuses it.
CASES = [
    ("count", 3, 3, 3),
    ("count", 3.0, 3, 3),  # JSON's integral number
    ("count", 3.5, REFUSED, REFUSED),
    ("count", True, REFUSED, REFUSED),
    ("count", "3", REFUSED, 3),
    ("count", 2**63, REFUSED, REFUSED),
    ("rate", 2, 2.0, 2.0),
    ("rate", math.nan, REFUSED, REFUSED),
    ("rate", math.inf, REFUSED, REFUSED),
    ("rate", "nan", REFUSED, REFUSED),
    ("rate", "0.25", REFUSED, 0.25),
    ("flag", "true", REFUSED, True),
    ("flag", 1, REFUSED, REFUSED),
    ("text", 7, REFUSED, REFUSED),
    ("text", "[1, 2]", "[1, 2]", "[1, 2]"),
    ("items", [1, 2], [1, 2], [1, 2]),
    ("items", "[1, 2]", REFUSED, [1, 2]),
    ("items", "1, 2", REFUSED, REFUSED),
    ("config", {"a": 1}, {"a": 1}, {"a": 1}),
    ("config", '{"a": 1}', REFUSED, {"a": 1}),
    ("config", [1], REFUSED, REFUSED),
]


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
@pytest.mark.parametrize(("name", "value", "strict_result", "lenient_result"), CASES)
def test_values_by_type_and_mode(
    name: str, value: Any, strict_result: Any, lenient_result: Any, strict: bool
) -> None:
    expected = strict_result if strict else lenient_result
    given = {**GOOD, name: value}
    if expected is REFUSED:
        with pytest.raises(PipelineInputError) as raised:
            complete_parameters(_spec(), given, strict=strict)
        assert raised.value.input == name
        assert str(raised.value).startswith(f"pipeline input {name!r}: expected")
    else:
        completed = complete_parameters(_spec(), given, strict=strict)
        assert completed[name] == expected
        assert type(completed[name]) is type(expected)


def test_none_means_not_given_in_both_modes() -> None:
    spec = _spec(defaults={"count": 5}, optional=("rate",))
    for strict in (True, False):
        completed = complete_parameters(spec, {**GOOD, "count": None, "rate": None}, strict=strict)
        assert completed["count"] == 5  # the default
        assert "rate" not in completed  # optional, no default: left out
    with pytest.raises(PipelineInputError, match=r"missing required pipeline input 'text' \(string\)"):
        complete_parameters(_spec(), {**GOOD, "text": None})


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({**GOOD, "extra": 1}, "the pipeline has no input 'extra'"),
        (
            {k: v for k, v in GOOD.items() if k != "count"},
            "missing required pipeline input 'count' (number_integer)",
        ),
    ],
)
def test_unknown_and_missing_inputs(given: dict[str, Any], message: str) -> None:
    with pytest.raises(PipelineInputError) as raised:
        complete_parameters(_spec(), given)
    assert message in str(raised.value)


def test_the_cli_parses_text_leniently_and_names_the_flag() -> None:
    spec = _spec()
    assert parse_arguments(spec, ["items=[1, 2]", "count=3", "text=[1, 2]"]) == {
        "items": [1, 2],
        "count": 3,
        "text": "[1, 2]",
    }
    with pytest.raises(PipelineInputError, match="-p 'count': expected name=value"):
        parse_arguments(spec, ["count"])
    with pytest.raises(PipelineInputError, match="-p colour: the pipeline has no input 'colour'"):
        parse_arguments(spec, ["colour=red"])
    with pytest.raises(PipelineInputError, match="pipeline input 'rate': expected a number"):
        parse_arguments(spec, ["rate=nan"])


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {**GOOD, "items": "[1, 2]"},
            "runtime_config.parameters['items']: expected a list, got the text '[1, 2]'",
        ),
        ({**GOOD, "rate": math.nan}, "runtime_config.parameters['rate']: expected a number, got nan"),
        ({**GOOD, "extra": 1}, "runtime_config.parameters: the pipeline has no input 'extra'"),
        ({**GOOD, "count": None}, "runtime_config.parameters: missing required input 'count' (an integer)"),
    ],
)
def test_the_api_refuses_with_the_field_named(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ApiError) as raised:
        api_parameters(_spec(), given)
    assert raised.value.status == 400
    assert message in raised.value.message


def test_the_api_and_sluice_run_accept_the_same_values() -> None:
    given = {**GOOD, "count": 3.0, "rate": 2}
    assert api_parameters(_spec(), given) == complete_parameters(_spec(), given, strict=True)
