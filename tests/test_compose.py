"""compose.yaml is valid Compose and describes the whole system.

No Docker engine runs here, so the file is checked against the Compose
specification's JSON schema (the copy vendored by check-jsonschema).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

COMPOSE = Path(__file__).resolve().parent.parent / "compose.yaml"


def compose_schema() -> dict:
    ref = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(ref.read_text(encoding="utf-8"))


def load() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_compose_file_validates_against_the_compose_spec():
    jsonschema.validate(load(), compose_schema())


def test_compose_runs_every_server_and_process_with_health_checks():
    services = load()["services"]
    for name in (
        "postgres", "redis", "influxdb", "mosquitto", "web", "worker", "beat", "bridge",
        "vision", "simulator",
    ):  # fmt: skip
        assert name in services, name
    for name in ("postgres", "redis", "influxdb", "mosquitto", "web", "worker", "bridge"):
        assert "healthcheck" in services[name], f"{name} has no health check"


def test_compose_keeps_state_in_named_volumes():
    doc = load()
    for name in ("pgdata", "influxdata", "redisdata", "mqttdata"):
        assert name in doc["volumes"]


def test_compose_broker_never_drops_a_slow_subscriber():
    conf = load()["configs"]["mosquitto_conf"]["content"]
    assert "max_queued_messages 0" in conf


def test_an_invalid_compose_file_is_rejected():
    doc = load()
    doc["services"]["web"]["ports"] = "8000"  # must be a list
    try:
        jsonschema.validate(doc, compose_schema())
    except jsonschema.ValidationError:
        return
    raise AssertionError("schema accepted a malformed service")
