"""Keep Ultralytics from touching the network or the home directory.

Ultralytics decides most of this at import time: ``ONLINE`` (a DNS probe), the config dir
and the settings file are module constants. So the environment must be set *before* the first
``import ultralytics``; :func:`configure_offline` does that, then rewrites the settings.

What it would otherwise fetch or call, in 8.4 (see ``ultralytics/utils``):
- ``is_online()`` resolves public DNS names on import unless ``YOLO_OFFLINE`` is set;
- ``check_font()`` (called by every dataset check) HEADs and downloads ``Arial.ttf`` unless
  a file of that name sits in the config dir, so we place a bundled TTF there;
- ``check_amp()`` downloads a weights file, skipped on CPU and by ``amp=False``;
- ``check_requirements()`` pip-installs missing extras unless ``YOLO_AUTOINSTALL`` is off;
- events (analytics), Sentry, the platform logger and integrations follow ``settings``;
- ONNX Runtime, which runs exported models, has telemetry of its own (``ORT_DISABLE_TELEMETRY``).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

log = logging.getLogger(__name__)

_FONT_NAMES = ("Arial.ttf", "Arial.Unicode.ttf")
_INTEGRATIONS_OFF = {
    "sync": False,
    "api_key": "",
    "clearml": False,
    "comet": False,
    "dvc": False,
    "mlflow": False,
    "raytune": False,
    "tensorboard": False,
    "wandb": False,
    "vscode_msg": False,
    "openvino_msg": False,
}


class OfflineConfigError(RuntimeError):
    """Ultralytics was imported before it could be configured offline."""


def _bundled_font() -> Path:
    """A TTF that ships with matplotlib, stood in for the fonts Ultralytics would download."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def configure_offline(state_dir: Path) -> Path:
    """Switch off every download and network call of Ultralytics; return its config dir.

    Call before anything imports ``ultralytics``. Runs, weights and datasets go under
    ``state_dir``; nothing is written to the home directory.
    """
    state_dir = Path(state_dir).resolve()
    config_root = state_dir / "ultralytics"
    config_dir = config_root / "Ultralytics"  # Ultralytics appends this sub-directory

    if "ultralytics" in sys.modules:
        from ultralytics.utils import ONLINE, USER_CONFIG_DIR

        if ONLINE or Path(USER_CONFIG_DIR).resolve() != config_dir:
            raise OfflineConfigError(
                "ultralytics was imported before configure_offline(); "
                f"its config dir is {USER_CONFIG_DIR}, online={ONLINE}"
            )

    config_dir.mkdir(parents=True, exist_ok=True)
    os.environ["YOLO_OFFLINE"] = "true"
    os.environ["YOLO_CONFIG_DIR"] = str(config_root)
    os.environ["YOLO_AUTOINSTALL"] = "false"
    os.environ["ULTRALYTICS_SKIP_REQUIREMENTS_CHECKS"] = "true"
    # matplotlib (imported by Ultralytics) would build its font cache under ~/.config.
    os.environ.setdefault("MPLCONFIGDIR", str(state_dir / "matplotlib"))
    # ONNX Runtime (used for .onnx weights) ships telemetry that also writes a device id under
    # ~/.cache; this switch turns both off.
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"

    font = _bundled_font()
    for name in _FONT_NAMES:
        target = config_dir / name
        if not target.exists():
            shutil.copyfile(font, target)

    from ultralytics import settings

    wanted = {
        **_INTEGRATIONS_OFF,
        "runs_dir": str(state_dir / "runs"),
        "weights_dir": str(state_dir / "weights"),
        "datasets_dir": str(state_dir / "datasets"),
    }
    if any(settings.get(key) != value for key, value in wanted.items()):
        settings.update(wanted)
    log.info("ultralytics configured offline, state in %s", config_dir)
    return config_dir
