"""Where the reference data from outside sources lives, for tests and benches alike."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    """The reference vectors copied into ``tests/reference_data`` (sources in its README).

    ``AGRIMON_SHARED_DATA`` points elsewhere, e.g. at a larger reference set.
    """
    override = os.environ.get("AGRIMON_SHARED_DATA")
    return Path(override) if override else REPO_ROOT / "tests" / "reference_data"
