"""Checks a command makes before writing: a half-ready database gets a way on, not a traceback."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.migrations.executor import MigrationExecutor


def require_migrated_database(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Raise a CommandError naming what to run when the database is away or not migrated."""
    connection = connections[alias]
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except OperationalError as exc:
        name = connection.settings_dict.get("NAME")
        raise CommandError(
            f"cannot reach the database {name!r}: {exc}. "
            "Start the services with scripts/services.sh (scripts/demo.sh does it for you)."
        ) from None
    if pending:
        apps = sorted({migration.app_label for migration, _ in pending})
        raise CommandError(
            f"the database is not migrated ({len(pending)} migrations pending in "
            f"{', '.join(apps)}): run `python manage.py migrate` first."
        )
