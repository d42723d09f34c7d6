"""``python3 -m sluice.runtime``: the command line of a task process, flag for flag KFP's executor_main.

Hand-parsed rather than with argparse: every task pays this module's import time, and three flags do
not need a parser library. The executor itself is imported only once the flags are known to be there.
"""

from __future__ import annotations

import sys

from sluice.runtime._errors import ExecutorInputError

TYPE_CHECKING = False
if TYPE_CHECKING:  # collections.abc is not loaded at interpreter start; annotations need no import
    from collections.abc import Sequence

__all__ = ["main", "parse_arguments"]

USAGE = (
    "usage: python3 -m sluice.runtime --executor_input JSON --function_to_execute NAME "
    "[--component_module_path PATH]"
)

HELP = f"""{USAGE}

Run one Python function component: read the executor input, call the function with typed inputs,
write its outputs and the executor output. The flags are those of python3 -m kfp.dsl.executor_main.

flags:
  --executor_input JSON        the ExecutorInput message, as JSON
  --function_to_execute NAME   the component function's name
  --component_module_path PATH the Python file defining it (default: look it up in kfp_config.ini)

exit status: 0 success, 1 the component raised (its traceback is printed),
             2 invalid command line, executor input or function
"""

_FLAGS = ("--executor_input", "--function_to_execute", "--component_module_path")


class HelpRequested(Exception):
    """``--help`` (or ``-h``) was on the command line."""


def parse_arguments(argv: Sequence[str]) -> dict[str, str]:
    """The values of the flags in ``argv``, keyed by flag name without dashes.

    Unknown arguments are ignored, as KFP's ``parse_known_args`` does: launchers may append their own.
    """
    values: dict[str, str] = {}
    index = 0
    while index < len(argv):
        argument = argv[index]
        if argument in ("-h", "--help"):
            raise HelpRequested
        flag, has_inline_value, inline_value = argument.partition("=")
        if flag in _FLAGS:
            if has_inline_value:
                values[flag[2:]] = inline_value
            elif index + 1 < len(argv):
                index += 1
                values[flag[2:]] = argv[index]
            else:
                raise ExecutorInputError(f"{flag} needs a value")
        index += 1
    return values


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status. Exceptions of the component propagate."""
    try:
        arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
        for required in ("executor_input", "function_to_execute"):
            if required not in arguments:
                raise ExecutorInputError(f"--{required} is required")
    except HelpRequested:
        sys.stdout.write(HELP)
        return 0
    except ExecutorInputError as error:
        sys.stderr.write(f"{USAGE}\nsluice.runtime: error: {error}\n")
        return 2

    import json

    from sluice.runtime._executor import execute

    try:
        try:
            executor_input = json.loads(arguments["executor_input"])
        except json.JSONDecodeError as error:
            raise ExecutorInputError(f"--executor_input is not valid JSON: {error}") from None
        execute(executor_input, arguments["function_to_execute"], arguments.get("component_module_path"))
    except ExecutorInputError as error:
        sys.stderr.write(f"sluice.runtime: error: {error}\n")
        return 2
    return 0
