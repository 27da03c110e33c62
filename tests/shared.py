"""Where the reference data from outside sources lives, for tests and benches alike."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    """External reference data lives beside the checkout in ``../shared/data``."""
    override = os.environ.get("AGRIMON_SHARED_DATA")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data"
