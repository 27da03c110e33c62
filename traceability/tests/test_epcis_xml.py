"""EPCIS 2.0 XML binding: the reference set's XML hash vectors, round trips, hostile XML."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from lxml import etree

from tests.shared import shared_data_dir
from traceability import epcis_xml
from traceability.epcis_hash import document_hash_ids, document_prehash_strings

DATA = shared_data_dir() / "epcis"
VECTORS = DATA / "hash_vectors" / "examples"
EQUAL = DATA / "hash_vectors" / "expected_equal"
XML_EXAMPLES = sorted((DATA / "xml_examples").rglob("*.xml"))
JSON_EXAMPLES = sorted((DATA / "examples").rglob("*.jsonld")) + sorted(VECTORS.glob("*.jsonld"))


def _digest(text: str) -> str:
    return f"ni:///sha-256;{hashlib.sha256(text.encode()).hexdigest()}?ver=CBV2.0"


def _read(path: Path, validate: bool = False) -> dict:
    return epcis_xml.read(path.read_bytes(), validate=validate).document


def _xml_vectors() -> list[Path]:
    return sorted(VECTORS.glob("*.xml"))


def _valid(xml: bytes) -> bool:
    return epcis_xml.schema().validate(etree.fromstring(xml))


def test_the_whole_xml_vector_set_is_present():
    assert len(_xml_vectors()) + len(list(EQUAL.glob("*.xml"))) == 27
    assert sum(len(p.with_suffix(".hashes").read_text().split()) for p in _xml_vectors()) == 46


@pytest.mark.parametrize("path", _xml_vectors(), ids=lambda p: p.stem)
def test_xml_vector_hashes_as_published(path: Path):
    document = _read(path)
    expected = path.with_suffix(".hashes").read_text().split()
    published = path.with_suffix(".prehashes")
    if published.exists():
        ours = document_prehash_strings(document)
        lines = published.read_text().splitlines()
        for i, (text, want) in enumerate(zip(lines, expected, strict=False)):
            if _digest(text) == want:  # a few upstream pre-hash files are stale
                assert ours[i] == text
    assert document_hash_ids(document) == expected


@pytest.mark.parametrize("path", sorted(EQUAL.iterdir()), ids=lambda p: p.name)
def test_serialisations_of_one_event_hash_alike(path: Path):
    if path.suffix == ".xml":
        document = _read(path)
    else:
        document = json.loads(path.read_text(encoding="utf-8"))
    hashes = document_hash_ids(document)
    assert len(hashes) >= 2
    assert len(set(hashes)) == 1


def test_different_xml_vector_events_hash_differently():
    hashes = [h for path in _xml_vectors() for h in document_hash_ids(_read(path))]
    events = [
        json.dumps(e, sort_keys=True) for path in _xml_vectors() for e in epcis_events(_read(path))
    ]
    assert len(set(hashes)) == len(set(events))


def epcis_events(document: dict) -> list[dict]:
    body = document["epcisBody"]
    if "queryResults" in body:
        return body["queryResults"]["resultsBody"]["eventList"]
    return body["eventList"]


def _schema_valid_xml() -> list[Path]:
    return [p for p in XML_EXAMPLES + _xml_vectors() if _valid(p.read_bytes())]


@pytest.mark.parametrize("path", _schema_valid_xml(), ids=lambda p: p.stem)
def test_xml_reads_and_writes_back_equivalently(path: Path):
    """XML → our JSON-LD → XML: schema-valid, and it reads back to the same events."""
    first = epcis_xml.read(path.read_bytes())
    xml = epcis_xml.write(first.document)
    assert _valid(xml), epcis_xml.schema().error_log
    again = epcis_xml.read(xml)
    assert again.document == first.document
    assert document_hash_ids(again.document) == document_hash_ids(first.document)


def test_the_gs1_xml_examples_are_all_read():
    assert len(XML_EXAMPLES) == 16
    assert all(_valid(p.read_bytes()) for p in XML_EXAMPLES)


@pytest.mark.parametrize("path", JSON_EXAMPLES, ids=lambda p: p.stem)
def test_json_ld_writes_as_schema_valid_xml_with_the_same_hashes(path: Path):
    document = json.loads(path.read_text(encoding="utf-8"))
    xml = epcis_xml.write(document)
    assert _valid(xml), epcis_xml.schema().error_log
    assert document_hash_ids(epcis_xml.read(xml).document) == document_hash_ids(document)


@pytest.mark.parametrize(
    "stem", [p.stem for p in sorted(VECTORS.glob("*.xml")) if p.with_suffix(".jsonld").exists()]
)
def test_the_two_bindings_of_one_vector_read_to_the_same_hashes(stem: str):
    from_xml = document_hash_ids(_read(VECTORS / f"{stem}.xml"))
    from_json = document_hash_ids(json.loads((VECTORS / f"{stem}.jsonld").read_text()))
    assert from_xml == from_json


EVENT = b"""<ObjectEvent>
      <eventTime>2026-06-01T08:00:00Z</eventTime>
      <eventTimeZoneOffset>+08:00</eventTimeZoneOffset>
      <epcList><epc>urn:epc:id:sgtin:0614141.107346.2018</epc></epcList>
      <action>OBSERVE</action>
    </ObjectEvent>"""


def _document(*events: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0"'
        b' creationDate="2026-06-01T08:00:00Z">\n  <EPCISBody>\n   <EventList>\n    '
        + b"\n    ".join(events)
        + b"\n   </EventList>\n  </EPCISBody>\n</epcis:EPCISDocument>\n"
    )


def test_a_schema_error_names_its_line_and_event():
    bad = EVENT.replace(b"<action>OBSERVE</action>", b"<action>WATCH</action>")
    with pytest.raises(epcis_xml.XmlRejected) as caught:
        epcis_xml.read(_document(EVENT, EVENT, bad))
    problems = caught.value.problems
    assert {p.event for p in problems} == {2}
    line = _document(EVENT, EVENT, bad).splitlines().index(b"      <action>WATCH</action>") + 1
    assert line in {p.line for p in problems}
    assert any("WATCH" in p.message for p in problems)


def test_thousands_of_schema_errors_are_reported_as_a_readable_page():
    bad = EVENT.replace(b"<action>OBSERVE</action>", b"<action>WATCH</action>")
    with pytest.raises(epcis_xml.XmlRejected) as caught:
        epcis_xml.read(_document(*[bad] * 500))
    problems = caught.value.problems
    assert len(problems) == epcis_xml.MAX_PROBLEMS + 1
    assert problems[-1].message.startswith("... and ") and caught.value.events == 500


def test_a_missing_required_field_is_reported_against_its_event():
    bad = EVENT.replace(b"<eventTimeZoneOffset>+08:00</eventTimeZoneOffset>", b"")
    with pytest.raises(epcis_xml.XmlRejected) as caught:
        epcis_xml.read(_document(EVENT, bad))
    assert [p.event for p in caught.value.problems] == [1]
    assert "eventTimeZoneOffset" in caught.value.problems[0].message


def test_xml_that_is_not_well_formed_names_the_line_and_the_event_it_breaks():
    broken = _document(EVENT, EVENT.replace(b"</action>", b"</actio>"))
    with pytest.raises(epcis_xml.XmlRejected) as caught:
        epcis_xml.read(broken)
    first = caught.value.problems[0]
    assert first.line == broken.splitlines().index(b"      <action>OBSERVE</actio>") + 1
    assert first.event == 1
    assert caught.value.summary == epcis_xml.NOT_WELL_FORMED


@pytest.mark.parametrize(
    "payload",
    [
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">'
        b"]><d>&b;</d>",
        b'<!DOCTYPE d SYSTEM "http://127.0.0.1:9/evil.dtd"><d/>',
        b"",
        b"\x00\x01\x02",
        "<d>中文</d>".encode("gb18030"),
        b"<d>" * 300 + b"</d>" * 300,
    ],
    ids=["xxe", "entity-expansion", "external-dtd", "empty", "binary", "wrong-encoding", "deep"],
)
def test_hostile_xml_is_refused_with_a_reason(payload: bytes):
    with pytest.raises(epcis_xml.XmlRejected) as caught:
        epcis_xml.read(payload)
    assert caught.value.problems
    assert "passwd" not in str(caught.value) or "root:" not in str(caught.value)


def test_a_document_of_another_kind_is_refused():
    with pytest.raises(epcis_xml.XmlRejected):
        epcis_xml.read(b"<html><body>hello</body></html>")


def test_writing_refuses_what_xml_cannot_say():
    document = {
        "@context": [epcis_xml.EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-06-01T08:00:00Z",
        "epcisBody": {"eventList": [{"type": "ObjectEvent", "undeclared:x": "1"}]},
    }
    with pytest.raises(ValueError, match="undeclared"):
        epcis_xml.write(document)
