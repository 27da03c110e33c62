"""A real Celery worker process for the delivery tests, on its own Redis database and queue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from django.db import connection

from agrimon.celery import app

REPO = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/5"


def test_database_url() -> str:
    s = connection.settings_dict
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    user = s.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


@contextmanager
def broker(url: str) -> Iterator[None]:
    """Point this process's Celery app at ``url`` for the duration, then restore it."""
    saved = (app.conf.broker_url, app.conf.result_backend)

    def switch(broker_url: str, backend: str) -> None:
        app.conf.broker_url = broker_url
        app.conf.result_backend = backend
        app._pool = None
        app.amqp._producer_pool = None
        app._backend_cache = None
        app._local.__dict__.pop("backend", None)

    switch(url, url)
    try:
        yield
    finally:
        switch(*saved)


@contextmanager
def routed_to(queue: str) -> Iterator[None]:
    """Deliveries this process queues (``deliver.delay``) go to the test worker's queue."""
    saved = app.conf.task_routes

    def switch(routes) -> None:
        app.conf.task_routes = routes
        app.amqp._rtable = None
        app.amqp.router = app.amqp.Router()

    switch({"alerts.deliver": {"queue": queue}})
    try:
        yield
    finally:
        switch(saved)


@dataclass
class Worker:
    queue: str
    proc: subprocess.Popen


@contextmanager
def celery_worker(
    tmp_path: Path, concurrency: int = 2, transports: dict | None = None
) -> Iterator[Worker]:
    """Start ``celery worker`` against the committed test database; stop it afterwards.

    ``transports`` replaces the worker's ``ALERT_TRANSPORTS`` (the test's local vendors).
    """
    queue = f"alerts-test-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url(),
        DJANGO_SETTINGS_MODULE="alerts.tests.worker_settings",
        CELERY_BROKER_URL=BROKER,
        REDIS_URL=BROKER,
        AGRIMON_STATE_DIR=str(tmp_path / "state"),
        PYTHONUNBUFFERED="1",
        CELERY_SKIP_CHECKS="1",  # the web checks are not this worker's business
    )
    if transports is not None:
        env["ALERT_TEST_TRANSPORTS"] = json.dumps(transports)
    env["ALERT_TEST_QUEUE"] = queue
    tmp_path.mkdir(parents=True, exist_ok=True)
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "agrimon",
            "worker",
            "-P",
            "threads",
            "-c",
            str(concurrency),
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with broker(BROKER), routed_to(queue):
            yield Worker(queue, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        client = redis.Redis.from_url(BROKER)
        client.delete(queue, *client.keys(f"_kombu.binding*.{queue}"))
        client.close()
