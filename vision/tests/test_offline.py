"""Ultralytics must train and predict with the network denied, and try no connection at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vision.offline import OfflineConfigError, configure_offline

REPO = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("network_probe.py")


def _no_network_prefix() -> list[str]:
    """``unshare --net`` when this user may create a network namespace; the audit hook otherwise."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--net", "true"], capture_output=True).returncode == 0:
        return [unshare, "--net"]
    return []


def _probe(mode: str, state: Path, home: Path | None = None) -> dict:
    prefixes = ("YOLO_", "ULTRALYTICS_", "ORT_", "XDG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.pop("PYTEST_CURRENT_TEST", None)  # Ultralytics disables its telemetry under pytest
    env.pop("MPLCONFIGDIR", None)
    env["PYTHONPATH"] = str(REPO)
    if home is not None:
        env["HOME"] = str(home)
    if mode == "bare":
        env["MPLCONFIGDIR"] = str(state / "matplotlib")
    cmd = [*_no_network_prefix(), sys.executable, str(PROBE), mode, str(state)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_training_and_inference_make_no_network_call_when_configured_offline(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    report = _probe("offline", tmp_path / "state", home)
    assert report["attempts"] == []
    assert Path(report["weights"]).is_file()
    assert report["predictions"] == 2
    assert report["onnx_predictions"] in (1, None)  # None: onnx is not installed here
    assert list(home.iterdir()) == []  # and nothing written to the home directory


def test_probe_catches_the_network_calls_of_unconfigured_ultralytics(tmp_path):
    report = _probe("bare", tmp_path)
    assert any("getaddrinfo" in attempt for attempt in report["attempts"])


def test_configure_offline_keeps_runs_and_fonts_in_the_state_dir(ultralytics_state):
    from ultralytics import settings
    from ultralytics.utils import ONLINE, USER_CONFIG_DIR

    assert not ONLINE
    assert Path(USER_CONFIG_DIR).is_relative_to(ultralytics_state)
    assert (Path(USER_CONFIG_DIR) / "Arial.ttf").is_file()
    assert settings["sync"] is False
    assert Path(settings["runs_dir"]).is_relative_to(ultralytics_state)


def test_configure_offline_refuses_a_late_call_with_another_state_dir(ultralytics_state, tmp_path):
    import ultralytics  # noqa: F401

    with pytest.raises(OfflineConfigError):
        configure_offline(tmp_path)
