"""Runnable entry points: ``python -m pipelines.NAME``. Each parses options, wires transforms, prints a summary."""
