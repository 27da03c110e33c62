"""Fixtures for the end-to-end tests: a real ASGI server on the test database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from demo.farm import seed_demo

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 120.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def database_url_of_test_db() -> str:
    s = connection.settings_dict
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    user = s.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


@pytest.fixture
def demo_committed(transactional_db):
    """The demo data committed, so another process (the server) can read it."""
    return seed_demo()


@pytest.fixture
def asgi_server(demo_committed, tmp_path) -> Iterator[str]:
    """uvicorn serving ``agrimon.asgi`` on a free port, against the test database."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_of_test_db(),
        AGRIMON_STATE_DIR=str(tmp_path / "state"),
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="tests.server_settings",
    )
    server_log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "agrimon.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
        # A file, not a pipe: nobody reads the server's output during the test, and a full
        # pipe would block the server.
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/accounts/login/", proc=proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        server_log.close()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("Debian chromium is not installed (scripts/browser.sh installs it)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the test's own
    # ORM calls are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()
