"""A dead letter's detail in the reader's language.

The bridge stores the decoder's or parser's own diagnosis (``DecodeError``/``EventError``
text such as "payload 7 bytes, core record needs 11") beside the reason code: it is what
integrators compare with their vendor's tools, and what a replay or a search matches on.
Pages translate the known diagnoses here, pattern by pattern, with the values of the
message as parameters; identifiers in them are shown as code, metric names as people say
them. An unknown diagnosis is shown only as the raw technical detail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from vocabulary.metrics import metric_label

# (pattern of the stored text, translatable template). Groups named ``metric`` are shown as
# the metric's name; every other group as code.
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), t)
    for p, t in [
        # the project's own codec (firmware/lora_nodes/PAYLOAD.md)
        (r"fport (?P<fport>\d+) is not the native measurement port (?P<port>\d+)",
         gettext_noop("FPort %(fport)s is not the measurement port %(port)s of our nodes")),
        (r"empty payload", gettext_noop("The payload is empty")),
        (r"unknown payload version (?P<version>\d+)",
         gettext_noop("Unknown payload version %(version)s")),
        (r"(?P<frame>\w+) frame on the native-(?P<node>\w+) profile",
         gettext_noop("A %(frame)s node's frame arrived for a native-%(node)s device")),
        (r"backlog frame without an age record",
         gettext_noop("A backlog frame without its age record")),
        (r"age record on a frame not flagged as backlog",
         gettext_noop("An age record on a frame not marked as backlog")),
        (r"continuation frame without extension records",
         gettext_noop("A continuation frame without extension records")),
        (r"payload (?P<n>\d+) bytes, core record needs (?P<need>\d+)",
         gettext_noop("The payload has %(n)s bytes; the core record needs %(need)s")),
        (r"(?P<metric>\w+) not measured but its bytes are (?P<word>0x[0-9a-f]+)",
         gettext_noop("%(metric)s is marked not measured but its bytes are %(word)s")),
        (r"(?P<metric>\w+) has the reserved status 3",
         gettext_noop("%(metric)s has the reserved status 3")),
        (r"reserved bit 6 set in extension id (?P<ext>0x[0-9a-f]+) at byte (?P<pos>\d+)",
         gettext_noop("Reserved bit 6 is set in extension id %(ext)s at byte %(pos)s")),
        (r"extension (?P<ext>0x[0-9a-f]+) repeated",
         gettext_noop("Extension %(ext)s appears twice")),
        (r"the age record cannot be faulted",
         gettext_noop("The age record cannot be marked as faulted")),
        (r"age record cut short", gettext_noop("The age record is cut short")),
        (r"unknown extension id (?P<ext>0x[0-9a-f]+) at byte (?P<pos>\d+)",
         gettext_noop("Unknown extension id %(ext)s at byte %(pos)s")),
        (r"extension (?P<metric>\w+) cut short at byte (?P<pos>\d+)",
         gettext_noop("The %(metric)s extension is cut short at byte %(pos)s")),
        (r"(?P<metric>\w+) (?P<value>\S+) outside its field range (?P<low>\S+)\.\.(?P<high>\S+)",
         gettext_noop("%(metric)s %(value)s is outside its field range %(low)s to %(high)s")),
        (r"(?P<metric>\w+) carries the reserved fault code (?P<code>\d+)",
         gettext_noop("%(metric)s carries the reserved fault code %(code)s")),
        # any codec
        (r"unknown profile (?P<profile>.+)", gettext_noop("Unknown device profile %(profile)s")),
        (r"fport must be an integer 0-255, got (?P<got>.+)",
         gettext_noop("The FPort must be a whole number from 0 to 255, not %(got)s")),
        (r"payload must be bytes, got (?P<got>\w+)",
         gettext_noop("The payload must be bytes, not %(got)s")),
        (r"no valid reading left, the node reports faults \((?P<faults>.*)\)",
         gettext_noop("No valid reading left: the node reports faults (%(faults)s)")),
        (r"codec error (?P<error>\w+): .*", gettext_noop("The decoder failed (%(error)s)")),
        # Cayenne LPP, Milesight
        (r"dangling byte at (?P<pos>\d+): an? (?:item|record) needs channel and type",
         gettext_noop("Stray byte at %(pos)s: each item needs a channel and a type byte")),
        (r"unknown LPP type (?P<kind>\d+) \((?P<hex>0x[0-9A-F]+)\) at byte (?P<pos>\d+)",
         gettext_noop("Unknown LPP type %(kind)s (%(hex)s) at byte %(pos)s")),
        (r"(?P<key>\w+) on channel (?P<channel>\d+) needs (?P<size>\d+) bytes, "
         r"(?P<left>-?\d+) left",
         gettext_noop("%(key)s on channel %(channel)s needs %(size)s bytes; %(left)s are left")),
        (r"(?P<model>[\w-]+): unknown record (?P<record>[0-9A-F]{2} [0-9A-F]{2}) "
         r"at byte (?P<pos>\d+)",
         gettext_noop("%(model)s: unknown record %(record)s at byte %(pos)s")),
        (r"(?P<model>[\w-]+): record (?P<record>[0-9A-F]{2} [0-9A-F]{2}) "
         r"needs (?P<size>\d+) bytes, has (?P<has>\d+)",
         gettext_noop("%(model)s: record %(record)s needs %(size)s bytes but has %(has)s")),
        # Tektelic, Dragino, SenseCAP, Decentlab
        (r"fPort (?P<fport>\d+) carries no sensor data \((?P<model>\S+) uses (?P<port>\d+)\)",
         gettext_noop("FPort %(fport)s carries no sensor data (%(model)s uses %(port)s)")),
        (r"unknown header (?P<header>.+) at byte (?P<pos>\d+)",
         gettext_noop("Unknown header %(header)s at byte %(pos)s")),
        (r"header at byte (?P<pos>\d+) needs (?P<size>\d+) value bytes, has (?P<has>\d+)",
         gettext_noop("The header at byte %(pos)s needs %(size)s value bytes but has %(has)s")),
        (r"unknown FPort (?P<fport>\d+): (?P<model>\S+) reports on fPort (?P<port>\d+)",
         gettext_noop("Unknown FPort %(fport)s: %(model)s reports on FPort %(port)s")),
        (r"payload (?P<n>\d+) bytes, (?P<model>\S+) sends (?P<a>\d+) or (?P<b>\d+)",
         gettext_noop("The payload has %(n)s bytes; %(model)s sends %(a)s or %(b)s")),
        (r"payload (?P<n>\d+) bytes, (?P<model>\S+) sends (?P<size>\d+)",
         gettext_noop("The payload has %(n)s bytes; %(model)s sends %(size)s")),
        (r"soil pH (?P<ph>\S+) is outside 0-14", gettext_noop("Soil pH %(ph)s is outside 0 to 14")),
        (r"poll-message reply: the vendor decoder returns no data for it",
         gettext_noop("A reply to a poll message: the vendor's decoder gives no data for it")),
        (r"reserved external sensor type (?P<ext>\S+)",
         gettext_noop("Reserved external sensor type %(ext)s")),
        (r"DS18B20 ID frame carries no measurement",
         gettext_noop("A DS18B20 identification frame carries no measurement")),
        (r"payload (?P<n>\d+) bytes: S210x sends 7-byte frames \+ CRC",
         gettext_noop("The payload has %(n)s bytes; S210x sensors send 7-byte frames and a CRC")),
        (r"CRC mismatch: frame says (?P<sent>0x[0-9A-F]+), bytes give (?P<computed>0x[0-9A-F]+)",
         gettext_noop("CRC mismatch: the frame says %(sent)s, the bytes give %(computed)s")),
        (r"payload (?P<n>\d+) bytes, (?P<model>\S+) header needs 5",
         gettext_noop("The payload has %(n)s bytes; the %(model)s header needs 5")),
        (r"protocol version (?P<version>\d+) doesn't match v2",
         gettext_noop("Protocol version %(version)s is not version 2")),
        (r"(?P<model>[\w-]+): flags (?P<flags>0x[0-9A-F]+) announce blocks the device lacks",
         gettext_noop("%(model)s: flags %(flags)s announce data blocks the device does not have")),
        # network-server events (``sensors.bridge.events``)
        (r"not an RFC 3339 time: (?P<text>.*)", gettext_noop("Not an RFC 3339 time: %(text)s")),
        (r"payload is not valid base64", gettext_noop("The payload is not valid base64")),
        (r"DevEUI (?P<value>.+) is not 16 hex digits",
         gettext_noop("DevEUI %(value)s is not 16 hexadecimal digits")),
        (r"(?P<name>\w+) (?P<value>.+) is not a whole number",
         gettext_noop("%(name)s %(value)s is not a whole number")),
        (r"(?P<name>\w+) (?P<value>\S+) is outside 0\.\.(?P<max>\d+)",
         gettext_noop("%(name)s %(value)s is outside 0 to %(max)s")),
        (r"session_key_id is not a string", gettext_noop("session_key_id is not text")),
        (r"(?P<key>\w+) is not a list of objects",
         gettext_noop("%(key)s is not a list of objects")),
        (r"topic (?P<topic>.+) is neither ChirpStack v4 nor TTS v3",
         gettext_noop("Topic %(topic)s is neither ChirpStack v4 nor The Things Stack v3")),
        (r"message is not JSON", gettext_noop("The message is not JSON")),
        (r"message is not a JSON object", gettext_noop("The message is not a JSON object")),
        (r"(?P<server>\w+) (?P<event>\w+) event lacks or mistypes (?P<field>.+)",
         gettext_noop("A %(server)s %(event)s event lacks %(field)s or has it of the wrong type")),
        # the bridge's own limits and failures
        (r"message of (?P<n>\d+) bytes; the limit is (?P<limit>\d+)",
         gettext_noop("The message has %(n)s bytes; the limit is %(limit)s")),
        (r"(?P<error>[A-Z]\w*(?:Error|Exception)): .*",
         gettext_noop("Processing this message failed (%(error)s)")),
    ]
]  # fmt: skip


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class DetailText:
    text: SafeString  # the diagnosis in the reader's language; "" when it is not known
    raw: str  # the stored diagnosis, for integrators


def _param(name: str, value: str) -> str:
    if name == "metric":
        return escape(metric_label(value, get_language() or "zh-hans"))
    if NUMBER.fullmatch(value):
        return escape(value)
    return f'<code translate="no">{escape(value)}</code>'


def detail_text(detail: str) -> DetailText:
    """The stored ``detail`` of a dead letter, translated when its pattern is known."""
    detail = detail.strip()
    for pattern, template in PATTERNS:
        m = pattern.fullmatch(detail)
        if m:
            params = {k: _param(k, v) for k, v in m.groupdict().items()}
            return DetailText(mark_safe(escape(_(template)) % params), detail)  # noqa: S308 - every part is escaped
    return DetailText(mark_safe(""), detail)
