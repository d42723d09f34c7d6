"""Alembic migrations of the Sluice schema (run by ``sluice.store``; no alembic.ini needed)."""
