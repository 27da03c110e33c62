"""CBV 2.0 EPCIS Event Hash ID of a JSON-LD event: ``ni:///sha-256;<hex>?ver=CBV2.0``.

The algorithm (CBV 2.0; reference implementation and vectors in
RalphTro/epcis-event-hash-generator) hashes a *pre-hash string*: the event's
fields as ``key=value`` in a fixed canonical order, without separators, after
normalising values so that every serialisation of the same event agrees:

* timestamps in UTC with exactly three decimals, rounded half up;
* numbers without trailing zeros;
* CBV bare words (``shipping``), CBV URNs and CURIEs expanded to web URIs;
* EPC URNs (pure identities, classes and ``idpat`` patterns of every GS1 scheme)
  and GS1 Digital Links on any domain, with alphas or a query, rewritten as
  canonical Digital Links on ``https://id.gs1.org`` with only the primary key and
  the finest key qualifier, ``!()*+,:`` percent-encoded (``epcis_dl_normalise``);
* list items sorted by code point; extension fields written as
  ``{namespace}localName=value`` and sorted.

Fields the reference implementation does not place in its property order
(``bizTransactionList``, ``sourceList``, ``destinationList``, ``ilmd`` and
user extensions) are appended after the ordered ones, sorted as strings,
which is what its published vectors encode. ``eventID``, ``recordTime`` and
``errorDeclaration`` are excluded, so a corrected event keeps its hash; so are
comments (``rdfs:comment``) at any depth, and the fields a document or query
result lists in its ``ignoreFields`` extension.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from traceability.epcis_dl_normalise import normalise as normalise_identifier

CBV = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://gs1.org/voc/"
DEFAULT_NAMESPACES = {
    "gs1": GS1_VOC,
    "cbv": CBV,
    "epcis": "https://ref.gs1.org/epcis/",
    "cbvmda": "urn:epcglobal:cbv:mda:",
}

_QUANTITY = (("epcClass", None), ("quantity", None), ("uom", None))
_SENSOR_METADATA = tuple(
    (name, None)
    for name in (
        "time startTime endTime deviceID deviceMetadata rawData dataProcessingMethod bizRules"
    ).split()
)
_SENSOR_REPORT = tuple(
    (name, None)
    for name in (
        "type exception deviceID deviceMetadata rawData dataProcessingMethod time microorganism "
        "chemicalSubstance value component stringValue booleanValue hexBinaryValue uriValue "
        "minValue maxValue meanValue sDev percRank percValue uom coordinateReferenceSystem"
    ).split()
)
# (field, how its items are written); "items" names the element each list entry becomes.
PROPERTY_ORDER: tuple = (
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("epcList", ("epc", None)),
    ("parentID", None),
    ("inputEPCList", ("epc", None)),
    ("childEPCs", ("epc", None)),
    ("quantityList", ("quantityElement", _QUANTITY)),
    ("childQuantityList", ("quantityElement", _QUANTITY)),
    ("inputQuantityList", ("quantityElement", _QUANTITY)),
    ("outputEPCList", ("epc", None)),
    ("outputQuantityList", ("quantityElement", _QUANTITY)),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", "persistent"),
    ("readPoint", (("id", None),)),
    ("bizLocation", (("id", None),)),
    ("sensorElementList", ("sensorElement", "sensor")),
)
_ORDERED = {name for name, _ in PROPERTY_ORDER}
EXCLUDED = frozenset({"type", "eventID", "recordTime", "errorDeclaration", "@context"})
# Comments annotate an event for people; they are not extension fields, at any depth.
COMMENTS = frozenset({"comment", "rdfs:comment", "{http://www.w3.org/2000/01/rdf-schema#}comment"})

# Which fields take CBV bare words, and the vocabulary prefix of each.
_BARE_WORD_PREFIX = {
    "bizStep": CBV + "BizStep-",
    "disposition": CBV + "Disp-",
    "set": CBV + "Disp-",
    "unset": CBV + "Disp-",
    "bizTransactionType": CBV + "BTT-",
    "sourceDestType": CBV + "SDT-",
    "sensorType": GS1_VOC,
    "exception": GS1_VOC,
    "component": CBV + "Comp-",
}
_CBV_URN = {
    "urn:epcglobal:cbv:bizstep:": CBV + "BizStep-",
    "urn:epcglobal:cbv:disp:": CBV + "Disp-",
    "urn:epcglobal:cbv:btt:": CBV + "BTT-",
    "urn:epcglobal:cbv:sdt:": CBV + "SDT-",
    "urn:epcglobal:cbv:er:": CBV + "ER-",
}

_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)
_BARE_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _timestamp(text: str) -> str:
    """UTC with millisecond precision, the fourth decimal rounded half up."""
    m = _TIME.match(text)
    if not m:
        return text
    base, fraction, zone = m.groups()
    zone = "+00:00" if zone.upper() == "Z" else zone
    when = datetime.fromisoformat(base + zone).astimezone(UTC)
    millis = Decimal(fraction or ".0").quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    when = when.replace(microsecond=0)
    ms = int(millis * 1000)
    if ms == 1000:  # .9995 and up rounds into the next second
        when, ms = when + timedelta(seconds=1), 0
    return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms:03d}Z"


def _number(text: str) -> str:
    """Drop trailing zeros of numeric values, as the reference implementation does."""
    try:
        number = float(text)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    return str(int(number)) if number == int(number) else str(number)


class _Canon:
    """Per-document state: the namespace prefixes from its ``@context``."""

    def __init__(self, context) -> None:
        self.namespaces = dict(DEFAULT_NAMESPACES)
        self._leftovers: dict[tuple, list[str]] = {}
        for item in context if isinstance(context, list) else [context]:
            if isinstance(item, Mapping):
                self.namespaces.update({k: v for k, v in item.items() if isinstance(v, str)})

    def key(self, name: str) -> str:
        prefix, sep, local = name.partition(":")
        if sep and prefix in self.namespaces:
            return "{" + self.namespaces[prefix] + "}" + local
        return name

    def value(self, field: str, raw, vocabulary: str | None = None) -> str:
        if isinstance(raw, bool):
            return "true" if raw else "false"
        text = str(raw).strip()
        if field == "time" or field.endswith("Time"):
            return _timestamp(text)
        for urn, web in _CBV_URN.items():
            if text.startswith(urn):
                return web + text[len(urn) :]
        prefix, sep, rest = text.partition(":")
        if sep and prefix in ("gs1", "cbv") and not rest.startswith("//"):
            return self.namespaces[prefix] + rest
        if vocabulary and _BARE_WORD.match(text):
            return _BARE_WORD_PREFIX[vocabulary] + text
        text = _number(text)
        return normalise_identifier(text) or text

    def generic(self, name: str, value) -> list[str]:
        """Strings for a field outside the property order (extensions, ilmd, party lists)."""
        key = self.key(name)
        if isinstance(value, list):
            return [s for item in value for s in self.generic(name, item)]
        if isinstance(value, Mapping):
            return [key + "".join(self.remainder(value, set()))]
        return [f"{key}={self.value(name, value)}" if str(value).strip() else key]

    def remainder(self, obj: Mapping, used: set[str]) -> list[str]:
        out: list[str] = []
        for name, value in obj.items():
            if name in used or name in EXCLUDED or name.startswith("@"):
                continue
            if name in COMMENTS or self.key(name) in COMMENTS:
                continue
            if name in ("bizTransactionList", "sourceList", "destinationList"):
                out.append(self.party_list(name, value))
            else:
                out.extend(self.generic(name, value))
        return sorted(s for s in out if s)

    def party_list(self, name: str, items) -> str:
        """``type`` follows the id within each item; items are then sorted."""
        id_field = {"bizTransactionList": "bizTransaction", "sourceList": "source"}.get(
            name, "destination"
        )
        vocab = "bizTransactionType" if name == "bizTransactionList" else "sourceDestType"
        rendered = []
        for item in items or []:
            text = ""
            if "type" in item:
                text += "type=" + self.value("type", item["type"], vocab)
            if id_field in item:
                text += f"{id_field}=" + self.value(id_field, item[id_field])
            rendered.append(text)
        return name + "".join(sorted(rendered)) if any(rendered) else ""

    def ordered(self, obj: Mapping, order, trail: tuple = ()) -> str:
        """``key=value`` for the ordered fields of a flat object, then its extensions.

        A plain (un-namespaced) field the order does not know is, as in the reference
        implementation, not written here but at the end of the event under the path of
        the elements it sits in (``trail``).
        """
        text = ""
        for name, _ in order:
            if name in obj and str(obj[name]).strip() != "":
                vocab = None
                if name in ("type", "exception", "component"):
                    vocab = "sensorType" if name == "type" else name
                text += f"{name}={self.value(name, obj[name], vocab)}"
        known = {n for n, _ in order}
        if trail:
            stray = {k for k in obj if k not in known and not self._extension(k)}
            stray -= EXCLUDED | COMMENTS
            if stray:
                self.leftover(trail, self.remainder({k: obj[k] for k in stray}, set()))
                known |= stray
        return text + "".join(self.remainder(obj, known))

    def _extension(self, name: str) -> bool:
        return name.startswith(("@", "{")) or ":" in name

    def leftover(self, trail: tuple, strings: list[str]) -> None:
        self._leftovers.setdefault(trail, []).extend(strings)

    def leftover_strings(self) -> list[str]:
        """The stray fields, each under the path of elements it was found in."""
        tree: dict = {}
        for trail, strings in self._leftovers.items():
            node = tree
            for step in trail:
                node = node.setdefault(step, {})
            node.setdefault(None, []).extend(strings)

        def render(step, node) -> str:
            parts = list(node.get(None, [])) + [render(k, v) for k, v in node.items() if k]
            return step[0] + "".join(sorted(parts))

        return [render(k, v) for k, v in tree.items() if k]

    def sensor_element(self, element: Mapping, trail: tuple = ()) -> str:
        text = "sensorElement"
        if element.get("sensorMetadata"):
            text += "sensorMetadata" + self.ordered(
                element["sensorMetadata"], _SENSOR_METADATA, (*trail, ("sensorMetadata", 0))
            )
        reports = sorted(
            "sensorReport" + self.ordered(r, _SENSOR_REPORT, (*trail, ("sensorReport", i)))
            for i, r in enumerate(element.get("sensorReport") or [])
        )
        text += "".join(reports)
        return text + "".join(self.remainder(element, {"sensorMetadata", "sensorReport"}))

    def field(self, name: str, how, value) -> str:
        if how is None:
            return f"{name}={self.value(name, value, _vocab_of(name))}" if str(value) else ""
        if how == "persistent":
            text = "".join(
                "".join(sorted(f"{part}={self.value(part, v, part)}" for v in value.get(part, [])))
                for part in ("set", "unset")
            )
            return name + text if text else ""
        if isinstance(how, tuple) and how and isinstance(how[0], tuple):  # readPoint/bizLocation
            inner = self.ordered(value, how, ((name, 0),))
            return name + inner if inner else ""
        item_name, item_how = how
        if item_how is None:
            items = [f"{item_name}={self.value(item_name, v)}" for v in value or []]
        elif item_how == "sensor":
            items = [
                self.sensor_element(v, ((name, 0), (item_name, i)))
                for i, v in enumerate(value or [])
            ]
        else:
            items = [
                item_name + self.ordered(v, item_how, ((name, 0), (item_name, i)))
                for i, v in enumerate(value or [])
            ]
        items = sorted(i for i in items if i)
        return name + "".join(items) if items else ""


def canonical_identifier(uri: str, context=None) -> str:
    """An EPC, EPC class or Digital Link as the hash algorithm writes it.

    EPC URNs and Digital Links on any domain become canonical Digital Links on
    ``https://id.gs1.org``; other URIs come back trimmed. Importers use it to see
    that a partner's identifier names one of our lots.
    """
    return _Canon(context or []).value("epc", uri)


def _vocab_of(name: str) -> str | None:
    return name if name in ("bizStep", "disposition") else None


def prehash_string(event: Mapping, context=None, ignore_fields: Collection[str] = ()) -> str:
    """The canonical pre-hash string of one EPCIS 2.0 JSON-LD event.

    ``context`` is the document's ``@context`` (it declares extension prefixes);
    without it, an ``@context`` on the event itself or the standard prefixes are used.
    ``ignore_fields`` lists top-level fields left out of the hash (the reference
    implementation's document-level ``ignoreFields`` extension).
    """
    canon = _Canon(context if context is not None else event.get("@context", []))
    if ignore_fields:
        ignored = {canon.key(f) for f in ignore_fields}
        event = {k: v for k, v in event.items() if canon.key(k) not in ignored}
    text = "eventType=" + str(event["type"])
    for name, how in PROPERTY_ORDER:
        if name in event and event[name] is not None:
            text += canon.field(name, how, event[name])
    return text + "".join(sorted(canon.remainder(event, _ORDERED) + canon.leftover_strings()))


def event_hash_id(event: Mapping, context=None, ignore_fields: Collection[str] = ()) -> str:
    """``ni:///sha-256;<hex>?ver=CBV2.0`` for one EPCIS 2.0 JSON-LD event."""
    return _digest(prehash_string(event, context, ignore_fields))


def _digest(prehash: str) -> str:
    return f"ni:///sha-256;{hashlib.sha256(prehash.encode()).hexdigest()}?ver=CBV2.0"


def document_hash_ids(document: Mapping) -> list[str]:
    """Event Hash IDs of every event in an EPCISDocument or EPCISQueryDocument."""
    return [_digest(text) for text in document_prehash_strings(document)]


def ignore_fields_of(holder: Mapping) -> list[str]:
    """The ``…:ignoreFields`` list of a document or query result (any prefix), if any."""
    return next((v for k, v in holder.items() if k.split(":")[-1] == "ignoreFields"), [])


def document_prehash_strings(document: Mapping) -> list[str]:
    """Pre-hash strings of every event in a document, in order (for comparing with a partner's)."""
    body = document["epcisBody"]
    holder: Mapping = document
    if "queryResults" in body:
        holder = body["queryResults"]
        events = holder["resultsBody"]["eventList"]
    else:
        events = body.get("eventList") or [body["event"]]
    context = document.get("@context", [])
    return [prehash_string(e, context, ignore_fields_of(holder)) for e in events]
