"""EPCIS 2.0 XML binding: read a partner's XML into our JSON-LD form, write ours as XML.

Everything inside the project speaks the JSON-LD binding (``epcis_document``,
``epcis_hash``, ``imports``); XML is translated at the edge, so one hash function,
one validator and one importer serve both bindings. The translation follows the
mapping of the EPCIS 2.0 standard's two bindings: list wrappers become arrays
(``<epcList><epc>`` → ``epcList: [...]``), ``bizTransaction``/``source``/
``destination`` carry their ``type`` attribute as a key, sensor metadata and
reports carry their attributes as keys, the EPCIS 1.x ``extension`` and
``baseExtension`` wrappers are dissolved, and elements of any other namespace are
user extensions named ``prefix:localName`` with the prefix declared in ``@context``.

Reading is defensive: no DTDs, no entities, no network, bounded size (the caller
limits bytes). A document that is not well-formed or breaks GS1's XSD is refused
whole, each problem with its line and, where it falls inside one, the event it
belongs to (``XmlRejected``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop
from lxml import etree

from traceability.epcis_hash import DEFAULT_NAMESPACES

EPCIS_NS = "urn:epcglobal:epcis:xsd:2"
QUERY_NS = "urn:epcglobal:epcis-query:xsd:2"
# Read only: EPCIS 1.x documents (and some published hash vectors) use these.
LEGACY_NS = ("urn:epcglobal:epcis:xsd:1", "urn:epcglobal:epcis-query:xsd:1")
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MAX_PROBLEMS = 200
# Why a document is refused, as message ids (translated where a person reads them).
NOT_WELL_FORMED = gettext_noop("the XML is not well-formed")
NO_DTD = gettext_noop("the XML declares a DTD, which EPCIS documents never need")
NOT_SCHEMA_VALID = gettext_noop("the XML does not follow the EPCIS 2.0 XML schema")
NOT_EPCIS = gettext_noop("the XML is not an EPCIS document")
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
PARTY_LISTS = {
    "bizTransactionList": "bizTransaction",
    "sourceList": "source",
    "destinationList": "destination",
}
WRAPPERS = ("extension", "baseExtension")
NUMERIC_ATTRIBUTES = frozenset("value minValue maxValue meanValue sDev percRank percValue".split())
# CBV code lists: a URN in XML, a bare word in JSON-LD (EPCIS 2.0, the bindings' mapping).
CBV_URN = {
    "bizStep": "urn:epcglobal:cbv:bizstep:",
    "disposition": "urn:epcglobal:cbv:disp:",
    "set": "urn:epcglobal:cbv:disp:",
    "unset": "urn:epcglobal:cbv:disp:",
    "reason": "urn:epcglobal:cbv:er:",
    "bizTransactionType": "urn:epcglobal:cbv:btt:",
    "sourceDestType": "urn:epcglobal:cbv:sdt:",
}
_BARE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Child order the XSD requires, after the fields every event starts with.
_BASE = (
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "eventID",
    "errorDeclaration",
    "certificationInfo",
)
_TAIL = ("readPoint", "bizLocation", "bizTransactionList")
_AFTER = ("sourceList", "destinationList", "sensorElementList", "persistentDisposition")
XSD_ORDER: dict[str, tuple[str, ...]] = {
    "ObjectEvent": (
        *_BASE, "epcList", "action", "bizStep", "disposition", *_TAIL, "quantityList", *_AFTER,
        "ilmd",
    ),
    "AggregationEvent": (
        *_BASE, "parentID", "childEPCs", "action", "bizStep", "disposition", *_TAIL,
        "childQuantityList", *_AFTER,
    ),
    "TransactionEvent": (
        *_BASE, "bizTransactionList", "parentID", "epcList", "action", "bizStep", "disposition",
        "readPoint", "bizLocation", "quantityList", *_AFTER,
    ),
    "TransformationEvent": (
        *_BASE, "inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList",
        "transformationID", "bizStep", "disposition", *_TAIL, *_AFTER, "ilmd",
    ),
    "AssociationEvent": (
        *_BASE, "parentID", "childEPCs", "childQuantityList", "action", "bizStep", "disposition",
        *_TAIL, *_AFTER,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class XmlProblem:
    """One reason to refuse a document: its line, the event it is in (index), what is wrong."""

    line: int | None
    event: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "document"
        if self.event is not None:
            where += f", event {self.event}"
        return f"{where}: {self.message}"


class XmlRejected(ValueError):
    """The XML is not a well-formed, schema-valid EPCIS 2.0 document; see ``problems``.

    ``summary`` is English (a gettext message id); ``events`` counts the events found.
    """

    def __init__(self, summary: str, problems: list[XmlProblem], events: int = 0):
        self.summary, self.problems, self.events = summary, problems, events
        super().__init__(summary + ": " + "; ".join(str(p) for p in problems[:5]))


@dataclass
class XmlDocument:
    """A document read from XML: its JSON-LD form and where each event starts in the file."""

    document: dict[str, Any]
    event_lines: list[int] = field(default_factory=list)


# --- reading -------------------------------------------------------------------------------


def _parser(recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        recover=recover,
    )


def xsd_path() -> Path:
    """GS1's EPCIS 2.0 XSD (the query schema, which imports the core one).

    ``settings.EPCIS_XSD`` or ``AGRIMON_EPCIS_XSD`` name a deployment's own copy; by default
    the copy shipped in ``traceability/schema/xsd`` (source and licence in its README).
    """
    from django.conf import settings

    configured = getattr(settings, "EPCIS_XSD", None) or os.environ.get("AGRIMON_EPCIS_XSD")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent / "schema" / "xsd" / "EPCglobal-epcis-query-2_0.xsd"


@lru_cache(maxsize=2)
def _schema_for(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path), _parser()))


def schema() -> etree.XMLSchema:
    return _schema_for(xsd_path())


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _ns(tag: str) -> str | None:
    return etree.QName(tag).namespace


def _event_elements(root: etree._Element) -> list[etree._Element]:
    """The event elements in document order, wherever the EventList is."""
    out: list[etree._Element] = []
    for event_list in root.iter("{*}EventList"):
        for child in _dissolved(event_list):
            if _local(child.tag) in EVENT_TYPES:
                out.append(child)
    return out


def _event_spans(events: list[etree._Element]) -> list[tuple[int, int]]:
    spans = []
    for event in events:
        lines = [e.sourceline for e in event.iter() if e.sourceline]
        spans.append((min(lines), max(lines)) if lines else (0, 0))
    return spans


def _event_at(spans: list[tuple[int, int]], line: int | None) -> int | None:
    if not line:
        return None
    for i, (first, last) in enumerate(spans):
        if first <= line <= last:
            return i
    return None


def _spans_of_broken(data: bytes) -> list[tuple[int, int]]:
    """Event line spans of a document that is not well-formed, as far as it can be read."""
    try:
        root = etree.fromstring(data, _parser(recover=True))
    except (etree.XMLSyntaxError, ValueError):
        return []
    return _event_spans(_event_elements(root)) if root is not None else []


def read(data: bytes, *, validate: bool = True) -> XmlDocument:
    """Parse, check and translate an EPCIS 2.0 XML document to its JSON-LD form.

    ``validate=False`` skips GS1's XSD; only the hash vectors need that (some are
    EPCIS 1.x documents or carry non-standard top-level elements).
    """
    parser = _parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        spans = _spans_of_broken(data)
        problems = [
            XmlProblem(e.line, _event_at(spans, e.line), e.message)
            for e in parser.error_log.filter_from_errors()
        ] or [XmlProblem(exc.lineno, _event_at(spans, exc.lineno), str(exc.msg))]
        problems = _capped(problems)
        raise XmlRejected(NOT_WELL_FORMED, problems, len(spans)) from None
    tree = root.getroottree()
    dtd = tree.docinfo.internalDTD
    declares = dtd is not None and (list(dtd.entities()) or list(dtd.iterelements()))
    if declares or tree.docinfo.system_url or tree.docinfo.public_id:
        # A bare <!DOCTYPE x> is harmless (GS1's own examples have one); declarations are not.
        problem = XmlProblem(1, None, "a DOCTYPE with declarations or an external DTD")
        raise XmlRejected(NO_DTD, [problem])
    events = _event_elements(root)
    spans = _event_spans(events)
    if validate:
        xsd = schema()
        if not xsd.validate(tree):
            problems = [
                XmlProblem(e.line, _event_at(spans, e.line), _short(e.message))
                for e in xsd.error_log
            ]
            raise XmlRejected(NOT_SCHEMA_VALID, _capped(problems), len(events))
    if _local(root.tag) not in ("EPCISDocument", "EPCISQueryDocument"):
        raise XmlRejected(
            NOT_EPCIS,
            [XmlProblem(root.sourceline, None, f"root element is {_local(root.tag)}")],
        )
    return XmlDocument(_Reader().document(root, events), [s[0] for s in spans])


def _capped(problems: list[XmlProblem]) -> list[XmlProblem]:
    """At most ``MAX_PROBLEMS`` (a page of them helps; ten thousand do not)."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = XmlProblem(None, None, f"... and {len(problems) - MAX_PROBLEMS} more problems")
    return [*problems[:MAX_PROBLEMS], more]


def _short(message: str) -> str:
    """lxml's XSD messages, without the namespace noise partners do not need."""
    return message.replace("{" + EPCIS_NS + "}", "").replace("{" + QUERY_NS + "}", "")


def _dissolved(element: etree._Element) -> Iterator[etree._Element]:
    """Children, with EPCIS 1.x ``extension``/``baseExtension`` wrappers opened up."""
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if _ns(child.tag) is None and _local(child.tag) in WRAPPERS:
            yield from _dissolved(child)
        else:
            yield child


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def _bare(field: str, value: str) -> str:
    """``urn:epcglobal:cbv:bizstep:shipping`` → ``shipping`` for the CBV-valued fields."""
    prefix = CBV_URN[field]
    rest = value[len(prefix) :]
    return rest if value.startswith(prefix) and _BARE.match(rest) else value


def _urn(field: str, value: Any) -> Any:
    """The reverse: a bare CBV word becomes its URN in XML."""
    if isinstance(value, str) and _BARE.match(value):
        return CBV_URN[field] + value
    return value


def _number(text: str) -> int | float | str:
    try:
        number = float(text)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    return (
        int(number)
        if number.is_integer() and "." not in text and "e" not in text.lower()
        else number
    )


class _Reader:
    """One document's translation; collects the namespace prefixes its extensions use."""

    def __init__(self) -> None:
        self.prefixes: dict[str, str] = {}  # prefix → namespace
        self._by_ns: dict[str, str] = {}

    def name(self, tag: str, element: etree._Element | None = None) -> str:
        """``prefix:local`` for a namespaced name, the bare local name otherwise."""
        ns, local = _ns(tag), _local(tag)
        if ns is None or ns in (EPCIS_NS, QUERY_NS, *LEGACY_NS):
            return local
        if ns not in self._by_ns:
            wanted = None
            if element is not None:
                wanted = next((p for p, u in element.nsmap.items() if u == ns and p), None)
            prefix = wanted or "ext"
            n = 1
            while prefix in self.prefixes and self.prefixes[prefix] != ns:
                n += 1
                prefix = f"{wanted or 'ext'}{n}"
            self.prefixes[prefix] = ns
            self._by_ns[ns] = prefix
        return f"{self._by_ns[ns]}:{local}"

    def document(self, root: etree._Element, events: list[etree._Element]) -> dict[str, Any]:
        kind = _local(root.tag)
        doc: dict[str, Any] = {"@context": [EPCIS_CONTEXT], "type": kind}
        doc["schemaVersion"] = root.get("schemaVersion") or "2.0"
        if root.get("creationDate"):
            doc["creationDate"] = root.get("creationDate")
        event_list = [self.event(e) for e in events]
        ignore = self.ignore_fields(root)
        if kind == "EPCISQueryDocument":
            results: dict[str, Any] = {}  # ignoreFields sits here in JSON-LD, at the root in XML
            for tag in ("queryName", "subscriptionID"):
                found = next(root.iter("{*}" + tag), None)
                if found is not None:
                    results[tag] = _text(found)
            results.setdefault("queryName", "SimpleEventQuery")
            results.update(ignore)
            results["resultsBody"] = {"eventList": event_list}
            doc["epcisBody"] = {"queryResults": results}
        else:
            doc.update(ignore)
            doc["epcisBody"] = {"eventList": event_list}
        if self.prefixes:
            doc["@context"].append(dict(sorted(self.prefixes.items())))
        return doc

    def ignore_fields(self, root: etree._Element) -> dict[str, list[str]]:
        """The top-level ``…:ignoreFields`` list (an event-hash extension) as JSON-LD has it."""
        for child in root:
            if isinstance(child.tag, str) and _local(child.tag) == "ignoreFields":
                fields = [self.name(f.tag, f) for f in child if isinstance(f.tag, str)]
                return {self.name(child.tag, child): fields}
        return {}

    def event(self, element: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = {"type": _local(element.tag)}
        for name, value in self.attributes(element).items():
            out[name] = value
        for child in _dissolved(element):
            name = self.name(child.tag, child)
            if name in EPC_LISTS:
                value: Any = [_text(e) for e in _dissolved(child)]
            elif name in QUANTITY_LISTS:
                value = [self.quantity(q) for q in _dissolved(child)]
            elif name in PARTY_LISTS:
                value = [self.party(p, PARTY_LISTS[name]) for p in _dissolved(child)]
            elif name in ("readPoint", "bizLocation", "ilmd", "errorDeclaration"):
                value = self.object(child)
            elif name == "persistentDisposition":
                value = {}
                for item in _dissolved(child):
                    part = _local(item.tag)
                    value.setdefault(part, []).append(_bare(part, _text(item)))
            elif name == "sensorElementList":
                value = [self.sensor_element(s) for s in _dissolved(child)]
            elif ":" in name:
                value = self.value(child)
            elif name in CBV_URN:
                value = _bare(name, _text(child))
            else:
                value = _text(child)
            _put(out, name, value, repeat=":" in name)
        return out

    def quantity(self, element: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in _dissolved(element):
            name = self.name(child.tag, child)
            if child.get(f"{{{XSI}}}nil") in ("true", "1"):
                continue
            out[name] = _number(_text(child)) if name == "quantity" else self.value(child)
        return out

    def party(self, element: etree._Element, key: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        vocabulary = "bizTransactionType" if key == "bizTransaction" else "sourceDestType"
        if element.get("type") is not None:
            out["type"] = _bare(vocabulary, element.get("type").strip())
        out[key] = _text(element)
        return out

    def object(self, element: etree._Element) -> dict[str, Any]:
        """readPoint, bizLocation, ilmd, errorDeclaration: fields and extensions as keys."""
        out: dict[str, Any] = dict(self.attributes(element))
        for child in _dissolved(element):
            name = self.name(child.tag, child)
            if name == "correctiveEventIDs":
                out[name] = [_text(c) for c in _dissolved(child)]
            elif name == "reason" and _local(element.tag) == "errorDeclaration":
                out[name] = _bare(name, _text(child))
            else:
                _put(out, name, self.value(child), repeat=True)
        return out

    def sensor_element(self, element: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in _dissolved(element):
            name = self.name(child.tag, child)
            if name == "sensorMetadata":
                out[name] = self.attributes(child)
            elif name == "sensorReport":
                out.setdefault(name, []).append(self.sensor_report(child))
            else:
                _put(out, name, self.value(child), repeat=True)
        return out

    def sensor_report(self, element: etree._Element) -> dict[str, Any]:
        out = self.attributes(element)
        for key in NUMERIC_ATTRIBUTES & out.keys():
            out[key] = _number(out[key])
        if out.get("booleanValue") in ("true", "false", "1", "0"):
            out["booleanValue"] = out["booleanValue"] in ("true", "1")
        for child in _dissolved(element):
            _put(out, self.name(child.tag, child), self.value(child), repeat=True)
        return out

    def attributes(self, element: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in element.attrib.items():
            if _ns(key) == XSI:
                continue
            out[self.name(key, element)] = value.strip()
        return out

    def value(self, element: etree._Element) -> Any:
        """An extension element: its text, or an object of its attributes and children."""
        attributes = self.attributes(element)
        children = list(_dissolved(element))
        if not attributes and not children:
            return _text(element)
        out: dict[str, Any] = dict(attributes)
        for child in children:
            _put(out, self.name(child.tag, child), self.value(child), repeat=True)
        if _text(element):
            out["#text"] = _text(element)
        return out


def _put(target: dict[str, Any], key: str, value: Any, *, repeat: bool) -> None:
    """Set ``key``; a repeated extension element becomes a list."""
    if key not in target or not repeat:
        target[key] = value
    elif isinstance(target[key], list):
        target[key].append(value)
    else:
        target[key] = [target[key], value]


# --- writing -------------------------------------------------------------------------------


def namespaces_of(document: Mapping[str, Any]) -> dict[str, str]:
    """Prefix → namespace declared in a JSON-LD document's ``@context``."""
    context = document.get("@context", [])
    out: dict[str, str] = {}
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, Mapping):
            out.update({k: v for k, v in item.items() if isinstance(v, str) and ":" in v})
    return out


class _Writer:
    def __init__(self, namespaces: Mapping[str, str]) -> None:
        self.namespaces = dict(namespaces)

    def tag(self, name: str) -> str:
        prefix, sep, local = name.partition(":")
        if not sep:
            return name
        if prefix not in self.namespaces:
            raise ValueError(f"prefix {prefix!r} of {name!r} is not declared in @context")
        return f"{{{self.namespaces[prefix]}}}{local}"

    def text(self, parent: etree._Element, name: str, value: Any) -> etree._Element:
        element = etree.SubElement(parent, self.tag(name))
        element.text = _scalar(value)
        return element

    def event(self, parent: etree._Element, event: Mapping[str, Any]) -> None:
        kind = str(event.get("type", ""))
        if kind not in XSD_ORDER:
            raise ValueError(f"unknown event type {kind!r}")
        element = etree.SubElement(parent, kind)
        order = XSD_ORDER[kind]
        for name in order:
            if name in event and event[name] not in (None, ""):
                self.field(element, name, event[name])
        for name, value in event.items():
            if name in order or name == "type" or name.startswith("@"):
                continue
            if ":" not in name:
                raise ValueError(f"{kind} has no field {name!r} in the XML binding")
            self.extension(element, name, value)

    def field(self, parent: etree._Element, name: str, value: Any) -> None:
        if name in EPC_LISTS:
            wrapper = etree.SubElement(parent, name)
            for epc in value:
                self.text(wrapper, "epc", epc)
        elif name in QUANTITY_LISTS:
            wrapper = etree.SubElement(parent, name)
            for item in value:
                q = etree.SubElement(wrapper, "quantityElement")
                for key in ("epcClass", "quantity", "uom"):
                    if key in item:
                        self.text(q, key, item[key])
                    elif key == "quantity":  # required by the XSD, nillable
                        etree.SubElement(q, key).set(f"{{{XSI}}}nil", "true")
        elif name in PARTY_LISTS:
            wrapper = etree.SubElement(parent, name)
            item_name = PARTY_LISTS[name]
            vocabulary = "bizTransactionType" if item_name == "bizTransaction" else "sourceDestType"
            for item in value:
                child = self.text(wrapper, item_name, item.get(item_name, ""))
                if item.get("type"):
                    child.set("type", str(_urn(vocabulary, item["type"])))
        elif name == "persistentDisposition":
            wrapper = etree.SubElement(parent, name)
            for part in ("unset", "set"):
                for item in value.get(part, []):
                    self.text(wrapper, part, _urn(part, item))
        elif name == "sensorElementList":
            wrapper = etree.SubElement(parent, name)
            for sensor in value:
                self.sensor_element(wrapper, sensor)
        elif name in ("readPoint", "bizLocation"):
            wrapper = etree.SubElement(parent, name)
            self.text(wrapper, "id", value.get("id", ""))
            self.rest(wrapper, value, {"id"})
        elif name == "errorDeclaration":
            wrapper = etree.SubElement(parent, name)
            if "declarationTime" in value:
                self.text(wrapper, "declarationTime", value["declarationTime"])
            if "reason" in value:
                self.text(wrapper, "reason", _urn("reason", value["reason"]))
            if value.get("correctiveEventIDs"):
                ids = etree.SubElement(wrapper, "correctiveEventIDs")
                for item in value["correctiveEventIDs"]:
                    self.text(ids, "correctiveEventID", item)
            self.rest(wrapper, value, {"declarationTime", "reason", "correctiveEventIDs"})
        elif name == "ilmd":
            wrapper = etree.SubElement(parent, name)
            self.rest(wrapper, value, set())
        elif name in ("bizStep", "disposition"):
            self.text(parent, name, _urn(name, value))
        elif name == "certificationInfo" and isinstance(value, list):
            self.text(parent, name, value[0] if value else "")
        else:
            self.text(parent, name, value)

    def rest(self, parent: etree._Element, obj: Mapping[str, Any], used: set[str]) -> None:
        for key, value in obj.items():
            if key not in used and not key.startswith("@"):
                self.extension(parent, key, value)

    def extension(self, parent: etree._Element, name: str, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                self.extension(parent, name, item)
            return
        if not isinstance(value, Mapping):
            self.text(parent, name, value)
            return
        element = etree.SubElement(parent, self.tag(name))
        for key, item in value.items():
            if key == "#text":
                element.text = _scalar(item)
            elif not key.startswith("@"):
                self.extension(element, key, item)

    def sensor_element(self, parent: etree._Element, sensor: Mapping[str, Any]) -> None:
        element = etree.SubElement(parent, "sensorElement")
        if sensor.get("sensorMetadata"):
            meta = etree.SubElement(element, "sensorMetadata")
            self.attributes(meta, sensor["sensorMetadata"])
        for report in sensor.get("sensorReport") or []:
            child = etree.SubElement(element, "sensorReport")
            self.attributes(child, report)
        self.rest(element, sensor, {"sensorMetadata", "sensorReport"})

    def attributes(self, element: etree._Element, obj: Mapping[str, Any]) -> None:
        """Known and extension fields alike become attributes (the XSD allows any)."""
        for key, value in obj.items():
            if key.startswith("@"):
                continue
            if isinstance(value, (Mapping, list)):
                raise ValueError(f"{key} of {_local(element.tag)} must be a single value in XML")
            element.set(self.tag(key), _scalar(value))


def _prefixes_used(value: Any) -> set[str]:
    """Prefixes of the ``prefix:name`` keys anywhere in a JSON-LD value."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and ":" in key and not key.startswith("@"):
                found.add(key.split(":", 1)[0])
            found |= _prefixes_used(item)
    elif isinstance(value, list):
        for item in value:
            found |= _prefixes_used(item)
    return found


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write(document: Mapping[str, Any]) -> bytes:
    """An EPCISDocument or EPCISQueryDocument in JSON-LD as EPCIS 2.0 XML (UTF-8).

    Raises ``ValueError`` for what the XML binding cannot express (an undeclared
    prefix, an unknown field).
    """
    declared = namespaces_of(document)
    used = _prefixes_used(document)
    namespaces = {p: u for p, u in DEFAULT_NAMESPACES.items() if p in used} | declared
    writer = _Writer(namespaces)
    kind = document.get("type")
    extra = {p: u for p, u in namespaces.items() if p not in ("epcis", "epcisq")}
    body_holder: Mapping[str, Any] = document.get("epcisBody") or {}
    if kind == "EPCISQueryDocument":
        root = etree.Element(f"{{{QUERY_NS}}}{kind}", nsmap={"epcisq": QUERY_NS, **extra})
    elif kind == "EPCISDocument":
        root = etree.Element(f"{{{EPCIS_NS}}}{kind}", nsmap={"epcis": EPCIS_NS, **extra})
    else:
        raise ValueError(f"not an EPCIS document type: {kind!r}")
    root.set("schemaVersion", str(document.get("schemaVersion") or "2.0"))
    root.set("creationDate", str(document.get("creationDate") or ""))
    body = etree.SubElement(root, "EPCISBody")
    if kind == "EPCISQueryDocument":
        results = body_holder.get("queryResults") or {}
        holder = etree.SubElement(body, f"{{{QUERY_NS}}}QueryResults")
        writer.text(holder, "queryName", results.get("queryName", "SimpleEventQuery"))
        if results.get("subscriptionID"):
            writer.text(holder, "subscriptionID", results["subscriptionID"])
        results_body = etree.SubElement(holder, "resultsBody")
        events = (results.get("resultsBody") or {}).get("eventList") or []
        event_list = etree.SubElement(results_body, "EventList")
    else:
        events = body_holder.get("eventList") or (
            [body_holder["event"]] if body_holder.get("event") else []
        )
        event_list = etree.SubElement(body, "EventList")
    for event in events:
        writer.event(event_list, event)
    holders = (document, (body_holder.get("queryResults") or {}))
    for key, fields in (i for h in holders for i in h.items() if i[0].endswith(":ignoreFields")):
        wrapper = etree.SubElement(root, writer.tag(key))
        for name in fields:
            etree.SubElement(wrapper, writer.tag(name))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
