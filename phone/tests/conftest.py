"""A real ASGI server with web push configured, and Chromium with a persistent profile.

Service workers and push need a persistent browser context (a profile on disk), which
the shared ``browser`` fixture does not give.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from alerts.transports.webpush import generate_vapid_keys
from tests.conftest import (  # noqa: F401  (demo_committed is a fixture)
    CHROMIUM,
    REPO,
    database_url_of_test_db,
    demo_committed,
    free_port,
    wait_http,
)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def vapid_keys() -> tuple[str, str]:
    return generate_vapid_keys()


@pytest.fixture
def phone_server(demo_committed, tmp_path, vapid_keys) -> Iterator[str]:  # noqa: F811
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_of_test_db(),
        AGRIMON_STATE_DIR=str(tmp_path / "state"),
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="phone.tests.server_settings",
        PHONE_TEST_VAPID_PRIVATE_KEY=vapid_keys[0],
    )
    cmd = [sys.executable, "-m", "uvicorn", "agrimon.asgi:application"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env)
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


@pytest.fixture
def phone_context(tmp_path, phone_server):
    """A phone-sized Chromium with its own profile, notifications allowed for our server."""
    if CHROMIUM is None:
        pytest.fail("Debian chromium is not installed (scripts/browser.sh installs it)")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            service_workers="allow",
        )
        context.grant_permissions(["notifications"], origin=phone_server)
        try:
            yield context
        finally:
            context.close()
