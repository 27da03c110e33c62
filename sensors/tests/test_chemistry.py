"""Water-chemistry formulas against the worked examples of domain.md (§1.4, §1.6, §1.7)."""

from __future__ import annotations

import math

import pytest

from sensors.chemistry import (
    do_saturation_mg_l,
    do_saturation_percent,
    project_dawn_oxygen,
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


def test_dawn_projection_matches_the_worked_example(vectors):
    for v in vectors["dawn_do_projection"]["vectors"]:
        p = project_dawn_oxygen(v["do1_mg_l"], v["t1_h"], v["do2_mg_l"], v["t2_h"], v["t_dawn_h"])
        assert p.linear_mg_l == pytest.approx(v["linear_mg_l"], abs=1e-4)
        assert p.loglinear_mg_l == pytest.approx(v["loglinear_mg_l"], abs=1e-4)
        assert p.k_per_h == pytest.approx(v["k_per_h"], abs=1e-6)
        at_3 = project_dawn_oxygen(
            v["do1_mg_l"], v["t1_h"], v["do2_mg_l"], v["t2_h"], v["t_dawn_h"], floor_mg_l=3.0
        )
        assert at_3.linear_hits_floor_at_h == pytest.approx(v["linear_hits_3_mg_l_at_h"], abs=0.01)
        assert at_3.loglinear_hits_floor_at_h == pytest.approx(
            v["loglinear_hits_3_mg_l_at_h"], abs=0.01
        )
        fa27 = project_dawn_oxygen(
            v["do1_mg_l"], v["t1_h"], v["do2_mg_l"], v["t2_h"], v["t_dawn_h"], 4.0, deadline_h=31
        )
        assert fa27.aerate is v["fa27_aerate"]


def test_dawn_projection_linear_is_never_above_loglinear_after_the_second_reading():
    p = project_dawn_oxygen(8.0, 18, 6.5, 21, 30)
    assert p.linear_mg_l <= p.loglinear_mg_l


def test_rising_oxygen_never_asks_for_aeration():
    p = project_dawn_oxygen(6.0, 18, 7.0, 21, 30)
    assert not p.aerate and p.linear_hits_floor_at_h is None


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
        (lambda: project_dawn_oxygen(9, 21, 7, 18, 30), "after the first"),
        (lambda: project_dawn_oxygen(9, 18, 0, 21, 30), "second DO"),
        (lambda: project_dawn_oxygen(9, 18, 7, 21, 20), "dawn"),
    ],
)
def test_out_of_range_input_raises_value_error_with_a_reason(call, reason):
    with pytest.raises(ValueError, match=reason):
        call()
