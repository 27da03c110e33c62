"""EPCIS 2.0 documents: built events validate, official examples round-trip, bad input is named."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from traceability.epcis_document import (
    EPCISValidator,
    Quantity,
    build_event,
    epcis_document,
    harvest_event,
    packing_event,
    parse_event,
    processing_event,
    sale_event,
    sensor_summary,
)
from traceability.epcis_hash import event_hash_id

CST = timezone(timedelta(hours=8))
LOT = "https://id.gs1.org/01/09506000134352/10/CY-2026-01"
POND = "urn:agrimon:site:7"
NS = {"agrimon": "urn:agrimon:ns:"}


@pytest.fixture(scope="module")
def validator(shared_data) -> EPCISValidator:
    return EPCISValidator(shared_data / "epcis" / "schema" / "EPCIS-JSON-Schema.json")


@pytest.fixture(scope="module")
def examples(shared_data) -> dict[str, dict]:
    root = shared_data / "epcis" / "examples"
    return {
        str(p.relative_to(root)): json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(root.rglob("*.jsonld"))
    }


def _events(doc: dict) -> list[dict]:
    body = doc["epcisBody"]
    if "queryResults" in body:
        return body["queryResults"]["resultsBody"]["eventList"]
    return body["eventList"]


def test_every_official_example_passes_the_schema_with_format_checking(validator, examples):
    assert len(examples) >= 40
    failing = {
        name: validator.problems(doc, conformance_rules=False)
        for name, doc in examples.items()
        if validator.problems(doc, conformance_rules=False)
    }
    assert failing == {}


def test_every_official_event_rebuilds_to_the_same_hash_and_stays_valid(validator, examples):
    mismatched, invalid = [], {}
    for name, doc in examples.items():
        rebuilt = [build_event(**parse_event(e)) for e in _events(doc)]
        for original, copy in zip(_events(doc), rebuilt, strict=True):
            if event_hash_id(original, doc["@context"]) != event_hash_id(copy, doc["@context"]):
                mismatched.append(name)
        problems = validator.problems(
            epcis_document(rebuilt, context=doc["@context"]), conformance_rules=False
        )
        if problems:
            invalid[name] = problems
    assert mismatched == [] and invalid == {}


def test_all_fields_examples_break_only_the_sensor_attribute_rule(validator, examples):
    flagged = {name for name, doc in examples.items() if validator.problems(doc)}
    assert flagged == {n for n in examples if n.startswith("WithFullCombinationOfFields/")}
    doc = examples["WithFullCombinationOfFields/object_event_all_possible_fields.jsonld"]
    assert all("both sensorMetadata and sensorReport" in p.message for p in validator.problems(doc))


def _our_events() -> list[dict]:
    start = datetime(2026, 3, 1, tzinfo=CST)
    end = datetime(2026, 6, 1, 8, tzinfo=CST)
    summary = sensor_summary(
        start,
        end,
        [
            {
                "type": "Temperature",
                "minValue": 14.2,
                "maxValue": 29.8,
                "meanValue": 22.1,
                "uom": "CEL",
            },
            {"type": "MassConcentration", "minValue": 3.1, "maxValue": 9.4, "uom": "M1"},
        ],
    )
    case = "https://id.gs1.org/00/095060001343520017"
    return [
        build_event(
            "ObjectEvent",
            event_time=start + timedelta(days=20),
            action="OBSERVE",
            quantities=[Quantity("urn:agrimon:input:feed:12", 50, "KGM")],
            biz_step="urn:agrimon:bizstep:feeding",
            read_point=POND,
            extensions={"agrimon:input": {"agrimon:product": "草鱼配合饲料"}},
        ),
        harvest_event(
            LOT,
            800,
            "KGM",
            end,
            POND,
            ilmd={"cbvmda:lotNumber": "CY-2026-01"},
            sensor_elements=[summary],
        ),
        packing_event(case, [Quantity(LOT, 20, "KGM")], end + timedelta(hours=2), POND),
        processing_event(
            [Quantity(LOT, 100, "KGM")],
            [Quantity("urn:agrimon:lot:FILLET1", 45.5, "KGM")],
            end + timedelta(days=1),
            POND,
        ),
        sale_event(
            [Quantity(LOT, 20, "KGM")],
            end + timedelta(days=2),
            POND,
            ("inv", "urn:agrimon:invoice:2026-0001"),
        ),
    ]


def test_our_lot_history_validates_as_one_document(validator):
    doc = epcis_document(_our_events(), NS)
    assert validator.problems(doc) == []
    result = validator.import_document(doc)
    assert result.accepted and len(result.events) == 5


def test_harvest_is_commissioning_with_offset_from_the_datetime():
    event = _our_events()[1]
    assert (event["bizStep"], event["disposition"], event["action"]) == (
        "commissioning",
        "active",
        "ADD",
    )
    assert event["eventTime"] == "2026-06-01T08:00:00.000+08:00"
    assert event["eventTimeZoneOffset"] == "+08:00"


def test_made_up_bare_word_biz_step_is_rejected_for_its_event(validator):
    events = _our_events()
    events[3] = {**events[3], "bizStep": "harvesting"}
    result = validator.import_document(epcis_document(events, NS))
    assert not result.accepted and result.events == []
    assert {p.event for p in result.problems} == {3}


def test_missing_required_field_is_reported_against_its_event(validator):
    events = _our_events()
    del events[2]["action"]
    problems = validator.problems(epcis_document(events, NS))
    assert [p.event for p in problems] == [2] and "action" in problems[0].message


def test_bad_document_header_is_a_document_level_problem(validator):
    doc = epcis_document(_our_events(), NS)
    del doc["creationDate"]
    problems = validator.problems(doc)
    assert problems and all(p.event is None for p in problems)


def test_persistent_disposition_on_an_aggregation_event_is_flagged(validator):
    events = _our_events()
    events[2] = {**events[2], "persistentDisposition": {"set": ["recalled"]}}
    problems = validator.problems(epcis_document(events, NS))
    assert any(p.event == 2 and "persistentDisposition" in p.message for p in problems)


def test_sensor_attribute_in_metadata_and_report_is_flagged(validator):
    events = _our_events()
    element = events[1]["sensorElementList"][0]
    element["sensorMetadata"]["deviceID"] = "urn:agrimon:device:do-probe-3"
    element["sensorReport"][1]["deviceID"] = "urn:agrimon:device:do-probe-4"
    problems = validator.problems(epcis_document(events, NS))
    assert [(p.event, p.message) for p in problems] == [
        (1, "deviceID is set in both sensorMetadata and sensorReport")
    ]


def test_naive_datetime_is_rejected():
    with pytest.raises(ValueError, match="time zone"):
        harvest_event(LOT, 1, "KGM", datetime(2026, 6, 1), POND)


def test_unknown_event_field_is_rejected():
    with pytest.raises(TypeError, match="colour"):
        build_event("ObjectEvent", event_time=datetime.now(UTC), action="ADD", colour="red")


def test_extension_may_not_overwrite_a_standard_field():
    with pytest.raises(ValueError, match="bizStep"):
        build_event(
            "ObjectEvent",
            event_time=datetime.now(UTC),
            action="ADD",
            biz_step="shipping",
            extensions={"bizStep": "x"},
        )


def test_unknown_event_type_is_rejected():
    with pytest.raises(ValueError, match="HarvestEvent"):
        build_event("HarvestEvent", event_time=datetime.now(UTC))
