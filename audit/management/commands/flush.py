from typing import Any

from django.core.management.commands import flush
from django.db import connections

from audit.triggers import lifted


class Command(flush.Command):
    """Django's flush, which empties every table, the audit trail included.

    On SQLite flush empties tables with DELETE, which the audit tables' triggers refuse, so
    they are lifted for the flush and put back after. (PostgreSQL flushes with TRUNCATE,
    which row triggers do not see.) The test runner flushes after each transactional test."""

    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with lifted(connection):
            return super().handle(**options)
