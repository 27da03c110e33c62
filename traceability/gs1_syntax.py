"""GS1 Application Identifier table and value checks for Digital Link parsing.

The entries transcribe the GS1 Barcode Syntax Dictionary (gs1/gs1-syntax-engine,
``src/c-lib/gs1-syntax-dictionary.txt``, Apache-2.0, GS1 AISBL): per AI its
flags (``*`` predefined length, ``?`` permitted as a Digital Link data
attribute), its component specification, the ``req``/``ex`` pairing rules and
the ``dlpkey`` key-qualifier sequences.

Linters implemented: ``csum`` (GS1 mod 10), the date/time linters, ``yesno``,
``zero``, ``nonzero``, ``hyphen`` and ``pcenc``. Code-list linters (ISO 3166,
ISO 4217, IBAN, coupon codes, ``csumalpha``…) are not, so such values are only
checked for length and character set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

# One line per AI or AI range: "AI flags spec | attributes". Flags "-" = none.
_TABLE = """
00 *? N18,csum | dlpkey
01 *? N14,csum | ex=255,37 dlpkey=22,10,21|235
02 *? N14,csum | ex=01,03 req=37
03 * N14,csum | ex=01,02,37
10 ? X..20 | req=01,02,03,8006,8026
11 *? N6,yymmd0 | req=01,02,03,8006,8026
12 *? N6,yymmd0 | req=8020
13 *? N6,yymmd0 | req=01,02,03,8006,8026
15 *? N6,yymmd0 | req=01,02,03,8006,8026
16 *? N6,yymmd0 | req=01,02,03,8006,8026
17 *? N6,yymmd0 | req=01,02,03,255,8006,8026
20 *? N2 | req=01,02,8006,8026
21 - X..20 | req=01,03,8006 ex=235
22 - X..20 | req=01
235 - X..28 | req=01
240 ? X..30 | req=01,02,8006,8026
241 ? X..30 | req=01,02,8006,8026
242 ? N..6 | req=01,02,8006,8026
243 ? X..20 | req=01
250 ? X..30 | req=01,8006 req=21
251 ? X..30 | req=01,8006
253 ? N13,csum [X..17] | dlpkey
254 - X..20 | req=414
255 ? N13,csum [N..12] | dlpkey ex=01,02,415,8006,8020,8026
30 ? N..8 | req=01,02
37 ? N..8 | req=00 req=02,8026
3900-3909 ? N..15 | req=255,8020 ex=390n,391n,394n,8111
3910-3919 ? N3 N..15 | req=8020 ex=391n
3920-3929 ? N..15 | req=01 req=30,31nn,32nn,35nn,36nn ex=392n,393n
3930-3939 ? N3 N..15 | req=30,31nn,32nn,35nn,36nn ex=393n
3940-3943 ? N4 | req=255 ex=394n,8111
3950-3955 ? N6 | req=30,31nn,32nn,35nn,36nn ex=392n,393n,395n,8005
400 ? X..30 |
401 ? X..30 | dlpkey
402 ? N17,csum | dlpkey
403 ? X..30 | req=00
410 *? N13,csum |
411 *? N13,csum |
412 *? N13,csum |
413 *? N13,csum |
414 *? N13,csum | dlpkey=254|7040
415 *? N13,csum | req=8020 dlpkey=8020
416 *? N13,csum |
417 *? N13,csum | dlpkey=7040
420 ? X..20 | ex=421
421 ? N3 X..9 | ex=4307
422 ? N3 | req=01,02,8006,8026 ex=426
423 ? N3 [N3] [N3] [N3] [N3] | req=01,02 ex=426
424 ? N3 | req=01,02 ex=426
425 ? N3 [N3] [N3] [N3] [N3] | req=01,02 ex=426
426 ? N3 | req=01,02
427 ? X..3 | req=01,02 req=422
4300 ? X..35,pcenc | req=00
4301 ? X..35,pcenc | req=00
4302 ? X..70,pcenc | req=00
4303 ? X..70,pcenc | req=4302
4304 ? X..70,pcenc | req=00
4305 ? X..70,pcenc | req=00
4306 ? X..70,pcenc | req=00
4307 ? X2 | req=00
4308 ? X..30 | req=00
4309 ? N10 N10 | req=00
4310 ? X..35,pcenc | req=00
4311 ? X..35,pcenc | req=00
4312 ? X..70,pcenc | req=00
4313 ? X..70,pcenc | req=4312
4314 ? X..70,pcenc | req=00
4315 ? X..70,pcenc | req=00
4316 ? X..70,pcenc | req=00
4317 ? X2 | req=00
4318 ? X..20 | req=00
4319 ? X..30 | req=00
4320 ? X..35,pcenc | req=00
4321 ? N1,yesno | req=00
4322 ? N1,yesno | req=00
4323 ? N1,yesno | req=00
4324 ? N6,yymmd0 N4,hhmi | req=00
4325 ? N6,yymmd0 N4,hhmi | req=00
4326 ? N6,yymmdd | req=00
4330 ? N6 [X1],hyphen | req=00 ex=4331
4331 ? N6 [X1],hyphen | req=00 ex=4330
4332 ? N6 [X1],hyphen | req=00 ex=4333
4333 ? N6 [X1],hyphen | req=00 ex=4332
7001 ? N13 | req=01,02,8006,8026
7002 ? X..30 | req=01,02
7003 ? N6,yymmdd N4,hhmi | req=01,02
7004 ? N..4 | req=01 req=10
7005 ? X..12 | req=01,02
7006 ? N6,yymmdd | req=01,02
7007 ? N6,yymmdd [N6],yymmdd | req=01,02
7008 ? X..3 | req=01,02
7009 ? X..10 | req=01,02
7010 ? X..2 | req=01,02
7011 ? N6,yymmdd [N4],hhmi | req=01,02
7020 ? X..20 | req=01,8006 req=416
7021 ? X..20 | req=01,8006
7022 ? X..20 | req=7021
7023 ? X..30 |
7030-7039 ? N3 X..27 | req=01,02
7040 - N1 X1 X1 X1 |
7041 - X..4 | req=00
710-716 ? X..20 | req=01
7230-7239 ? X2 X..28 | req=01,8004
7240 ? X..20 | req=01,8006
7241 ? N2 | req=8017,8018
7242 ? X..25 | req=8017,8018
7250 ? N8,yyyymmdd | req=8018 ex=7251
7251 ? N8,yyyymmdd N4,hhmi | req=8018 ex=7250
7252 ? N1 | req=8018
7253 ? X..40,pcenc | req=8017,8018 ex=7256,7259
7254 ? X..40,pcenc | req=8017,8018 ex=7256,7259
7255 ? X..10 | req=8017,8018 ex=7256,7259
7256 ? X..90,pcenc | req=8017,8018
7257 ? X..70,pcenc | req=8018
7258 ? X3 | req=8018+7259
7259 ? X..40,pcenc | req=8018 ex=7256
8001 ? N4,nonzero N5,nonzero N3,nonzero N1 N1 | req=01
8002 ? X..20 |
8003 ? N1,zero N13,csum [X..16] | dlpkey
8004 ? X..30 | dlpkey=7040
8005 ? N6 | req=01,02
8006 ? N14,csum N4 | ex=01,37 dlpkey=22,10,21
8007 ? X..34 | req=415
8008 ? N6,yymmdd N2,hh [N2],mi [N2],ss | req=01,02
8009 ? X..50 | req=00,01
8010 ? Y..30 | dlpkey=8011
8011 - N..12 | req=8010
8012 ? X..20 | req=01,8006
8013 ? X..25 | dlpkey
8014 - X..25 | req=01
8017 ? N18,csum | ex=8018 dlpkey=8019
8018 ? N18,csum | ex=8017 dlpkey=8019
8019 - N..10 | req=8017,8018
8020 - X..25 | req=415
8026 ? N14,csum N4 | req=37 ex=02,8006
8030 ? Z..90 | req=00,01+21,253,255,8003,8004,8006+21,8010+8011,8017,8018
8110 ? X..70 |
8111 ? N4 | req=255
8112 ? X..70 |
8200 - X..70 | req=01
90 ? X..30 |
91-99 ? X..90 |
"""

# Measure AIs 31nn-36nn (weights, lengths, areas, volumes): "* ? N6", each decimal-point
# variant excluding its siblings; trade measures need 01/02, logistic ones 00/01, 337n (kg per
# square metre) needs 01.
_MEASURE_TRADE = "310 311 312 313 314 315 316 320 321 322 323 324 325 326 327 328 329"
_MEASURE_TRADE += " 350 351 352 356 357 360 361 364 365 366"
_MEASURE_LOGISTIC = "330 331 332 333 334 335 336 340 341 342 343 344 345 346 347 348 349"
_MEASURE_LOGISTIC += " 353 354 355 362 363 367 368 369"

CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
CSET39 = frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
CSET64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")
_CHARSETS = {"N": frozenset("0123456789"), "X": CSET82, "Y": CSET39, "Z": CSET64}
_CSET_NAMES = {"N": "digit", "X": "CSET 82", "Y": "CSET 39", "Z": "CSET 64"}


@dataclass(frozen=True)
class Component:
    kind: str  # N, X, Y or Z
    min_len: int
    max_len: int
    optional: bool
    linters: tuple[str, ...]


@dataclass(frozen=True)
class AIEntry:
    ai: str
    fixed_length: bool  # "*": predefined length, needs no FNC1 separator
    dl_attribute: bool  # "?": may appear in a Digital Link query string
    components: tuple[Component, ...]
    requires: tuple[tuple[str, ...], ...]  # each group: one alternative must be present
    excludes: tuple[str, ...]
    dl_sequences: tuple[tuple[str, ...], ...]  # qualifier sequences when a primary key

    @property
    def max_len(self) -> int:
        return sum(c.max_len for c in self.components)


def _component(text: str) -> Component:
    optional = text.startswith("[")
    if optional:
        close = text.index("]")
        head, rest = text[1:close], text[close + 1 :]
    else:
        head, _, rest = text.partition(",")
        rest = "," + rest if rest else ""
    linters = tuple(x for x in rest.split(",") if x)
    kind, length = head[0], head[1:]
    if length.startswith(".."):
        lo, hi = 1, int(length[2:])
    else:
        lo = hi = int(length)
    return Component(kind, lo, hi, optional, linters)


def _entry(ai: str, flags: str, spec: str, attrs: str) -> AIEntry:
    requires: list[tuple[str, ...]] = []
    excludes: list[str] = []
    sequences: list[tuple[str, ...]] = []
    for attr in attrs.split():
        name, _, value = attr.partition("=")
        if name == "req":
            requires.append(tuple(value.split(",")))
        elif name == "ex":
            excludes.extend(value.split(","))
        elif name == "dlpkey":
            sequences.extend(tuple(q for q in alt.split(",") if q) for alt in value.split("|"))
    return AIEntry(
        ai=ai,
        fixed_length="*" in flags,
        dl_attribute="?" in flags,
        components=tuple(_component(c) for c in spec.split()),
        requires=tuple(requires),
        excludes=tuple(excludes),
        dl_sequences=tuple(sequences),
    )


@cache
def table() -> dict[str, AIEntry]:
    """Every known AI, keyed by its code."""
    entries: dict[str, AIEntry] = {}
    for line in _TABLE.strip().splitlines():
        left, _, attrs = line.partition("|")
        code, flags, spec = left.split(maxsplit=2)
        first, _, last = code.partition("-")
        for n in range(int(first), int(last or first) + 1):
            ai = str(n).zfill(len(first))
            entries[ai] = _entry(ai, flags, spec, attrs)
    for prefixes, req in ((_MEASURE_TRADE, "01,02"), (_MEASURE_LOGISTIC, "00,01"), ("337", "01")):
        for prefix in prefixes.split():
            for d in range(6):
                ai = f"{prefix}{d}"
                entries[ai] = _entry(ai, "*?", "N6", f"req={req} ex={prefix}n")
    return entries


def lookup(ai: str) -> AIEntry | None:
    return table().get(ai)


@cache
def key_sequences() -> frozenset[tuple[str, ...]]:
    """All valid Digital Link path AI sequences: a key plus an ordered subset of qualifiers."""
    found: set[tuple[str, ...]] = set()
    for entry in table().values():
        if not entry.dl_sequences:
            continue
        for qualifiers in entry.dl_sequences:
            for mask in range(1 << len(qualifiers)):
                chosen = tuple(q for i, q in enumerate(qualifiers) if mask >> i & 1)
                found.add((entry.ai, *chosen))
    return frozenset(found)


def is_primary_key(ai: str) -> bool:
    return (ai,) in key_sequences()


def gs1_check_digit(digits: str) -> str:
    """GS1 mod-10 check digit for ``digits`` (weights 3,1,3,… from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _check_date(value: str, year_digits: int, day_zero_ok: bool) -> str | None:
    year = int(value[:year_digits])
    if year_digits == 2:
        year += 2000  # only leap years matter here; 2000 is one, 1900/2100 are not used
    month, day = int(value[year_digits : year_digits + 2]), int(value[year_digits + 2 :])
    if not 1 <= month <= 12:
        return "The date contains an illegal month of the year."
    if day == 0 and day_zero_ok:
        return None
    if not 1 <= day <= _days_in_month(year, month):
        return "The date contains an illegal day of the month."
    return None


_PCENC = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _lint(name: str, part: str) -> str | None:
    """The linter's complaint about ``part``, or None if it passes or is not implemented."""
    if name == "csum":
        if part[-1] != gs1_check_digit(part[:-1]):
            return "The numeric check digit is incorrect."
    elif name in ("yymmdd", "yymmd0"):
        return _check_date(part, 2, name == "yymmd0")
    elif name == "yyyymmdd":
        return _check_date(part, 4, False)
    elif name == "hhmi" and not (int(part[:2]) < 24 and int(part[2:]) < 60):
        return "The time contains an illegal hour or minute."
    elif name == "hh" and int(part) > 23:
        return "The time contains an illegal hour."
    elif name in ("mi", "ss") and int(part) > 59:
        return "The time contains illegal minutes or seconds."
    elif name == "yesno" and part not in ("0", "1"):
        return "A value of 0 or 1 is required."
    elif name == "zero" and part != "0":
        return "A zero digit is required."
    elif name == "nonzero" and int(part) == 0:
        return "A non-zero value is required."
    elif name == "hyphen" and part != "-":
        return "A hyphen is required."
    elif name == "pcenc" and _PCENC.search(part):
        return "Invalid percent-encoded sequence."
    return None


def check_value(entry: AIEntry, value: str) -> None:
    """Raise ``ValueError`` unless ``value`` fits the AI's length, character sets and linters."""
    ai = entry.ai
    if len(value) < sum(c.min_len for c in entry.components if not c.optional):
        raise ValueError(f"AI ({ai}) value is too short")
    if len(value) > entry.max_len:
        raise ValueError(f"AI ({ai}) value is too long")
    pos = 0
    for comp in entry.components:
        remaining = len(value) - pos
        if remaining == 0 and comp.optional:
            break
        take = min(remaining, comp.max_len)
        if take < comp.min_len:
            raise ValueError(f"AI ({ai}) value is too short")
        part = value[pos : pos + take]
        pos += take
        bad = next((ch for ch in part if ch not in _CHARSETS[comp.kind]), None)
        if bad is not None:
            raise ValueError(
                f"AI ({ai}): A non-{_CSET_NAMES[comp.kind]} character was found where a "
                f"{_CSET_NAMES[comp.kind]} character is expected."
            )
        for linter in comp.linters:
            complaint = _lint(linter, part)
            if complaint:
                raise ValueError(f"AI ({ai}): {complaint}")
    if pos != len(value):
        raise ValueError(f"AI ({ai}) value is too long")


def _matches(pattern: str, ai: str) -> bool:
    return len(pattern) == len(ai) and all(p in ("n", a) for p, a in zip(pattern, ai, strict=True))


def check_pairings(ais: list[str]) -> None:
    """Raise ``ValueError`` if the AIs break a ``req`` or ``ex`` rule of the dictionary."""
    present = set(ais)
    for ai in ais:
        entry = table()[ai]
        for other in entry.excludes:
            clash = next((a for a in present if a != ai and _matches(other, a)), None)
            if clash:
                raise ValueError(f"It is invalid to pair AI ({ai}) with AI ({clash})")
        for group in entry.requires:
            satisfied = any(
                all(any(_matches(p, a) for a in present) for p in alt.split("+")) for alt in group
            )
            if not satisfied:
                raise ValueError(f"AI ({ai}) requires one of AI ({', '.join(group)})")
