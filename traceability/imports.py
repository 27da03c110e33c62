"""Import partners' EPCIS 2.0 documents (JSON-LD or XML), with problems reported per event.

An XML document is read into the JSON-LD form first (``epcis_xml``), after GS1's XSD
has accepted it; one that is not well-formed or breaks the XSD is refused with each
problem's line and event, exactly like a JSON document that breaks the JSON Schema.

Policy: all or nothing. A document is stored only when every event in it is
valid; otherwise nothing is stored and each problem is reported against its
event (index and ``eventID``) so the partner can fix and resend it. Why:

* a partner's document is one account of what happened to the goods (the
  EPCIS capture interface treats it as one unit too); keeping its valid half
  leaves a chain of custody with silent holes, which is worse than none
  because it looks complete;
* the fix is cheap: the partner resends a corrected document, and because
  events are de-duplicated by ``eventID``, resending never doubles anything;
* a partial import would need a second import of "the rest", which is exactly
  where duplicates and ordering mistakes creep in.

Accepted events become ``PartnerEvent`` rows, outside our signed lot chains,
and are linked to our lots when one of their EPC classes or EPCs names one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_noop
from lxml import etree

from traceability import epcis_xml
from traceability.epcis_document import EPCISValidator, Problem
from traceability.epcis_hash import canonical_identifier, event_hash_id
from traceability.models import EPCISImport, Lot, PartnerEvent

# About 5,000 events; GS1's schema with format checking takes a few seconds on that,
# which is as long as a web request should wait. A season of a cooperative's partner
# events fits; bigger exports can be split by date.
MAX_BYTES = 2 * 1024 * 1024
SUFFIXES = (".json", ".jsonld", ".xml")
CONTENT_TYPES = frozenset(
    {
        "application/json",
        "application/ld+json",
        "text/json",
        "application/xml",
        "text/xml",
        "text/plain",  # some browsers label .jsonld so
        "application/octet-stream",  # ... and some label any unknown suffix so
        "",
    }
)
DOCUMENT_TYPES = ("EPCISDocument", "EPCISQueryDocument")
_LIST_KEYS = (
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputQuantityList",
)
_EPC_KEYS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")


class UploadRejected(ValueError):
    """The upload is not something we can read as an EPCIS JSON document at all.

    ``str()`` is the English reason (logs, the command line); ``text`` is it in the
    reader's language.
    """

    def __init__(self, message: str, **params: Any):
        self.message, self.params = message, params
        super().__init__(message % params if params else message)

    @property
    def text(self) -> str:
        return gettext(self.message) % self.params if self.params else gettext(self.message)


class SchemaMissing(RuntimeError):
    """GS1's EPCIS JSON Schema is not installed where the settings say."""


@dataclass(frozen=True)
class EventProblem:
    """One reason for rejecting a document; ``index`` None means the document itself."""

    index: int | None
    event_id: str
    path: str
    message: str

    def __str__(self) -> str:
        where = "document" if self.index is None else f"event {self.index}"
        if self.event_id:
            where += f" ({self.event_id})"
        return f"{where}: {self.path or '/'}: {self.message}"


@dataclass
class ImportReport:
    accepted: bool
    total: int = 0
    added: int = 0
    duplicates: int = 0
    linked: int = 0
    problems: list[EventProblem] = field(default_factory=list)
    batch: EPCISImport | None = None

    def by_event(self) -> list[tuple[str, list[EventProblem]]]:
        """Problems grouped under a heading per event, document-level first."""
        groups: dict[tuple[int, int], tuple[str, list[EventProblem]]] = {}
        for p in self.problems:
            key = (0, 0) if p.index is None else (1, p.index)
            title = "document" if p.index is None else f"#{p.index}"
            if p.index is not None and p.event_id:
                title += f" {p.event_id}"
            groups.setdefault(key, (title, []))[1].append(p)
        return [groups[k] for k in sorted(groups)]


def schema_path() -> Path:
    """GS1's single-file EPCIS JSON Schema: ``settings.EPCIS_SCHEMA``, the environment, or ours.

    The project ships GS1's schema in ``traceability/schema/`` (source in its README), so an
    installation validates imports without any file from outside the repository.
    """
    configured = getattr(settings, "EPCIS_SCHEMA", None) or os.environ.get("AGRIMON_EPCIS_SCHEMA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent / "schema" / "EPCIS-JSON-Schema.json"


@lru_cache(maxsize=2)
def _validator_for(path: Path) -> EPCISValidator:
    return EPCISValidator(path)


def validator() -> EPCISValidator:
    path = schema_path()
    if not path.is_file():
        raise SchemaMissing(f"EPCIS JSON Schema not found at {path}")
    return _validator_for(path)


def check_upload(name: str, content_type: str, size: int) -> None:
    """Refuse what cannot be an EPCIS JSON file before reading it."""
    if size > MAX_BYTES:
        raise UploadRejected(
            gettext_noop(
                "the file is %(size)s bytes; the limit is %(limit)s bytes. Split it by date."
            ),
            size=f"{size:,}",
            limit=f"{MAX_BYTES:,}",
        )
    if size == 0:
        raise UploadRejected(gettext_noop("the file is empty"))
    if not name.lower().endswith(SUFFIXES):
        raise UploadRejected(
            gettext_noop("only EPCIS files (.json, .jsonld or .xml) can be imported")
        )
    if content_type.split(";")[0].strip().lower() not in CONTENT_TYPES:
        raise UploadRejected(
            gettext_noop("a %(type)s file is not an EPCIS document"), type=content_type
        )


class XmlUpload(dict):
    """A document that came as XML: its JSON-LD form, where its events start, or why not.

    ``rejection`` is set (and the mapping empty) when the XML was refused; ``import_document``
    then reports its problems per event instead of importing.
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        event_lines: list[int],
        rejection: epcis_xml.XmlRejected | None = None,
    ):
        super().__init__(document)
        self.event_lines = event_lines
        self.rejection = rejection


XML_TYPES = frozenset({"application/xml", "text/xml"})
_EPCIS_XML = re.compile(rb"^\s*(<\?xml[^>]*\?>|<[^>]*urn:epcglobal:epcis)")


def is_xml(raw: bytes, name: str = "", content_type: str = "") -> bool:
    """Whether an upload is the XML binding: by suffix or type, else by its first bytes.

    Without a name, content counts only when it is plainly XML (a declaration, or a root
    element in an EPCIS namespace), so a stray ``<`` in a JSON upload is still reported
    as broken JSON.
    """
    if name:
        return name.lower().endswith(".xml")
    if content_type.split(";")[0].strip().lower() in XML_TYPES:
        return True
    return bool(_EPCIS_XML.match(raw.removeprefix(b"\xef\xbb\xbf")[:4096]))


def _parse_xml(raw: bytes) -> XmlUpload:
    try:
        read = epcis_xml.read(raw)
    except epcis_xml.XmlRejected as exc:
        return XmlUpload({}, [], exc)
    except (ValueError, TypeError, KeyError, RecursionError, etree.LxmlError) as exc:
        raise UploadRejected(
            gettext_noop("the XML document could not be read: %(error)s"), error=str(exc)[:200]
        ) from None
    return XmlUpload(read.document, read.event_lines)


def parse(raw: bytes, name: str = "", content_type: str = "") -> dict[str, Any]:
    """The uploaded bytes as an EPCIS document in JSON-LD form, or a reason a person can act on.

    JSON is parsed as it is; XML (see ``is_xml``) is read through the XML binding
    (``XmlUpload``).
    """
    if len(raw) > MAX_BYTES:
        raise UploadRejected(
            gettext_noop("the document is larger than %(limit)s bytes"), limit=f"{MAX_BYTES:,}"
        )
    if is_xml(raw, name, content_type):
        return _parse_xml(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadRejected(
            gettext_noop("the file is not UTF-8 text (byte %(byte)s)"), byte=exc.start
        ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UploadRejected(
            gettext_noop("not valid JSON: %(error)s at line %(line)s, column %(column)s"),
            error=exc.msg,
            line=exc.lineno,
            column=exc.colno,
        ) from None
    except RecursionError:
        raise UploadRejected(gettext_noop("not valid JSON: nested too deeply")) from None
    if not isinstance(document, dict):
        raise UploadRejected(
            gettext_noop("an EPCIS document is a JSON object, not a list or a value")
        )
    return document


def events_of(document: Mapping[str, Any]) -> list[Any]:
    body = document.get("epcisBody")
    if not isinstance(body, Mapping):
        return []
    if isinstance(body.get("queryResults"), Mapping):
        events = (body["queryResults"].get("resultsBody") or {}).get("eventList")
    else:
        events = body.get("eventList")
    return events if isinstance(events, list) else []


def _event_id(event: Any) -> str:
    return str(event.get("eventID", "")) if isinstance(event, Mapping) else ""


def _problems(
    document: Mapping[str, Any], organisation_id: int, check: EPCISValidator
) -> tuple[list[EventProblem], list[str]]:
    """Every problem in the document, and each event's hash (when all is well)."""
    events = events_of(document)
    found: list[Problem] = []
    if document.get("type") not in DOCUMENT_TYPES:
        found.append(Problem(None, "type", "not an EPCISDocument or EPCISQueryDocument"))
    found.extend(check.problems(document))
    hashes: list[str] = []
    if not found:
        context = document.get("@context", [])
        seen: dict[str, tuple[int, str]] = {}
        for i, event in enumerate(events):
            found.extend(_storable(i, event))
            try:
                digest = event_hash_id(event, context)
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                found.append(Problem(i, f"epcisBody/eventList/{i}", f"cannot hash event: {exc}"))
                continue
            hashes.append(digest)
            key = _event_id(event) or digest
            if key in seen and seen[key][1] != digest:
                found.append(
                    Problem(
                        i,
                        f"epcisBody/eventList/{i}/eventID",
                        f"same eventID as event {seen[key][0]} but different content",
                    )
                )
            seen.setdefault(key, (i, digest))
        stored = dict(
            PartnerEvent.objects.filter(
                organisation_id=organisation_id, event_id__in=list(seen)
            ).values_list("event_id", "event_hash")
        )
        for key, (i, digest) in seen.items():
            if key in stored and stored[key] != digest:
                found.append(
                    Problem(
                        i,
                        f"epcisBody/eventList/{i}/eventID",
                        "an event with this eventID was imported before with different content",
                    )
                )
    out = [
        EventProblem(
            p.event,
            _event_id(events[p.event]) if p.event is not None and p.event < len(events) else "",
            p.path,
            p.message,
        )
        for p in found
    ]
    return out, hashes


def _storable(i: int, event: Mapping[str, Any]) -> list[Problem]:
    """What the schema allows but our store cannot hold faithfully."""
    out = []
    if len(_event_id(event)) > 255:
        out.append(Problem(i, f"epcisBody/eventList/{i}/eventID", "eventID longer than 255"))
    try:
        _event_time(event)
    except (KeyError, TypeError, ValueError):
        out.append(Problem(i, f"epcisBody/eventList/{i}/eventTime", "eventTime is not readable"))
    return out


def identifiers(event: Mapping[str, Any]) -> set[str]:
    """The EPC classes and EPCs an event names, canonicalised (Digital Link on id.gs1.org)."""
    found: list[str] = []
    for key in _LIST_KEYS:
        found.extend(
            q["epcClass"]
            for q in event.get(key) or []
            if isinstance(q, Mapping) and "epcClass" in q
        )
    for key in _EPC_KEYS:
        found.extend(e for e in event.get(key) or [] if isinstance(e, str))
    if isinstance(event.get("parentID"), str):
        found.append(event["parentID"])
    return {canonical_identifier(i) for i in found}


def matching_lots(organisation_id: int, ids: Iterable[str]) -> list[Lot]:
    """Our lots named by ``ids``: a GTIN + lot Digital Link, or our own lot URN.

    A Digital Link the hash canonicalisation leaves alone (a percent-escaped lot on a
    partner's own domain) is still parsed here, so it finds the lot it names.
    """
    from traceability.digital_link import parse as parse_dl

    found: dict[int, Lot] = {}
    ours = Lot.objects.filter(organisation_id=organisation_id)
    for ident in ids:
        if ident.startswith("urn:agrimon:lot:"):
            code = ident.removeprefix("urn:agrimon:lot:")
            found.update({lot.pk: lot for lot in ours.filter(trace_code=code)})
        elif ident.lower().startswith(("https://", "http://")):
            try:
                ais = parse_dl(ident)
            except ValueError:
                continue
            if ais.get("01") and ais.get("10"):
                lots = ours.filter(gtin=ais["01"], lot_number=ais["10"])
                found.update({lot.pk: lot for lot in lots})
    return list(found.values())


def _event_time(event: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(event["eventTime"]).replace("Z", "+00:00"))


def import_document(
    document: Mapping[str, Any],
    organisation_id: int,
    *,
    user=None,
    filename: str = "",
    raw: bytes | None = None,
    check: EPCISValidator | None = None,
) -> ImportReport:
    """Validate the whole document, then store all its new events or none (see above)."""
    rejection = getattr(document, "rejection", None)
    if rejection is not None:
        return _xml_rejected(rejection)
    check = check or validator()
    events = events_of(document)
    try:
        with transaction.atomic():
            return _store(document, events, organisation_id, check, user, filename, raw)
    except IntegrityError:  # the same events were being imported at the same moment
        problem = EventProblem(None, "", "", "imported concurrently by someone else; send again")
        return ImportReport(False, len(events), problems=[problem])


def _xml_rejected(rejection: epcis_xml.XmlRejected) -> ImportReport:
    """An XML document refused before translation: its reason, then each problem by line."""
    problems = [EventProblem(None, "", "", gettext(rejection.summary))]
    problems += [
        EventProblem(p.event, "", f"line {p.line}" if p.line else "", p.message)
        for p in rejection.problems
    ]
    return ImportReport(False, rejection.events, problems=problems)


def _with_lines(problems: list[EventProblem], lines: list[int]) -> list[EventProblem]:
    """Problems of a document read from XML, each pointing at the line its event starts on."""
    out = []
    for p in problems:
        if p.index is not None and p.index < len(lines):
            p = EventProblem(p.index, p.event_id, f"line {lines[p.index]}: {p.path}", p.message)
        out.append(p)
    return out


def _store(
    document: Mapping[str, Any],
    events: list[Any],
    organisation_id: int,
    check: EPCISValidator,
    user,
    filename: str,
    raw: bytes | None,
) -> ImportReport:
    problems, hashes = _problems(document, organisation_id, check)
    if problems:
        lines = getattr(document, "event_lines", None)
        return ImportReport(False, len(events), problems=_with_lines(problems, lines or []))
    existing = set(
        PartnerEvent.objects.filter(
            organisation_id=organisation_id,
            event_id__in=[_event_id(e) or h for e, h in zip(events, hashes, strict=True)],
        ).values_list("event_id", flat=True)
    )
    raw = raw if raw is not None else json.dumps(document, sort_keys=True).encode()
    batch = EPCISImport.objects.create(
        organisation_id=organisation_id,
        filename=filename[:255],
        sha256=hashlib.sha256(raw).hexdigest(),
        events_total=len(events),
        imported_by=user,
    )
    report = ImportReport(True, len(events), batch=batch)
    context = document.get("@context", [])
    for event, digest in zip(events, hashes, strict=True):
        key = _event_id(event) or digest
        if key in existing:
            report.duplicates += 1
            continue
        existing.add(key)
        row = PartnerEvent.objects.create(
            organisation_id=organisation_id,
            source=batch,
            event_id=key,
            event_hash=digest,
            event_type=event["type"],
            biz_step=str(event.get("bizStep", ""))[:255],
            event_time=_event_time(event),
            document=event,
            context=context if isinstance(context, list) else [context],
        )
        lots = matching_lots(organisation_id, identifiers(event))
        if lots:
            row.lots.add(*lots)
            report.linked += 1
        report.added += 1
    EPCISImport.objects.filter(pk=batch.pk).update(events_added=report.added)
    batch.events_added = report.added
    return report
