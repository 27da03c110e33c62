"""Constrained canonical GS1 Digital Link for any URI carrying a GS1 key, as the event hash needs.

CBV 2.0's Event Hash ID writes every identifier (EPC URN, EPC class URN, EPC
pattern URN or Digital Link on any domain, with alphas or a query) as one
canonical Digital Link on ``https://id.gs1.org`` holding only the primary key
and the finest key qualifier. Two partners naming the same object differently
then compute the same hash.

The rules, including their corner cases (which characters are percent-encoded,
that a pattern URN keeps only its class, that a CPV is dropped, that a Digital
Link whose result is not well formed is left alone), follow the reference
implementation's normaliser (RalphTro/epcis-event-hash-generator,
``dl_normaliser.py``, MIT licence, Copyright 2019-2023 Ralph Troeger), so that
our hashes agree with its published vectors.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from traceability.gs1_syntax import gs1_check_digit

DOMAIN = "https://id.gs1.org"

# One character of an EPC URN component (GS1 CSET 82 in EPC URI escaping).
_CH = (
    r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]"
    r"|[!')(*+,.0-9:;=A-Za-z_-])"
)
# One character of a CPI component (GS1 CSET 39).
_CPI = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"
_CP = r"(\d{6,12})"

# Characters Table 7-1 of the Digital Link standard wants escaped that EPC URNs may carry bare.
_ESCAPE = str.maketrans(
    {"!": "%21", "(": "%28", ")": "%29", "*": "%2A", "+": "%2B", ",": "%2C", ":": "%3A"}
)


def _escape(text: str) -> str:
    return text.translate(_ESCAPE)


def _with_check(digits: str) -> str:
    return digits + gs1_check_digit(digits)


def _gtin(cp: str, ref: str) -> str:
    """GTIN-14 from company prefix and item reference (indicator digit first)."""
    return _with_check(ref[:1] + cp + ref[1:])


Rule = tuple[re.Pattern, int, Callable[..., str]]


def _rule(scheme: str, tail: str, digits: int, build: Callable[..., str]) -> Rule:
    return re.compile(rf"^urn:epc:{scheme}:{_CP}\.{tail}$"), digits, build


# scheme, the rest after "<company prefix>.", digits in prefix + reference (negative: at
# most that many characters), path builder.
_RULES: tuple[Rule, ...] = (
    _rule(
        "id:sgtin",
        rf"(\d*)\.({_CH}{{1,20}})",
        13,
        lambda c, r, s: f"/01/{_gtin(c, r)}/21/{_escape(s)}",
    ),
    _rule("id:sscc", r"(\d*)", 17, lambda c, r: f"/00/{_with_check(r[:1] + c + r[1:])}"),
    _rule(
        "id:sgln",
        rf"(\d*)\.({_CH}{{1,20}})",
        12,
        lambda c, r, e: f"/414/{_with_check(c + r)}" + ("" if e == "0" else f"/254/{_escape(e)}"),
    ),
    _rule(
        "id:grai",
        rf"(\d*)\.({_CH}{{1,16}})",
        12,
        lambda c, r, s: f"/8003/{_with_check('0' + c + r)}{_escape(s)}",
    ),
    _rule("id:giai", rf"({_CH}+)", -30, lambda c, r: f"/8004/{c}{_escape(r)}"),
    _rule("id:gsrn", r"(\d*)", 17, lambda c, r: f"/8018/{_with_check(c + r)}"),
    _rule("id:gsrnp", r"(\d*)", 17, lambda c, r: f"/8017/{_with_check(c + r)}"),
    _rule(
        "id:gdti",
        rf"(\d*)\.({_CH}{{0,20}})",
        12,
        lambda c, r, s: f"/253/{_with_check(c + r)}{_escape(s)}",
    ),
    _rule(
        "id:cpi",
        rf"({_CPI}+)\.(\d{{1,12}})",
        -30,
        lambda c, r, s: f"/8010/{_escape(c + r)}/8011/{s}",
    ),
    _rule("id:sgcn", r"(\d*)\.(\d{1,12})", 12, lambda c, r, s: f"/255/{_with_check(c + r)}{s}"),
    _rule("id:ginc", rf"({_CH}+)", -30, lambda c, r: f"/401/{c}{_escape(r)}"),
    _rule("id:gsin", r"(\d*)", 16, lambda c, r: f"/402/{_with_check(c + r)}"),
    _rule(
        "id:itip",
        rf"(\d*)\.(\d{{2}})\.(\d{{2}})\.({_CH}{{1,20}})",
        13,
        lambda c, r, p, t, s: f"/8006/{_gtin(c, r)}{p}{t}/21/{_escape(s)}",
    ),
    _rule(
        "id:upui",
        rf"(\d*)\.({_CH}{{1,28}})",
        13,
        lambda c, r, s: f"/01/{_gtin(c, r)}/235/{_escape(s)}",
    ),
    _rule("id:pgln", r"(\d*)", 12, lambda c, r: f"/417/{_with_check(c + r)}"),
    _rule(
        "class:lgtin",
        rf"(\d*)\.({_CH}{{1,20}})",
        13,
        lambda c, r, lot: f"/01/{_gtin(c, r)}/10/{_escape(lot)}",
    ),
    # Pattern URNs: the wildcard leaves the class, i.e. the key without its serial part.
    _rule("idpat:sgtin", r"(\d*)\.\*", 13, lambda c, r: f"/01/{_gtin(c, r)}"),
    _rule("idpat:grai", r"(\d*)\.\*", 12, lambda c, r: f"/8003/{_with_check('0' + c + r)}"),
    _rule("idpat:gdti", r"(\d*)\.\*", 12, lambda c, r: f"/253/{_with_check(c + r)}"),
    _rule("idpat:sgcn", r"(\d*)\.\*", 12, lambda c, r: f"/255/{_with_check(c + r)}"),
    _rule("idpat:cpi", rf"({_CPI}+)\.\*", -30, lambda c, r: f"/8010/{_escape(c + r)}"),
    _rule(
        "idpat:itip",
        r"(\d*)\.(\d{2})\.(\d{2})\.\*",
        13,
        lambda c, r, p, t: f"/8006/{_gtin(c, r)}{p}{t}",
    ),
    _rule("idpat:upui", r"(\d*)\.\*", 13, lambda c, r: f"/01/{_gtin(c, r)}"),
)


def _units(text: str) -> int:
    """Characters of a URN component, a %XX escape counting as one."""
    return len(text) - 2 * text.count("%")


def _epc_urn(uri: str) -> str | None:
    for pattern, size, build in _RULES:
        m = pattern.match(uri)
        if not m:
            continue
        cp, ref = m.group(1), m.group(2)
        if size < 0:  # an upper bound on prefix + reference
            if len(cp) + _units(ref) > -size:
                return None
        elif len(cp) + len(ref) != size:
            return None
        return DOMAIN + build(*m.groups())
    return None


_DL_SHAPE = re.compile(
    r"^https?:(//((([^/?#]*)@)?([^/?#:]*)(:([^/?#]*))?))?((([^?#]*)(/(01|gtin|8006|itip|8010|cpid|414|gln"
    r"|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai)/)"
    r"(\d{4}[^/]+)(/[^/]+/[^/]+)?/?(\?([^?\n]*))?(#([^\n]*))?)|(/[A-Za-z_-]{10}$))"
)
_CANONICAL_SHAPE = re.compile(
    r"^https://id.gs1.org/(01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)/(\d{4}[^/]+)"
    r"(/[^/]+/[^/]+)?/?(\?([^?\n]*))?(#([^\n]*))?|(/[A-Za-z_-]{10}$)"
)
_ALPHAS = (
    ("/gtin/", "/01/"), ("/itip/", "/8006/"), ("/cpid/", "/8010/"), ("/gln/", "/414/"),
    ("/party/", "/417/"), ("/gsrnp/", "/8017/"), ("/gsrn/", "/8018/"), ("/gcn/", "/255/"),
    ("/sscc/", "/00/"), ("/gdti/", "/253/"), ("/ginc/", "/401/"), ("/gsin/", "/402/"),
    ("/grai/", "/8003/"), ("/giai/", "/8004/"), ("/cpv/", "/22/"), ("/lot/", "/10/"),
    ("/ser/", "/21/"),
)  # fmt: skip
_PRIMARY_KEYS = (
    "00",
    "01",
    "253",
    "255",
    "401",
    "402",
    "414",
    "417",
    "8003",
    "8004",
    "8006",
    "8010",
    "8017",
    "8018",
)
_X = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_X_SLASH = r"[\x2F\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_G = r"https://id.gs1.org"
_VALID = [
    re.compile(p)
    for p in (
        rf"{_G}/00/(\d{{18}})$",
        rf"{_G}/01/(\d{{14}})/21/({_X}{{0,20}})$",
        rf"{_G}/01/(\d{{14}})/10/({_X}{{0,20}})$",
        rf"{_G}/01/(\d{{14}})$",
        rf"{_G}/01/(\d{{14}})/235/({_X}{{0,28}})$",
        rf"{_G}/253/(\d{{13}})({_X}{{0,17}})$",
        rf"{_G}/255/(\d{{13}})(\d{{0,12}})$",
        rf"{_G}/401/({_X}{{0,30}})$",
        rf"{_G}/402/(\d{{17}})$",
        rf"{_G}/414/(\d{{13}})$",
        rf"{_G}/414/(\d{{13}})/254/({_X}{{0,20}})$",
        rf"{_G}/417/(\d{{13}})$",
        rf"{_G}/8003/(\d{{14}})({_X}{{0,16}})$",
        rf"{_G}/8004/({_X}{{0,30}})$",
        rf"{_G}/8006/(\d{{18}})/21/({_X}{{0,20}})$",
        rf"{_G}/8006/(\d{{18}})/10/({_X}{{0,20}})$",
        rf"{_G}/8006/(\d{{18}})$",
        rf"{_G}/8010/([\x23\x2D\x2F\x30-\x39\x41-\x5A]{{0,30}})/8011/(\d{{0,12}})$",
        rf"{_G}/8010/([\x23\x2D\x2F\x30-\x39\x41-\x5A]{{0,30}})$",
        rf"{_G}/8017/(\d{{18}})$",
        rf"{_G}/8018/(\d{{18}})$",
    )
]


def _digital_link(uri: str) -> str | None:
    if not _DL_SHAPE.match(uri):
        return None
    uri = uri.split("?", 1)[0]
    for alpha, ai in _ALPHAS:
        uri = uri.replace(alpha, ai)
    if not _CANONICAL_SHAPE.match(uri):
        # A custom domain or stem: keep the path from the primary key on.
        for key in _PRIMARY_KEYS:
            at = uri.find(f"/{key}/")
            if at != -1:
                uri = DOMAIN + uri[at:]
                break
    # GTIN-8/12/13 padded to GTIN-14.
    if not re.match(rf"^{_G}/01/\d{{14}}", uri):
        for digits, pad in ((13, "0"), (12, "00"), (8, "000000")):
            if re.match(rf"^{_G}/01/\d{{{digits}}}", uri):
                uri = uri.replace("/01/", "/01/" + pad)
                break
    # The CPV (22) is not an identification level: drop it.
    after_cpv = uri[uri.find("/22/") + 4 :]
    cpv_last = rf"{_G}/(8006/\d{{18}}|01/\d{{14}})/22/({_X}{{0,20}})$"
    if re.match(cpv_last, uri):
        uri = uri[: uri.find("/22/")] + after_cpv[after_cpv.find("/") : -1]
    cpv_then_more = rf"{_G}/(8006/\d{{18}}|01/\d{{14}})/22/({_X_SLASH}{{0,20}})$"
    if re.match(cpv_then_more, uri):
        uri = uri[: uri.find("/22/")] + after_cpv[after_cpv.find("/") :]
    # Only the finest level: a serial makes the lot redundant.
    if re.match(rf"{_G}/(8006/\d{{18}}|01/\d{{14}})/10/({_X}{{0,20}})/21/({_X}{{0,20}})$", uri):
        after_lot = uri[uri.find("/10/") + 4 :]
        uri = uri[: uri.find("/10/")] + after_lot[after_lot.find("/") :]
    return uri if any(p.match(uri) for p in _VALID) else None


def normalise(uri: str) -> str | None:
    """The constrained canonical Digital Link of ``uri``, or None when it carries no GS1 key."""
    if "." not in uri:
        return None
    if uri.startswith("urn:epc:"):
        return _epc_urn(uri)
    return _digital_link(uri)
