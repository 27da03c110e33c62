"""compose.yaml is valid Compose and describes the whole system.

No Docker engine runs here, so the file is checked against the Compose
specification's JSON schema (the copy vendored by check-jsonschema).
"""

from __future__ import annotations

import json
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

COMPOSE = Path(__file__).resolve().parent.parent / "compose.yaml"
DEPLOY_BROKER_CONF = COMPOSE.parent / "deploy" / "mosquitto.conf"


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


def test_compose_broker_runs_deploy_mosquitto_conf_with_the_container_listener_and_paths(
    tmp_path,
):
    broker = load()["services"]["mosquitto"]
    assert "./deploy/mosquitto.conf:/agrimon/mosquitto.conf:ro" in broker["volumes"]
    script = broker["command"][-1]
    rewrite = script.split("&&")[0].replace("/agrimon/mosquitto.conf", str(DEPLOY_BROKER_CONF))
    rewrite = rewrite.replace("/tmp/mosquitto.conf", str(tmp_path / "mosquitto.conf"))
    subprocess.run(["sh", "-c", rewrite], check=True)
    text = (tmp_path / "mosquitto.conf").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert "listener 1883" in lines
    assert "persistence_location /mosquitto/data/" in lines
    assert not any("@STATE@" in line for line in lines)


def test_broker_config_bounds_queues_and_message_size_and_saves_sessions():
    settings = dict(
        line.split(None, 1)
        for line in DEPLOY_BROKER_CONF.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert int(settings["max_queued_messages"]) > 0
    assert int(settings["max_queued_bytes"]) > 0
    assert int(settings["message_size_limit"]) > 0
    assert settings["persistence"] == "true"
    assert int(settings["autosave_interval"]) > 0
    assert settings["persistent_client_expiration"]


def test_an_invalid_compose_file_is_rejected():
    doc = load()
    doc["services"]["web"]["ports"] = "8000"  # must be a list
    try:
        jsonschema.validate(doc, compose_schema())
    except jsonschema.ValidationError:
        return
    raise AssertionError("schema accepted a malformed service")
