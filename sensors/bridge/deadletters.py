"""Dead letters of the bridge saved to PostgreSQL in bulk, kept for the next try if it is away."""

from __future__ import annotations

import logging

from django.db import DatabaseError, close_old_connections

from sensors.bridge.pipeline import Counters, DeadLetterRow

log = logging.getLogger("sensors.bridge")

# Unsaved dead letters kept while the database is away; older ones are given up.
UNSAVED_MAX = 10_000


class DeadLetterSaver:
    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self.unsaved: list[DeadLetterRow] = []

    def save(self, rows: list[DeadLetterRow]) -> None:
        """Save ``rows`` and any left from an earlier failed save; keep them all on failure."""
        from sensors.models import DeadLetter

        pending = self.unsaved + rows
        try:
            DeadLetter.objects.bulk_create(
                [DeadLetter(**r.as_model_kwargs()) for r in pending], batch_size=1000
            )
        except DatabaseError:
            log.exception("could not save %d dead letters; retrying next batch", len(pending))
            close_old_connections()
            self.unsaved = pending[-UNSAVED_MAX:]
            return
        self.unsaved = []
        self.counters.dead_lettered += len(pending)
