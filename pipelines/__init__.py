"""Runnable entry points: ``python -m pipelines.NAME``. Each parses options, wires transforms, prints a summary."""

import logging


class _DropOptionalGcpNotice(logging.Filter):
    """Beam announces at import that the optional BigQuery client is missing; ehrbeam never uses it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "apitools not found" not in record.getMessage()


logging.getLogger().addFilter(_DropOptionalGcpNotice())
