"""Dead-letter details read in Chinese while the stored diagnosis stays the decoder's own."""

from __future__ import annotations

import random

import pytest
from django.utils import translation

from sensors.codecs import decode, profiles
from sensors.codecs.base import DecodeError
from sensors.deadletter_text import PATTERNS, detail_text


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def test_a_known_diagnosis_is_translated_with_its_values_and_kept_raw():
    detail = detail_text("payload 7 bytes, core record needs 11")
    assert detail.text == "负载只有 7 字节，核心记录需要 11 字节"
    assert detail.raw == "payload 7 bytes, core record needs 11"


def test_metric_names_read_as_people_say_them_and_identifiers_stay_code():
    text = detail_text("soil_vwc 120.5 outside its field range 0.0..100.0").text
    assert text.startswith("土壤含水量的值 120.5")
    text = detail_text("topic 'a/b' is neither ChirpStack v4 nor TTS v3").text
    assert '<code translate="no">&#x27;a/b&#x27;</code>' in text


def test_an_unknown_diagnosis_is_shown_only_as_raw_detail():
    detail = detail_text("something nobody wrote a pattern for")
    assert detail.text == "" and detail.raw == "something nobody wrote a pattern for"


def test_markup_in_a_diagnosis_is_escaped():
    text = detail_text("DevEUI '<script>' is not 16 hex digits").text
    assert "<script>" not in text and "&lt;script&gt;" in text


def codec_errors() -> set[str]:
    """The diagnoses our decoders give for short, long and random payloads on every profile."""
    rng = random.Random(7)
    payloads = [b"", b"\x01", bytes(3), bytes(64)] + [
        rng.randbytes(rng.randint(1, 24)) for _ in range(300)
    ]
    errors = set()
    for profile in profiles():
        for fport in (1, 2, 5, 10, 85, 99):
            for payload in payloads:
                try:
                    decode(profile, fport, payload)
                except DecodeError as exc:
                    errors.add(str(exc))
    errors.add(str(_error(lambda: decode("no-such-profile", 1, b"x"))))
    return errors


def _error(call) -> Exception:
    try:
        call()
    except DecodeError as exc:
        return exc
    raise AssertionError("no DecodeError")


def test_every_diagnosis_our_decoders_give_has_a_translation():
    untranslated = sorted(
        e for e in codec_errors() if not any(p.fullmatch(e) for p, _template in PATTERNS)
    )
    assert not untranslated
