"""Run components and pipelines outside a pipeline, shaped like ``kfp.local``.

::

    from sluice import dsl, local

    local.init(runner=local.SubprocessRunner())
    task = add(a=1, b=2)      # runs now, with Sluice's engine; recorded like any run
    task.output               # 3

Calling a component outside a ``@dsl.pipeline`` function before ``init`` is an error, as in kfp.
"""

from sluice.local._config import DockerRunner, SubprocessRunner, init

__all__ = ["DockerRunner", "SubprocessRunner", "init"]
