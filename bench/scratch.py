"""Throw-away databases for the benches, so a bench never touches the demo's data.

A bench calls :func:`scratch_database` before ``django.setup()``: it creates a fresh
PostgreSQL database, points ``DATABASE_URL`` at it (child processes inherit it), migrates it
and drops it afterwards, even when the bench fails.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _admin(sql: str) -> None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)
    except psycopg.OperationalError as exc:
        sys.exit(
            f"PostgreSQL is not answering at {PG_ADMIN_URL} ({exc}). "
            "Start the services with scripts/services.sh, then run the bench again."
        )


def create_database(name: str) -> None:
    """A fresh, empty database ``name`` (any earlier one of that name is dropped)."""
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_database(name: str, keep: bool = False) -> Iterator[str]:
    """Create, migrate and (unless ``keep``) drop the database ``name``; yield its URL."""
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    create_database(name)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agrimon.settings")
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        yield url
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            drop_database(name)
