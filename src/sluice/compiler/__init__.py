"""Compiles pipelines written with ``sluice.dsl`` to KFP's PipelineSpec (``sluice.ir``), and writes YAML.

``Compiler().compile(pipeline, 'pipeline.yaml')`` writes the file; ``compile_to_spec(pipeline)`` returns
the ``sluice.ir.PipelineSpec`` in memory.
"""

from sluice.compiler._compiler import Compiler, compile_to_spec

__all__ = ["Compiler", "compile_to_spec"]
