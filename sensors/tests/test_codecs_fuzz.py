"""Fuzzing every profile: only ``DecodeError`` may escape; any result is canonical and finite."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensors.codecs import Decoded, DecodeError, decode, profiles
from sensors.codecs.sensecap import crc16_kermit
from vocabulary.metrics import CANONICAL_UNITS

RANDOM_PAYLOADS = 100_000
SEED = 20261125
# Ports the profiles listen on, mixed in often so random bytes get past the port check.
USUAL_PORTS = (1, 2, 10, 85)


def check(decoded: Decoded) -> None:
    assert isinstance(decoded.raw, dict)
    for r in decoded.readings:
        assert r.metric in CANONICAL_UNITS and r.unit == CANONICAL_UNITS[r.metric]
        if r.fault is None:
            assert isinstance(r.value, int | float) and math.isfinite(r.value), r
        else:
            assert r.value is None


def decode_or_refuse(profile: str, fport: int, payload: bytes) -> bool:
    try:
        decoded = decode(profile, fport, payload)
    except DecodeError:
        return False
    check(decoded)
    return True


@pytest.mark.parametrize("profile", profiles())
def test_random_payloads_only_ever_raise_decode_error(profile):
    """100,000 payloads per profile: lengths 0-64, usual and random ports."""
    rng = random.Random(f"{SEED}-{profile}")
    for _ in range(RANDOM_PAYLOADS):
        payload = rng.randbytes(rng.randint(0, 64))
        fport = rng.choice(USUAL_PORTS) if rng.random() < 0.7 else rng.randint(0, 255)
        decode_or_refuse(profile, fport, payload)


def test_random_fuzzing_reaches_past_the_first_checks():
    rng = random.Random(SEED)
    accepted = {p: 0 for p in profiles()}
    for profile in accepted:
        for _ in range(2000):
            payload = rng.randbytes(rng.randint(0, 64))
            accepted[profile] += decode_or_refuse(profile, rng.choice(USUAL_PORTS), payload)
    assert accepted["cayenne-lpp"] > 0 and accepted["dragino-lse01"] > 0


def structured_payload(profile: str) -> st.SearchStrategy[bytes]:
    """Payloads shaped like each family, so the deeper branches are exercised."""
    if profile.startswith("decentlab"):
        header = st.tuples(st.just(2), st.integers(0, 0xFFFF), st.integers(0, 7))
        return st.builds(
            lambda h, body: (
                bytes([h[0]]) + h[1].to_bytes(2, "big") + h[2].to_bytes(2, "big") + body
            ),
            header,
            st.binary(max_size=40),
        )
    if profile.startswith("dragino"):
        return st.binary(min_size=4, max_size=11)
    if profile == "sensecap-s210x":
        # Valid CRCs, so the frames get past the checksum into the id handling.
        frames = st.integers(1, 6).flatmap(lambda n: st.binary(min_size=7 * n, max_size=7 * n))
        return st.builds(lambda f: f + crc16_kermit(f).to_bytes(2, "little"), frames)
    return st.binary(max_size=64)


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_structured_payloads_only_ever_raise_decode_error(data):
    profile = data.draw(st.sampled_from(profiles()))
    fport = data.draw(st.sampled_from((1, 2, 10, 85)))
    decode_or_refuse(profile, fport, data.draw(structured_payload(profile)))
