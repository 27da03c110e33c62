"""Water-chemistry formulas against the worked examples of domain.md (§1.4, §1.6, §1.7)."""

from __future__ import annotations

import math

import pytest

from sensors.chemistry import (
    do_saturation_mg_l,
    do_saturation_percent,
    unionized_ammonia_fraction,
    unionized_ammonia_mg_l,
)

VECTORS = "domain_vectors_dev.json"
MMHG_PER_ATM = 760.0
KPA_PER_ATM = 101.325


@pytest.fixture(scope="module")
def vectors(load_shared_json):
    return load_shared_json(VECTORS)


def _pressure_kpa(v: dict) -> float:
    if "pressure_kpa" in v:
        return v["pressure_kpa"]
    if "pressure_mmhg" in v:
        return v["pressure_mmhg"] / MMHG_PER_ATM * KPA_PER_ATM
    return v.get("pressure_atm", 1.0) * KPA_PER_ATM


def test_unionized_ammonia_fraction_matches_every_worked_example(vectors):
    checked = 0
    for v in vectors["un_ionized_ammonia"]["vectors"]:
        got = unionized_ammonia_fraction(v["ph"], v["temp_c"])
        assert got == pytest.approx(v["fraction"], abs=v["tolerance"]), v
        if "pka" in v:
            pka = 0.09018 + 2729.92 / (v["temp_c"] + 273.15)
            assert pka == pytest.approx(v["pka"], abs=5e-5)
        checked += 1
    assert checked >= 5


def test_computed_emerson_percentages_of_the_trussell_table_are_reproduced(vectors):
    """The Trussell/Bower values themselves differ by design; Emerson's figure is asserted."""
    for v in vectors["un_ionized_ammonia"]["do_not_assert_with_emerson"]:
        if "emerson_gives_percent" in v:
            got = 100 * unionized_ammonia_fraction(v["ph"], v["temp_c"])
            assert got == pytest.approx(v["emerson_gives_percent"], abs=0.005)
        elif "emerson_gives" in v:
            got = unionized_ammonia_fraction(v["ph"], v["temp_c"])
            assert got == pytest.approx(v["emerson_gives"], abs=5e-5)


def test_misprinted_constant_would_be_caught():
    # 2727.92 (CRAN typo) gives 5.45 % at 25 °C, pH 8.0; Emerson's 2729.92 gives 5.37 %.
    assert 100 * unionized_ammonia_fraction(8.0, 25) == pytest.approx(5.37, abs=0.005)


def test_unionized_ammonia_mg_l_scales_total_ammonia():
    # FA16 worked example: TAN 1.0 mg/L at 24 °C, pH 8.0 -> 0.0502 mg/L
    assert unionized_ammonia_mg_l(1.0, 8.0, 24) == pytest.approx(0.0502, abs=5e-5)
    assert unionized_ammonia_mg_l(2.5, 8.0, 24) == pytest.approx(2.5 * 0.05017, abs=1e-4)


def test_do_saturation_matches_every_worked_example(vectors):
    checked = 0
    for v in vectors["do_saturation"]["vectors"]:
        if "mg_l" not in v:
            continue
        got = do_saturation_mg_l(v["temp_c"], v.get("salinity", 0.0), _pressure_kpa(v))
        tolerance = v.get("tolerance", 0.0005 if v["kind"] == "computed" else 0.005)
        assert got == pytest.approx(v["mg_l"], abs=tolerance), v
        checked += 1
    assert checked >= 5


def test_do_saturation_check_values_of_domain_md():
    for temp, expected in ((20, 9.092), (25, 8.263), (30, 7.559), (5, 12.771)):
        assert do_saturation_mg_l(temp) == pytest.approx(expected, abs=5e-4)


def test_en25814_salinity_factor_agrees_with_benson_krause_within_its_rounding(vectors):
    table = next(v for v in vectors["do_saturation"]["vectors"] if "K_per_g_per_kg" in v)
    k25 = table["K_per_g_per_kg"]["25"]
    # EN 25814 at 25 °C, S = 35: 8.26 - K*35 = 6.79; Benson & Krause 6.77.
    assert do_saturation_mg_l(25, 35) == pytest.approx(8.26 - k25 * 35, abs=0.03)


def test_do_saturation_percent_is_relative_to_solubility():
    assert do_saturation_percent(9.092426, 20) == pytest.approx(100.0, abs=1e-4)
    assert do_saturation_percent(4.0, 30, 0.0, 101.325) == pytest.approx(100 * 4 / 7.5588, 1e-4)


def test_lower_pressure_lowers_solubility():
    assert do_saturation_mg_l(20, 0, 90.0) < do_saturation_mg_l(20, 0, 101.325)


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (lambda: unionized_ammonia_fraction(8.0, 51), "temperature"),
        (lambda: unionized_ammonia_fraction(15.0, 20), "pH"),
        (lambda: unionized_ammonia_fraction(math.nan, 20), "number"),
        (lambda: unionized_ammonia_mg_l(-1.0, 8.0, 20), "ammonia"),
        (lambda: do_saturation_mg_l(41), "temperature"),
        (lambda: do_saturation_mg_l(20, 45), "salinity"),
        (lambda: do_saturation_mg_l(20, 0, 40.0), "pressure"),
        (lambda: do_saturation_percent(-0.5, 20), "dissolved oxygen"),
    ],
)
def test_out_of_range_input_raises_value_error_with_a_reason(call, reason):
    with pytest.raises(ValueError, match=reason):
        call()
