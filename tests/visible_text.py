"""What a person reads on a page, and which of it is still English.

The text is what the browser shows: text nodes outside ``script``/``style``, plus the
attributes people read (placeholders, tooltips, alt text, button values). Elements marked
``translate="no"`` (identifiers, raw technical detail) or ``lang="en"`` on an element
inside the page (deliberately English, such as the language switch or a bilingual label) are
left out; a whole page declared English is not.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
HIDDEN = {"script", "style", "noscript"}
READ_ATTRS = ("placeholder", "title", "aria-label", "alt")

# Words that stay as they are in a Chinese page: units, standard codes, product and protocol
# names, cited authors, demo people's user names.
ALLOWED = {
    w.lower()
    for w in """
    ppt mg kg cm mm dBm dB µS ha kW mV NTU km
    ChirpStack LoRaWAN LoRa MQTT Things Stack GS1 EPCIS GTIN SSCC GLN Cayenne LPP Milesight
    Dragino SenseCAP Tektelic Decentlab Agrimon YOLO Ultralytics WeCom Webhook Web Push
    RTSP MJPEG HTTP HTTPS JSON
    JSONLD CSV PDF QR SMS API DevEUI EUI URI URL WebSocket ECharts uPlot Android iOS
    Boyd Hanson Romaire Johnston Lin Chen Emerson Rawls METOS Cookie
    admin farmer_wang farmer_li farmer_zhang manager_honghu manager_jianli manager_gongan
    bureau_honghu bureau_jingzhou
    """.split()
}

WORD = re.compile(r"[A-Za-z]+(?:_[A-Za-z]+)*")
TOKEN = re.compile(r"\S+")


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.texts: list[str] = []

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        skip = (
            self.skipping
            or tag in HIDDEN
            or a.get("translate") == "no"
            or (tag != "html" and a.get("lang", "").lower().startswith("en"))
        )
        if not skip:
            for name in READ_ATTRS:
                if a.get(name):
                    self.texts.append(a[name])
            if tag == "input" and a.get("type") in {"submit", "button", "reset"} and a.get("value"):
                self.texts.append(a["value"])
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return parser.texts


def english_words(text: str) -> list[str]:
    """Words of 3+ letters that are neither codes, acronyms nor on the allow-list."""
    found = []
    for token in TOKEN.findall(text):
        if any(c.isdigit() for c in token) or "://" in token or "@" in token:
            continue  # codes, EUIs, lot numbers, addresses
        for word in WORD.findall(token):
            if len(word) < 3 or word.isupper() or word.lower() in ALLOWED:
                continue
            found.append(word)
    return found


def untranslated(html: str) -> list[str]:
    """The visible texts of ``html`` that still read as English."""
    return [t for t in visible_texts(html) if english_words(t)]
