"""GS1 Digital Link parsing and building, gated on GS1's own test vectors."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability import digital_link
from traceability.gs1_syntax import CSET82

OPTION_NAMES = {"permit_zero_suppressed_gtin", "permit_convenience_alphas"}


@pytest.fixture(scope="module")
def vectors(load_shared_json) -> list[dict]:
    return load_shared_json("digital_link_dev.json")


def _verdict(uri: str, **options) -> dict | str:
    try:
        return digital_link.parse(uri, **options)
    except ValueError as exc:
        return f"ValueError: {exc}"


def _mismatches(entries: list[dict]) -> list[str]:
    wrong = []
    for e in entries:
        got = _verdict(e["uri"], **(e.get("options") or {}))
        if e["valid"] and (isinstance(got, str) or got != e["expected"]):
            wrong.append(f"{e['id']} {e['uri']!r}: expected {e['expected']}, got {got}")
        if not e["valid"] and not isinstance(got, str):
            wrong.append(f"{e['id']} {e['uri']!r}: expected rejection ({e['reason']}), got {got}")
    return wrong


def test_default_gate_parse_vectors_all_agree_with_gs1(vectors):
    gate = [e for e in vectors if e["in_default_gate"] and not e.get("options")]
    assert sum(e["valid"] for e in gate) >= 30 and sum(not e["valid"] for e in gate) >= 25
    assert _mismatches(gate) == []


def test_legacy_option_vectors_parse_when_their_option_is_set(vectors):
    with_options = [
        e
        for e in vectors
        if e.get("options")
        and set(e["options"]) <= OPTION_NAMES
        and (not e["valid"] or e.get("expected") is not None)
    ]
    assert len(with_options) >= 10
    assert _mismatches(with_options) == []


def test_constructed_project_vectors_agree_with_the_reference_engine(vectors):
    constructed = [e for e in vectors if e.get("constructed")]
    assert len(constructed) >= 20
    assert _mismatches(constructed) == []


def test_zero_suppressed_gtin_is_rejected_without_the_option(vectors):
    legacy = [e for e in vectors if e.get("options") == {"permit_zero_suppressed_gtin": True}]
    for e in legacy:
        assert isinstance(_verdict(e["uri"]), str), e["id"]


def test_build_reproduces_every_gs1_build_vector(vectors):
    builds = [e for e in vectors if e.get("kind") == "build"]
    assert len(builds) >= 8
    for e in builds:
        ais: dict[str, str] = {}
        for ai, value in re.findall(r"\((\d+)\)([^(]*)", e["build_input_element_string"]):
            ais.setdefault(ai, value)  # the engine drops repeated identical AIs
        assert digital_link.build(ais, e["build_stem"]) == e["uri"], e["id"]


def test_build_puts_lot_after_gtin_for_a_bare_domain():
    uri = digital_link.build({"10": "ABC1", "01": "09506000134352"}, "trace.example.cn")
    assert uri == "https://trace.example.cn/01/09506000134352/10/ABC1"


def test_build_orders_qualifiers_cpv_lot_serial_and_moves_attributes_to_query():
    ais = {"21": "S1", "7007": "240915", "10": "L1", "01": "09506000134352", "22": "V"}
    uri = digital_link.build(ais, "example.com")
    assert uri == "https://example.com/01/09506000134352/22/V/10/L1/21/S1?7007=240915"


def test_build_percent_encodes_reserved_characters_in_a_lot():
    uri = digital_link.build({"01": "09506000134352", "10": "2024/09&+1"}, "example.com")
    assert uri.endswith("/10/2024%2F09%26%2B1")
    assert digital_link.parse(uri)["10"] == "2024/09&+1"


def test_build_rejects_a_chinese_lot_number():
    with pytest.raises(ValueError, match="CSET 82"):
        digital_link.build({"01": "09506000134352", "10": "稻2024"}, "example.com")


def test_build_rejects_a_wrong_gtin_check_digit():
    with pytest.raises(ValueError, match="check digit"):
        digital_link.build({"01": "09506000134353", "10": "A"}, "example.com")


def test_build_rejects_data_without_a_primary_key():
    with pytest.raises(ValueError, match="primary key"):
        digital_link.build({"10": "A"}, "example.com")


def test_build_rejects_a_lot_longer_than_twenty_characters():
    with pytest.raises(ValueError, match="too long"):
        digital_link.build({"01": "09506000134352", "10": "A" * 21}, "example.com")


def test_build_rejects_a_bad_domain():
    with pytest.raises(ValueError, match="domain"):
        digital_link.build({"01": "09506000134352"}, "exa$mple.com")


def test_parse_rejects_qualifiers_in_the_wrong_order():
    with pytest.raises(ValueError, match="key-qualifier"):
        digital_link.parse("https://example.com/01/09506000134352/21/S1/10/L1")


def test_parse_rejects_a_harvest_date_with_month_thirteen():
    with pytest.raises(ValueError, match="month"):
        digital_link.parse("https://example.com/01/09506000134352/10/L1?7007=241301")


def test_parse_rejects_an_attribute_whose_required_key_is_missing():
    with pytest.raises(ValueError, match="requires"):
        digital_link.parse("https://example.com/00/006141411234567890?10=ABC")


def test_parse_ignores_link_type_and_fragment():
    uri = "https://example.com/01/09506000134352/10/L1?linkType=gs1:epcis#top"
    assert digital_link.parse(uri) == {"01": "09506000134352", "10": "L1"}


@pytest.mark.parametrize(
    ("gtin", "valid"),
    [
        ("09506000134352", True),
        ("9506000134352", True),  # GTIN-13
        ("012345678905", True),  # GTIN-12
        ("96385074", True),  # GTIN-8
        ("09506000134353", False),
        ("0950600013435", False),
        ("0950600013435a", False),
        ("", False),
        ("١٢٣٤٥٦٧٨", False),  # non-ASCII digits
    ],
)
def test_is_valid_gtin_checks_length_digits_and_check_digit(gtin, valid):
    assert digital_link.is_valid_gtin(gtin) is valid


def test_gtin_check_digit_matches_the_worked_example():
    assert digital_link.gtin_check_digit("0950600013435") == "2"


def test_gtin_check_digit_rejects_non_digits():
    with pytest.raises(ValueError):
        digital_link.gtin_check_digit("12a4")


@given(st.text(alphabet=sorted(CSET82), min_size=1, max_size=20))
def test_any_cset82_lot_round_trips_through_build_and_parse(lot):
    uri = digital_link.build({"01": "09506000134352", "10": lot}, "example.com")
    assert digital_link.parse(uri) == {"01": "09506000134352", "10": lot}
