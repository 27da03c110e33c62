"""Fixtures of the demo tests, borrowed from the apps whose data the demo seeds."""

from __future__ import annotations

import pytest

from demo.farm import seed_demo
from sensors.tests.conftest import farm, mosquitto  # noqa: F401  (fixtures)
from traceability.tests.conftest import public_domain, timeseries  # noqa: F401  (fixtures)
from vision.tests.conftest import ultralytics_state  # noqa: F401  (fixture)


@pytest.fixture
def demo(db):
    return seed_demo()
