"""ehrbeam's models: plain Python and torch, importable and testable without Apache Beam."""

__version__ = "0.1.0"
