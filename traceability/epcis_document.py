"""EPCIS 2.0 JSON-LD events and documents: build them, read them back, validate them.

Builders take Python values (aware datetimes, quantities) and return the JSON-LD
dicts the GS1 schema describes; ``parse_event`` is their inverse, so an event read
from a partner can be rebuilt and hashed the same way.

Vocabulary (CBV 2.0, JSON bare words): harvest and catch are ``commissioning``
with disposition ``active`` (CBV has no harvesting step; its definition of
commissioning names harvesting and catching). Applying fertiliser, pesticide,
feed or a veterinary drug has no CBV step either; those events carry the
project's own bizStep URIs, ``urn:agrimon:bizstep:<name>`` (see
``traceability.vocab``), which the schema accepts as "other" URIs because they
do not start with ``urn:epcglobal:cbv`` or ``https://ns.gs1.org/cbv/``.

Validation uses GS1's JSON Schema (draft-07) with format checking switched on,
otherwise URI fields go unchecked and a bare word like ``harvesting`` passes,
plus two rules the schema cannot express (listed in ``extra_problems``).
Import is atomic: a document is accepted only when every event is valid, because
the EPCIS capture interface treats a document as one unit and a partial import
would leave holes in a lot's chain of custody that nobody asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransformationEvent",
    "TransactionEvent",
    "AssociationEvent",
)

# CBV 2.0 terms used by the lot records (JSON-LD bare-word form).
COMMISSIONING = "commissioning"  # harvest, catch, and outputs created by processing
INSPECTING = "inspecting"
SAMPLING = "sampling"
PACKING = "packing"
SHIPPING = "shipping"
RECEIVING = "receiving"
RETAIL_SELLING = "retail_selling"
SENSOR_REPORTING = "sensor_reporting"
ACTIVE = "active"
IN_PROGRESS = "in_progress"
IN_TRANSIT = "in_transit"
CONFORMANT = "conformant"
NON_CONFORMANT = "non_conformant"
RETAIL_SOLD = "retail_sold"


@dataclass(frozen=True)
class Quantity:
    """A ``quantityElement``: an EPC class (e.g. a lot's Digital Link) and an amount."""

    epc_class: str
    quantity: float | int | None = None
    uom: str | None = None  # UN/ECE Rec 20, e.g. KGM

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"epcClass": self.epc_class}
        if self.quantity is not None:
            out["quantity"] = self.quantity
        if self.uom:
            out["uom"] = self.uom
        return out


def format_time(when: datetime) -> str:
    """ISO 8601 with the datetime's own offset; milliseconds unless finer precision is set."""
    if when.tzinfo is None:
        raise ValueError("EPCIS times need a time zone; got a naive datetime")
    spec = "milliseconds" if when.microsecond % 1000 == 0 else "microseconds"
    return when.isoformat(timespec=spec)


def _offset(when: datetime) -> str:
    text = when.strftime("%z")  # "+0800"
    return f"{text[:3]}:{text[3:]}"


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def _party_list(kind: str, items: Iterable) -> list[dict]:
    out = []
    for item in items:
        if isinstance(item, Mapping):
            out.append(dict(item))
            continue
        party_type, ident = item
        entry = {"type": party_type} if party_type else {}
        entry[kind] = ident
        out.append(entry)
    return out


def _place(value: str | Mapping) -> dict:
    return dict(value) if isinstance(value, Mapping) else {"id": value}


_SIMPLE = {
    "action": "action",
    "parent_id": "parentID",
    "transformation_id": "transformationID",
    "biz_step": "bizStep",
    "disposition": "disposition",
    "certification_info": "certificationInfo",
    "event_id": "eventID",
}
_EPC_LISTS = {
    "epcs": "epcList",
    "child_epcs": "childEPCs",
    "input_epcs": "inputEPCList",
    "output_epcs": "outputEPCList",
}
_QUANTITY_LISTS = {
    "quantities": "quantityList",
    "child_quantities": "childQuantityList",
    "input_quantities": "inputQuantityList",
    "output_quantities": "outputQuantityList",
}
_PASS_THROUGH = {
    "persistent_disposition": "persistentDisposition",
    "sensor_elements": "sensorElementList",
    "ilmd": "ilmd",
    "error_declaration": "errorDeclaration",
}


def build_event(
    event_type: str,
    *,
    event_time: datetime,
    time_zone_offset: str | None = None,
    record_time: datetime | None = None,
    read_point: str | Mapping | None = None,
    biz_location: str | Mapping | None = None,
    biz_transactions: Iterable = (),
    sources: Iterable = (),
    destinations: Iterable = (),
    extensions: Mapping[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An EPCIS 2.0 event of ``event_type`` from Python values.

    ``fields`` takes the snake-case names in ``_SIMPLE``, ``_EPC_LISTS`` (lists of
    URIs), ``_QUANTITY_LISTS`` (lists of ``Quantity``) and ``_PASS_THROUGH`` (JSON
    values). ``biz_transactions``/``sources``/``destinations`` are ``(type, id)``
    pairs (type may be empty). ``extensions`` are extra fields with CURIE names
    whose prefix the document's ``@context`` declares.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown EPCIS event type {event_type!r}")
    known = set(_SIMPLE) | set(_EPC_LISTS) | set(_QUANTITY_LISTS) | set(_PASS_THROUGH)
    unknown = set(fields) - known
    if unknown:
        raise TypeError(f"unknown event fields: {', '.join(sorted(unknown))}")
    event: dict[str, Any] = {
        "type": event_type,
        "eventTime": format_time(event_time),
        "eventTimeZoneOffset": time_zone_offset or _offset(event_time),
    }
    if record_time is not None:
        event["recordTime"] = format_time(record_time)
    for name, key in _SIMPLE.items():
        if fields.get(name) is not None:
            event[key] = fields[name]
    for name, key in _EPC_LISTS.items():
        if fields.get(name) is not None:
            event[key] = list(fields[name])
    for name, key in _QUANTITY_LISTS.items():
        if fields.get(name) is not None:
            event[key] = [q.as_json() for q in fields[name]]
    if read_point is not None:
        event["readPoint"] = _place(read_point)
    if biz_location is not None:
        event["bizLocation"] = _place(biz_location)
    for key, kind, items in (
        ("bizTransactionList", "bizTransaction", biz_transactions),
        ("sourceList", "source", sources),
        ("destinationList", "destination", destinations),
    ):
        rendered = _party_list(kind, items)
        if rendered:
            event[key] = rendered
    for name, key in _PASS_THROUGH.items():
        if fields.get(name) is not None:
            event[key] = fields[name]
    for key, value in (extensions or {}).items():
        if key in event:
            raise ValueError(f"extension {key!r} would overwrite a standard field")
        event[key] = value
    return event


def harvest_event(
    lot_class: str,
    quantity: float,
    uom: str,
    when: datetime,
    site: str,
    *,
    ilmd: Mapping[str, Any] | None = None,
    sensor_elements: list[dict] | None = None,
) -> dict[str, Any]:
    """Harvest or catch of a lot: ObjectEvent ADD, ``commissioning`` / ``active``."""
    return build_event(
        "ObjectEvent",
        event_time=when,
        action="ADD",
        quantities=[Quantity(lot_class, quantity, uom)],
        biz_step=COMMISSIONING,
        disposition=ACTIVE,
        read_point=site,
        biz_location=site,
        ilmd=dict(ilmd) if ilmd else None,
        sensor_elements=sensor_elements,
    )


def packing_event(
    parent_id: str, children: list[Quantity], when: datetime, site: str
) -> dict[str, Any]:
    """Packing a lot into a case or pallet: AggregationEvent ADD, ``packing``."""
    return build_event(
        "AggregationEvent",
        event_time=when,
        action="ADD",
        parent_id=parent_id,
        child_quantities=children,
        biz_step=PACKING,
        disposition=IN_PROGRESS,
        read_point=site,
    )


def processing_event(
    inputs: list[Quantity], outputs: list[Quantity], when: datetime, site: str
) -> dict[str, Any]:
    """Processing one lot into another (milling, peeling): TransformationEvent.

    ``commissioning`` because the outputs come into existence, as in GS1's own
    TransformationEvent example (``transforming`` was deprecated in CBV 1.2).
    """
    return build_event(
        "TransformationEvent",
        event_time=when,
        input_quantities=inputs,
        output_quantities=outputs,
        biz_step=COMMISSIONING,
        disposition=ACTIVE,
        read_point=site,
    )


def sale_event(
    items: list[Quantity], when: datetime, site: str, transaction: tuple[str, str]
) -> dict[str, Any]:
    """A sale: TransactionEvent ADD linking the goods to an invoice or order."""
    return build_event(
        "TransactionEvent",
        event_time=when,
        action="ADD",
        quantities=items,
        biz_step=RETAIL_SELLING,
        disposition=RETAIL_SOLD,
        read_point=site,
        biz_transactions=[transaction],
    )


def sensor_summary(
    start: datetime, end: datetime, reports: list[Mapping[str, Any]], device_id: str | None = None
) -> dict[str, Any]:
    """One ``sensorElement`` summarising a period (min/max/mean/sDev per measurement type)."""
    metadata: dict[str, Any] = {"startTime": format_time(start), "endTime": format_time(end)}
    if device_id:
        metadata["deviceID"] = device_id
    return {"sensorMetadata": metadata, "sensorReport": [dict(r) for r in reports]}


def parse_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``build_event`` that rebuild ``event`` (its inverse)."""
    rest = dict(event)
    kwargs: dict[str, Any] = {"event_type": rest.pop("type")}
    when = rest.pop("eventTime")
    kwargs["event_time"] = _parse_time(when)
    kwargs["time_zone_offset"] = rest.pop("eventTimeZoneOffset", None)
    if "recordTime" in rest:
        kwargs["record_time"] = _parse_time(rest.pop("recordTime"))
    reverse = {v: k for k, v in {**_SIMPLE, **_EPC_LISTS, **_PASS_THROUGH}.items()}
    for key, name in reverse.items():
        if key in rest:
            kwargs[name] = rest.pop(key)
    for name, key in _QUANTITY_LISTS.items():
        if key in rest:
            kwargs[name] = [
                Quantity(q["epcClass"], q.get("quantity"), q.get("uom")) for q in rest.pop(key)
            ]
    for name, key in (("read_point", "readPoint"), ("biz_location", "bizLocation")):
        if key in rest:
            kwargs[name] = rest.pop(key)
    for name, key in (
        ("biz_transactions", "bizTransactionList"),
        ("sources", "sourceList"),
        ("destinations", "destinationList"),
    ):
        if key in rest:
            kwargs[name] = rest.pop(key)
    if rest:
        kwargs["extensions"] = rest
    return kwargs


def epcis_document(
    events: list[dict[str, Any]],
    namespaces: Mapping[str, str] | None = None,
    created: datetime | None = None,
    context: list | None = None,
) -> dict[str, Any]:
    """An ``EPCISDocument`` holding ``events``; ``namespaces`` declares extension prefixes."""
    if context is None:
        context = [EPCIS_CONTEXT] + ([dict(namespaces)] if namespaces else [])
    return {
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": format_time(created or datetime.now(UTC)),
        "epcisBody": {"eventList": events},
    }


@dataclass(frozen=True)
class Problem:
    """One validation failure; ``event`` is the index in the event list, None for the document."""

    event: int | None
    path: str
    message: str


@dataclass(frozen=True)
class ImportResult:
    accepted: bool
    events: list[dict[str, Any]]
    problems: list[Problem]


def _event_index(path) -> int | None:
    parts = list(path)
    for i in range(len(parts) - 1):
        if parts[i] == "eventList" and isinstance(parts[i + 1], int):
            return parts[i + 1]
    return None


def _describe(error: ValidationError) -> ValidationError:
    """For "not valid under any of the given schemas", the most telling sub-error."""
    if error.context:
        return _describe(best_match(error.context))
    return error


class EPCISValidator:
    """GS1's EPCIS 2.0 JSON Schema with format checking, compiled once."""

    def __init__(self, schema: Mapping | Path) -> None:
        if isinstance(schema, Path):
            schema = json.loads(schema.read_text(encoding="utf-8"))
        Draft7Validator.check_schema(schema)
        self._validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)

    def problems(
        self, document: Mapping[str, Any], *, conformance_rules: bool = True
    ) -> list[Problem]:
        """Every schema (and, by default, extra-rule) failure, tied to its event if it has one."""
        found = []
        for error in self._validator.iter_errors(document):
            leaf = _describe(error)
            path = "/".join(str(p) for p in leaf.absolute_path)
            found.append(Problem(_event_index(leaf.absolute_path), path, leaf.message))
        if conformance_rules:
            found.extend(extra_problems(document))
        return sorted(set(found), key=lambda p: (p.event is not None, p.event or 0, p.path))

    def import_document(self, document: Mapping[str, Any]) -> ImportResult:
        """Accept all events of a partner's document, or none of them (see module docstring)."""
        problems = self.problems(document)
        if problems:
            return ImportResult(False, [], problems)
        return ImportResult(True, list(_events(document)), [])


def _events(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    body = document.get("epcisBody") or {}
    if "queryResults" in body:
        return body["queryResults"].get("resultsBody", {}).get("eventList", [])
    return body.get("eventList", [])


_INLINE_SENSOR_ATTRIBUTES = (
    "time",
    "startTime",
    "endTime",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "bizRules",
)


def extra_problems(document: Mapping[str, Any]) -> list[Problem]:
    """Rules beyond the schema.

    * GS1 conformance TCR-53: an inline attribute may not appear in both a
      ``sensorMetadata`` and one of its ``sensorReport``s ("schemas will fail to
      validate this requirement").
    * ``persistentDisposition`` only on ObjectEvent and TransformationEvent
      (gs1/EPCIS commit 9d3a1fb).
    """
    out = []
    for i, event in enumerate(_events(document)):
        if not isinstance(event, Mapping):
            continue
        if "persistentDisposition" in event and event.get("type") not in (
            "ObjectEvent",
            "TransformationEvent",
        ):
            out.append(
                Problem(
                    i,
                    f"epcisBody/eventList/{i}/persistentDisposition",
                    f"persistentDisposition is not allowed on {event.get('type')}",
                )
            )
        for j, element in enumerate(event.get("sensorElementList") or []):
            metadata = element.get("sensorMetadata") or {}
            for k, report in enumerate(element.get("sensorReport") or []):
                for attr in _INLINE_SENSOR_ATTRIBUTES:
                    if attr in metadata and attr in report:
                        path = f"epcisBody/eventList/{i}/sensorElementList/{j}/sensorReport/{k}"
                        out.append(
                            Problem(
                                i,
                                f"{path}/{attr}",
                                f"{attr} is set in both sensorMetadata and sensorReport",
                            )
                        )
    return out
