"""The task runtime: runs one Python function component inside a task process (KFP's executor contract).

Command line: ``python3 -m sluice.runtime --executor_input JSON --function_to_execute NAME
[--component_module_path PATH]``. In process: :func:`execute` (from a file) or :func:`execute_function`
(an already loaded function), callable repeatedly from a long-lived worker.

Every task process imports this package, so it stays cheap: standard library only, and the executor
(with ``sluice.dsl`` and ``typing``) is imported on first use, not by ``--help``.
"""

from sluice.runtime._cli import main
from sluice.runtime._errors import ExecutorInputError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sluice.runtime._executor import execute, execute_function

__all__ = ["ExecutorInputError", "execute", "execute_function", "main"]

_LAZY_NAMES = {"execute", "execute_function"}


def __getattr__(name: str) -> object:
    if name in _LAZY_NAMES:
        from sluice.runtime import _executor

        return getattr(_executor, name)
    raise AttributeError(f"module 'sluice.runtime' has no attribute {name!r}")
