"""EPCIS figures: reference vectors matched, hashing speed, XML read and write speed.

    python -m bench.epcis [--events 2000] [--rounds 20]

* the CBV 2.0 Event Hash ID vector set (tests/reference_data/epcis/hash_vectors): JSON-LD and
  XML documents whose every event hashes as published, counted per binding;
* hashing: events per second over all JSON-LD vector events, ``--rounds`` times;
* the XML binding on one document of ``--events`` ObjectEvents with a sensor element and a
  user extension each (about the size the import page accepts): reading it (parse, GS1's XSD,
  translation to JSON-LD) and writing it back, in events per second.

No database and no server: the code under test runs in this process. The last line holds
``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agrimon.settings")

import django  # noqa: E402

django.setup()

from traceability import epcis_xml, imports  # noqa: E402
from traceability.epcis_hash import document_hash_ids  # noqa: E402

VECTORS = REPO / "tests" / "reference_data" / "epcis" / "hash_vectors" / "examples"


def _vector_score(suffix: str) -> tuple[int, int]:
    ok = total = 0
    for path in sorted(VECTORS.glob(f"*{suffix}")):
        want = path.with_suffix(".hashes").read_text().split()
        if suffix == ".xml":
            document = epcis_xml.read(path.read_bytes(), validate=False).document
        else:
            document = json.loads(path.read_text(encoding="utf-8"))
        got = document_hash_ids(document)
        ok += sum(a == b for a, b in zip(got, want, strict=False))
        total += len(want)
    return ok, total


def _event(i: int) -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": f"2026-06-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000+08:00",
        "eventTimeZoneOffset": "+08:00",
        "epcList": [f"urn:epc:id:sgtin:6901234.056789.{i}"],
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "disposition": "in_progress",
        "readPoint": {"id": "urn:epc:id:sgln:6901234.00001.0"},
        "sensorElementList": [
            {
                "sensorMetadata": {"time": "2026-06-01T08:00:00+08:00"},
                "sensorReport": [
                    {"type": "gs1:Temperature", "value": 24.5 + i % 7, "uom": "CEL"},
                    {"type": "gs1:DissolvedOxygen", "value": 6.1, "uom": "H29"},
                ],
            }
        ],
        "agrimon:pond": f"P{i % 40}",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    json_ok, json_total = _vector_score(".jsonld")
    xml_ok, xml_total = _vector_score(".xml")
    print(f"JSON-LD vectors: {json_ok}/{json_total} hashes; XML vectors: {xml_ok}/{xml_total}")

    documents = [json.loads(p.read_text()) for p in sorted(VECTORS.glob("*.jsonld"))]
    per_round = sum(len(document_hash_ids(d)) for d in documents)
    start = time.perf_counter()
    for _ in range(args.rounds):
        for document in documents:
            document_hash_ids(document)
    hash_rate = per_round * args.rounds / (time.perf_counter() - start)
    print(f"hashing: {hash_rate:,.0f} events/s over {per_round} vector events")

    document = {
        "@context": [epcis_xml.EPCIS_CONTEXT, {"agrimon": "https://agrimon.example/ns/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-06-02T00:00:00Z",
        "epcisBody": {"eventList": [_event(i) for i in range(args.events)]},
    }
    epcis_xml.schema()  # compiled once per process, as in the server
    start = time.perf_counter()
    xml = epcis_xml.write(document)
    write_s = time.perf_counter() - start
    start = time.perf_counter()
    read = epcis_xml.read(xml)
    read_s = time.perf_counter() - start
    assert len(read.document["epcisBody"]["eventList"]) == args.events
    fits = len(xml) <= imports.MAX_BYTES
    print(
        f"XML document: {args.events} events, {len(xml):,} bytes "
        f"({'within' if fits else 'over'} the {imports.MAX_BYTES:,}-byte upload limit); "
        f"read+XSD {read_s:.2f} s, write {write_s:.2f} s"
    )
    print(
        f"json_vectors_ok={json_ok}/{json_total} xml_vectors_ok={xml_ok}/{xml_total} "
        f"hash_events_per_s={hash_rate:.0f} xml_events={args.events} xml_bytes={len(xml)} "
        f"xml_read_events_per_s={args.events / read_s:.0f} "
        f"xml_write_events_per_s={args.events / write_s:.0f}"
    )


if __name__ == "__main__":
    main()
