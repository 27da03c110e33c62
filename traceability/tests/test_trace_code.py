"""Trace codes for lots without a GTIN: random, checkable, forgiving of typing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability import trace_code
from traceability.trace_code import ALPHABET, LENGTH

DATA = st.text(alphabet=ALPHABET, min_size=LENGTH - 1, max_size=LENGTH - 1)


def test_new_code_has_fourteen_alphabet_symbols_and_is_valid():
    code = trace_code.new_trace_code()
    assert len(code) == LENGTH and set(code) <= set(ALPHABET)
    assert trace_code.is_valid_trace_code(code)


def test_new_codes_carry_at_least_64_random_bits():
    assert trace_code.RANDOM_BITS >= 64
    codes = {trace_code.new_trace_code() for _ in range(2000)}
    assert len(codes) == 2000


def test_alphabet_has_no_ambiguous_letters():
    assert not set("ILOU") & set(ALPHABET) and len(ALPHABET) == 32


@given(DATA)
def test_every_single_symbol_substitution_is_detected(data):
    code = data + trace_code.check_symbol(data)
    for i in range(LENGTH):
        for ch in ALPHABET:
            if ch != code[i]:
                assert not trace_code.is_valid_trace_code(code[:i] + ch + code[i + 1 :])


@given(DATA)
def test_every_adjacent_transposition_is_detected(data):
    code = data + trace_code.check_symbol(data)
    for i in range(LENGTH - 1):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            assert not trace_code.is_valid_trace_code(swapped)


def test_typed_code_with_lower_case_dashes_and_look_alikes_normalises():
    code = "0123456789AB1" + trace_code.check_symbol("0123456789AB1")
    typed = "o1z3-4567-89ab-i" + code[-1].lower()
    typed = typed.replace("z", "2")
    assert trace_code.normalise(typed) == code
    assert trace_code.is_valid_trace_code(typed)


def test_display_groups_the_code_in_fours():
    code = trace_code.new_trace_code()
    shown = trace_code.display(code)
    assert shown.replace("-", "") == code and shown.count("-") == 3


@pytest.mark.parametrize("bad", ["", "ABC", "0" * 13, "0" * 15, "ÄBCDEFGHJKMNPQ", "ABCD#EFGHJKMNP"])
def test_malformed_codes_are_invalid(bad):
    assert not trace_code.is_valid_trace_code(bad)


def test_normalise_names_the_offending_character():
    with pytest.raises(ValueError, match="'U'"):
        trace_code.normalise("ABCU")
