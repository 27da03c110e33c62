"""Short trace codes for lots without a GTIN: unguessable, typo-checked, easy to read out.

A code is 65 random bits from ``secrets`` written as 13 Crockford base32
symbols (no I, L, O, U), plus one check symbol: 14 characters, shown in
groups of four. With a million codes issued, a random guess hits one with
probability about 3e-14, so codes cannot be enumerated.

Crockford's own check symbol needs five extra symbols (``*~$=U``) that are
awkward to type and to put in a URL, so the check symbol here stays in the
32-symbol alphabet: it is a Damm-style check over GF(32) with the quasigroup
``x ∘ d = 2·x ⊕ d`` (multiplication modulo x⁵+x²+1). Because 2 ≠ 1 and the
operation is a quasigroup, it detects every single-symbol substitution and
every swap of two adjacent symbols.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford decoding of look-alikes typed by people.
_ALIASES = {"O": "0", "I": "1", "L": "1"}
_SEPARATORS = frozenset(" -_.\t")

DATA_SYMBOLS = 13
RANDOM_BITS = DATA_SYMBOLS * 5  # 65 ≥ 64
LENGTH = DATA_SYMBOLS + 1


def _times_two(x: int) -> int:
    x <<= 1
    return x ^ 0b100101 if x & 0b100000 else x  # reduce by x^5 + x^2 + 1


def _interim(symbols: str) -> int:
    acc = 0
    for ch in symbols:
        acc = _times_two(acc) ^ _VALUE[ch]
    return acc


def check_symbol(data: str) -> str:
    """The symbol that brings the running check of ``data`` back to zero."""
    return ALPHABET[_times_two(_interim(data))]


def new_trace_code() -> str:
    """A fresh canonical code (14 upper-case symbols, no separators)."""
    n = secrets.randbits(RANDOM_BITS)
    data = "".join(ALPHABET[(n >> (5 * i)) & 31] for i in reversed(range(DATA_SYMBOLS)))
    return data + check_symbol(data)


def normalise(text: str) -> str:
    """Canonical form of a typed code: upper case, separators dropped, O→0, I/L→1.

    Raises ``ValueError`` naming the first character that cannot be part of a code.
    The result is not checked; use ``is_valid_trace_code`` for that.
    """
    out = []
    for ch in text.strip().upper():
        if ch in _SEPARATORS:
            continue
        ch = _ALIASES.get(ch, ch)
        if ch not in _VALUE:
            raise ValueError(f"{ch!r} cannot appear in a trace code")
        out.append(ch)
    return "".join(out)


def is_valid_trace_code(text: str) -> bool:
    """True if ``text``, once normalised, has the right length and check symbol."""
    try:
        code = normalise(text)
    except ValueError:
        return False
    return len(code) == LENGTH and _interim(code) == 0


def display(code: str) -> str:
    """Groups of four for printing and reading aloud: ``ABCD-EFGH-JKMN-PQ``."""
    code = normalise(code)
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
