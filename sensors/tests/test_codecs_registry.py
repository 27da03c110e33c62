"""The registry's one API and its command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sensors import codecs
from sensors.codecs import DecodeError, decode, describe, profiles

REPO = Path(__file__).resolve().parents[2]
VENDOR_PROFILES = {
    "dragino-lse01",
    "dragino-lsnpk01",
    "dragino-lsph01",
    "dragino-ldds75",
    "dragino-lht65",
    "milesight-em500-smtc",
    "milesight-em500-swl",
    "milesight-em300-th",
    "sensecap-s210x",
    "decentlab-dl-smtp",
    "decentlab-dl-optod",
    "decentlab-dl-pheht",
    "decentlab-dl-ctd10",
    "decentlab-dl-pr26",
    "tektelic-agriculture",
}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sensors.codecs", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_vendor_profile_of_the_device_list_is_registered():
    assert VENDOR_PROFILES | {"cayenne-lpp"} <= set(profiles())


def test_native_profiles_are_registered_when_their_module_exists():
    assert {"native-soil", "native-water"} <= set(profiles())


def test_every_profile_has_a_description():
    assert set(describe()) == set(profiles())
    assert all(text.strip() for text in describe().values())


def test_unknown_profile_is_a_decode_error():
    with pytest.raises(DecodeError, match="unknown profile"):
        decode("acme-widget", 1, b"\x01")


def test_text_payload_is_refused():
    with pytest.raises(DecodeError, match="bytes"):
        decode("cayenne-lpp", 1, "0367")


@pytest.mark.parametrize("payload", [None, 1234, [3, 103]])
def test_payload_that_is_not_bytes_is_a_decode_error(payload):
    with pytest.raises(DecodeError, match="bytes"):
        decode("cayenne-lpp", 1, payload)


@pytest.mark.parametrize("fport", [-1, 256, "2", True])
def test_fport_outside_a_byte_is_a_decode_error(fport):
    with pytest.raises(DecodeError, match="fport"):
        decode("dragino-lse01", fport, bytes(11))


def test_decode_accepts_bytearray_and_memoryview():
    payload = bytes.fromhex("03670110")
    assert (
        decode("cayenne-lpp", 1, bytearray(payload)).raw
        == decode("cayenne-lpp", 1, memoryview(payload)).raw
    )


def test_vendor_profile_table_names_real_functions():
    for profile in codecs._PROFILES.values():
        assert codecs._codec(profile) is not None, profile.id


def test_cli_decode_prints_raw_and_readings_as_json():
    done = run_cli("decode", "--profile", "dragino-lse01", "--fport", "2", "CE2900F107A5099B6E2890")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["raw"]["temp_SOIL"] == "24.59"
    assert {"metric": "soil_ec", "value": 28200.0, "unit": "µS/cm"} in out["readings"]


def test_cli_decode_error_exits_2_with_the_reason_on_stderr():
    done = run_cli("decode", "--profile", "dragino-lse01", "--fport", "2", "CE29")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "2 bytes" in done.stderr


def test_cli_rejects_a_payload_that_is_not_hex():
    done = run_cli("decode", "--profile", "cayenne-lpp", "--fport", "1", "zz")
    assert done.returncode == 2 and "hex" in done.stderr


def test_cli_lists_profiles_with_descriptions():
    done = run_cli("profiles")
    assert done.returncode == 0
    lines = dict(line.split("\t", 1) for line in done.stdout.splitlines())
    assert set(lines) == set(profiles())
