"""The portable checks, run by pytest under CPython and by the real MicroPython binary."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from run_portable import MODULES

FIRMWARE_DIR = Path(__file__).resolve().parent.parent
PORTABLE = FIRMWARE_DIR / "tests" / "portable"
DOMAIN = "domain_vectors_dev.json"


def _checks() -> list[tuple[str, str]]:
    found = []
    for name in MODULES:
        mod = importlib.import_module(name)
        found += [(name, attr) for attr in sorted(dir(mod)) if attr.startswith("check_")]
    return found


@pytest.mark.parametrize(("module", "check"), _checks())
def test_portable_check_passes_under_cpython(module: str, check: str, load_shared_json) -> None:
    fn = getattr(importlib.import_module(module), check)
    if check.startswith("check_domain_"):
        fn(load_shared_json(DOMAIN))
    else:
        fn()


def micropython_binary() -> str:
    exe = shutil.which("micropython") or str(Path(sys.executable).parent / "micropython")
    if not Path(exe).exists():
        pytest.fail("the MicroPython unix port is not installed: scripts/install.sh installs it")
    return exe


def test_every_portable_check_passes_under_micropython(shared_data: Path) -> None:
    proc = subprocess.run(
        [
            micropython_binary(),
            "-X",
            "heapsize=4M",
            str(PORTABLE / "run_portable.py"),
            str(FIRMWARE_DIR),
            str(shared_data / DOMAIN),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    passed = {line[5:] for line in proc.stdout.splitlines() if line.startswith("PASS ")}
    expected = {"%s.%s" % pair for pair in _checks()}
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert passed == expected
