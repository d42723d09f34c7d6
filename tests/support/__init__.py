"""Helpers the tests share (not fixtures: those stay in the conftest.py files, built on these). Type-checked by
strict mypy with the package (``bash scripts/test lint``)."""
