"""CBV 2.0 EPCIS Event Hash ID, gated on the reference implementation's JSON-LD vectors."""

from __future__ import annotations

import copy
import json
import re

import pytest

from traceability.epcis_hash import document_hash_ids, event_hash_id, prehash_string

HASH_FORM = re.compile(r"^ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0$")


@pytest.fixture(scope="module")
def vector_dir(shared_data):
    return shared_data / "epcis" / "hash_vectors" / "examples"


def _expected(path) -> list[str]:
    return path.with_suffix(".hashes").read_text().split()


def test_every_json_ld_vector_document_hashes_as_published(vector_dir):
    files = sorted(vector_dir.glob("*.jsonld"))
    assert len(files) >= 9
    wrong = {}
    for path in files:
        got = document_hash_ids(json.loads(path.read_text(encoding="utf-8")))
        if got != _expected(path):
            wrong[path.name] = got
    assert wrong == {}


def test_prehash_string_matches_the_published_one_for_the_worked_example(vector_dir):
    doc = json.loads((vector_dir / "ReferenceEventHashAlgorithm2.jsonld").read_text())
    event = doc["epcisBody"]["eventList"][0]
    want = (vector_dir / "ReferenceEventHashAlgorithm2.prehashes").read_text().strip()
    assert prehash_string(event, doc["@context"]) == want


@pytest.fixture
def event() -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": "2026-06-01T16:30:00.000+08:00",
        "eventTimeZoneOffset": "+08:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2018", "urn:epc:id:sgtin:0614141.107346.2017"],
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
        "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": 2.5}],
    }


def test_hash_has_the_named_information_form(event):
    assert HASH_FORM.match(event_hash_id(event))


def test_same_event_in_another_serialisation_has_the_same_hash(event):
    other = {
        "readPoint": {"id": "https://example.com/414/0614141073467/254/1234?x=1"},
        "type": "ObjectEvent",
        "disposition": "https://ref.gs1.org/cbv/Disp-in_transit",
        "bizStep": "urn:epcglobal:cbv:bizstep:shipping",
        "action": "OBSERVE",
        "eventTimeZoneOffset": "+08:00",
        "eventTime": "2026-06-01T08:30:00Z",
        "epcList": [
            "https://id.gs1.org/01/10614141073464/21/2017",
            "urn:epc:id:sgtin:0614141.107346.2018",
        ],
        "quantityList": [
            {"quantity": 2.50, "epcClass": "https://id.gs1.org/01/04012345111118/10/L1"}
        ],
    }
    assert event_hash_id(other) == event_hash_id(event)


def test_record_time_event_id_and_error_declaration_do_not_change_the_hash(event):
    decorated = {
        **event,
        "eventID": "urn:uuid:1",
        "recordTime": "2026-06-02T00:00:00Z",
        "errorDeclaration": {"declarationTime": "2026-06-03T00:00:00Z", "reason": "incorrect_data"},
    }
    assert event_hash_id(decorated) == event_hash_id(event)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: e.update(eventTime="2026-06-01T16:30:00.001+08:00"),
        lambda e: e.update(bizStep="receiving"),
        lambda e: e["epcList"].pop(),
        lambda e: e["quantityList"][0].update(quantity=2.6),
        lambda e: e["readPoint"].update(id="urn:epc:id:sgln:0614141.07346.0"),
        lambda e: e.update({"agrimon:note": "added"}),
        lambda e: e.pop("disposition"),
    ],
    ids=["time", "bizstep", "epc-removed", "quantity", "read-point", "field-added", "removed"],
)
def test_any_change_to_the_event_changes_the_hash(event, tamper):
    changed = copy.deepcopy(event)
    tamper(changed)
    assert event_hash_id(changed) != event_hash_id(event)


def test_timestamps_round_half_up_to_milliseconds(event):
    a = {**event, "eventTime": "2026-06-01T08:30:00.1415Z"}
    b = {**event, "eventTime": "2026-06-01T08:30:00.142Z"}
    assert event_hash_id(a) == event_hash_id(b)
    assert "eventTime=2026-06-01T08:30:00.142Z" in prehash_string(a)


def test_extension_fields_use_the_namespace_from_the_context(event):
    ctx = [
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        {"agrimon": "https://agrimon.example/ns/"},
    ]
    text = prehash_string({**event, "agrimon:phiDays": 7}, ctx)
    assert text.endswith("{https://agrimon.example/ns/}phiDays=7")


def test_ignore_fields_leave_the_named_extension_out(event):
    extended = {**event, "agrimon:scratch": "x"}
    assert event_hash_id(extended, None, ["agrimon:scratch"]) == event_hash_id(event)
