"""Compiles pipelines written with ``sluice.dsl`` to KFP's PipelineSpec (``sluice.ir``), and writes YAML.

``Compiler().compile(pipeline, 'pipeline.yaml')`` writes the file; ``compile_to_spec(pipeline)`` returns
the ``sluice.ir.PipelineSpec`` in memory, ``compile_to_document(pipeline)`` that and its platform spec.
"""

from sluice.compiler._compiler import Compiler, compile_to_document, compile_to_spec

__all__ = ["Compiler", "compile_to_document", "compile_to_spec"]
