"""GS1 Digital Link URIs: parse a scanned URI into AI values, build one for a lot.

Follows GS1's reference Barcode Syntax Engine (gs1/gs1-syntax-engine ``dl.c``)
and its Syntax Dictionary, because the ratified URI-syntax text tracks them:

* scheme ``http``/``https`` in one case; any custom path stem before the key;
* the primary key is found by walking ``/AI/value`` pairs back from the end of
  the path, stopping at the rightmost primary key;
* path AIs must form a valid key–qualifier sequence (e.g. ``01`` then
  ``22``, ``10``, ``21`` in that order, or ``235``);
* query parameters with numeric names must be known AIs permitted as data
  attributes, not duplicated, and not qualifiers that belong in the path;
  other parameters (``linkType=…``) and the fragment are ignored;
* every value is checked for length, character set (CSET 82 for lots) and
  check digit; ``req``/``ex`` pairing rules apply to the whole set.

Strict by default: zero-suppressed GTIN-8/12/13 and convenience alphas
(``/gtin/…``), deprecated by the standard, need explicit options.
"""

from __future__ import annotations

from traceability import gs1_syntax

_URI_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)
_BAD_DOMAIN_CHARACTERS = frozenset("_~?#@!$&'()*+,;=%")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = frozenset("0123456789abcdefABCDEF")

# Deprecated short names (DL 1.2 "convenience alphas"), per gs1-syntax-engine dl.c.
CONVENIENCE_ALPHAS = {
    "cpid": "8010", "cpsn": "8011", "cpv": "22", "gcn": "255", "gdti": "253", "giai": "8004",
    "ginc": "401", "gln": "414", "glnx": "254", "gmn": "8013", "grai": "8003", "gsin": "402",
    "gsrn": "8018", "gsrnp": "8017", "gtin": "01", "itip": "8006", "lot": "10", "party": "417",
    "refno": "8020", "ser": "21", "srin": "8019", "sscc": "00",
}  # fmt: skip

DEFAULT_DOMAIN = "id.gs1.org"


def gtin_check_digit(digits: str) -> str:
    """Check digit for a GTIN body (the digits before the check digit), GS1 mod 10."""
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("a GTIN has digits only")
    return gs1_syntax.gs1_check_digit(digits)


def is_valid_gtin(gtin: str) -> bool:
    """True for a GTIN-8, -12, -13 or -14 whose check digit is right."""
    if len(gtin) not in (8, 12, 13, 14) or not gtin.isascii() or not gtin.isdigit():
        return False
    return gtin[-1] == gs1_syntax.gs1_check_digit(gtin[:-1])


def _unescape(text: str, *, query: bool) -> str:
    """Reverse percent-encoding the way the reference engine does: bytes, ``+`` only in queries."""
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%" and i + 2 < len(text) and text[i + 1] in _HEX and text[i + 2] in _HEX:
            byte = int(text[i + 1 : i + 3], 16)
            if byte == 0:
                raise ValueError("decoded value contains an illegal null character")
            out.append(byte)
            i += 3
            continue
        out.append(0x20 if (query and ch == "+") else ord(ch))
        i += 1
    # Non-ASCII bytes are never valid AI data; latin-1 keeps them visible to the charset check.
    return out.decode("latin-1")


def _escape(value: str) -> str:
    return "".join(
        ch if ch in _UNRESERVED else "".join(f"%{b:02X}" for b in ch.encode()) for ch in value
    )


def _path_ai(element: str, permit_alphas: bool) -> str | None:
    if permit_alphas and 3 <= len(element) <= 5 and not element[0].isdigit():
        alias = CONVENIENCE_ALPHAS.get(element)
        if alias:
            return alias
    return element if gs1_syntax.lookup(element) else None


def _split_authority(uri: str) -> str:
    """Return the path-and-rest after checking characters, scheme and domain."""
    if not uri:
        raise ValueError("empty URI")
    if any(ch not in _URI_CHARACTERS for ch in uri):
        raise ValueError("URI contains illegal characters")
    for scheme in ("https://", "HTTPS://", "http://", "HTTP://"):
        if uri.startswith(scheme):
            rest = uri[len(scheme) :]
            break
    else:
        raise ValueError("scheme must be http or https, in a single case")
    slash = rest.find("/")
    if slash < 1:
        raise ValueError("URI must contain a domain and path info")
    if any(ch in _BAD_DOMAIN_CHARACTERS for ch in rest[:slash]):
        raise ValueError("domain contains illegal characters")
    return rest[slash:]


def _check_gtin_length(ai: str, value: str, permit_zero_suppressed: bool) -> str:
    if ai == "01" and permit_zero_suppressed and len(value) in (8, 12, 13):
        return value.zfill(14)
    return value


def parse(
    uri: str,
    *,
    permit_zero_suppressed_gtin: bool = False,
    permit_convenience_alphas: bool = False,
) -> dict[str, str]:
    """AI code → value for a GS1 Digital Link URI, path AIs first, then query attributes.

    Raises ``ValueError`` with the reason when the URI is not a valid Digital Link.
    """
    path = _split_authority(uri)
    path = path.split("#", 1)[0]
    path, _, query = path.partition("?")

    elements = path.split("/")  # elements[0] is "" (the path starts with "/")
    start = None
    i = len(elements) - 2
    while i >= 1:
        ai = _path_ai(elements[i], permit_convenience_alphas)
        if ai is None:
            break
        if gs1_syntax.is_primary_key(ai):
            start = i
            break
        i -= 2
    if start is None:
        raise ValueError("no GS1 Digital Link primary key found in the path")

    ais: dict[str, str] = {}
    sequence: list[str] = []
    for j in range(start, len(elements), 2):
        ai = _path_ai(elements[j], permit_convenience_alphas)
        assert ai is not None  # the walk above only passed over known AIs
        raw = elements[j + 1]
        if raw == "":
            raise ValueError(f"AI ({ai}) value path element is empty")
        value = _check_gtin_length(ai, _unescape(raw, query=False), permit_zero_suppressed_gtin)
        gs1_syntax.check_value(gs1_syntax.table()[ai], value)
        if ai in ais:
            raise ValueError(f"AI ({ai}) is duplicated")
        ais[ai] = value
        sequence.append(ai)

    attributes: list[str] = []
    for param in query.split("&"):
        name, eq, raw = param.partition("=")
        if not eq or not (name.isascii() and name.isdigit()):
            continue  # singletons and non-AI parameters such as linkType are ignored
        entry = gs1_syntax.lookup(name)
        if entry is None:
            raise ValueError(f"unknown AI ({name}) in query parameters")
        if raw == "":
            raise ValueError(f"AI ({name}) value in query parameters is empty")
        value = _check_gtin_length(name, _unescape(raw, query=True), permit_zero_suppressed_gtin)
        gs1_syntax.check_value(entry, value)
        attributes.append(name)
        if name in ais:
            raise ValueError(f"AI ({name}) is duplicated")
        ais[name] = value

    if tuple(sequence) not in gs1_syntax.key_sequences():
        raise ValueError(
            f"the AIs in the path ({'/'.join(sequence)}) are not a valid key-qualifier sequence"
        )
    for name in attributes:
        if not gs1_syntax.table()[name].dl_attribute:
            raise ValueError(f"AI ({name}) is not a valid Digital Link data attribute")
        for pos in range(1, len(sequence) + 1):
            trial = (*sequence[:pos], name, *sequence[pos:])
            if trial in gs1_syntax.key_sequences():
                raise ValueError(f"AI ({name}) from query params should be in the path info")
    gs1_syntax.check_pairings(list(ais))
    return ais


def _stem(domain: str) -> str:
    stem = domain if "://" in domain else f"https://{domain}"
    stem = stem.rstrip("/")
    _split_authority(stem + "/")  # validates scheme and domain characters
    return stem


def build(ais: dict[str, str], domain: str = DEFAULT_DOMAIN) -> str:
    """The Digital Link URI for ``ais`` on ``domain`` (a host, or a stem with scheme and path).

    The first AI that is a primary key becomes the key; qualifiers go in the path in
    the standard order (the sequence using most of the given AIs wins); everything else
    becomes a query attribute, predefined-length AIs first, otherwise in the given
    order. Values are percent-encoded except for unreserved characters. The result is
    parsed back, so a ``ValueError`` is raised for anything ``parse`` would reject.
    """
    key = next((ai for ai in ais if gs1_syntax.is_primary_key(ai)), None)
    if key is None:
        raise ValueError("a Digital Link needs a primary key AI such as (01)")
    candidates = [s for s in gs1_syntax.key_sequences() if s[0] == key]
    best = max(candidates, key=lambda s: (sum(ai in ais for ai in s[1:]), -len(s)))
    path_ais = [ai for ai in best if ai in ais]  # the sequence tuple is in standard order
    parts = [_stem(domain)]
    for ai in path_ais:
        parts.append(f"/{ai}/{_escape(ais[ai])}")
    rest = [ai for ai in ais if ai not in path_ais]
    for ai in rest:
        if gs1_syntax.lookup(ai) is None:
            raise ValueError(f"unknown AI ({ai})")
    fixed = [ai for ai in rest if gs1_syntax.table()[ai].fixed_length]
    variable = [ai for ai in rest if not gs1_syntax.table()[ai].fixed_length]
    query = "&".join(f"{ai}={_escape(ais[ai])}" for ai in fixed + variable)
    uri = "".join(parts) + (f"?{query}" if query else "")
    parse(uri)
    return uri
