"""Water-chemistry formulas used to derive ``nh3`` and ``do_sat``.

Sources (see ``domain.md`` §1.4, §1.6, §1.7):

* Un-ionised ammonia: Emerson, Russo, Lund & Thurston (1975), freshwater, 0-50 °C,
  pKa = 0.09018 + 2729.92 / T. (The CRAN AmmoniaConcentration docs misprint 2727.92.)
* Oxygen solubility: Benson & Krause (1984) as adopted by APHA Standard Methods and the
  USGS DOTABLES; valid 0-40 °C, salinity 0-40, 0.5-1.1 atm. Pressure correction with the
  water-vapour pressure of Green & Carritt (1967), as in the R package wq (``oxySol``).

The dawn-oxygen forecast lives in ``alerts.forecast``, which the alert rules use.

Out-of-range inputs raise ``ValueError`` naming the range: the fits are not extrapolated.
"""

from __future__ import annotations

import math

KELVIN = 273.15
KPA_PER_ATM = 101.325


def _check(name: str, value: float, low: float, high: float, unit: str) -> None:
    if not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} {value} {unit} is outside the formula's range {low}-{high}")


def unionized_ammonia_fraction(ph: float, temp_c: float) -> float:
    """Fraction of total ammonia nitrogen present as NH3 (Emerson et al. 1975)."""
    _check("pH", ph, 0.0, 14.0, "")
    _check("temperature", temp_c, 0.0, 50.0, "°C")
    pka = 0.09018 + 2729.92 / (temp_c + KELVIN)
    return 1.0 / (10.0 ** (pka - ph) + 1.0)


def unionized_ammonia_mg_l(tan_mg_l: float, ph: float, temp_c: float) -> float:
    """NH3-N in mg/L from total ammonia nitrogen (mg/L as N), pH and temperature."""
    _check("total ammonia nitrogen", tan_mg_l, 0.0, 1000.0, "mg/L")
    return tan_mg_l * unionized_ammonia_fraction(ph, temp_c)


def do_saturation_mg_l(
    temp_c: float, salinity_ppt: float = 0.0, pressure_kpa: float = KPA_PER_ATM
) -> float:
    """Oxygen solubility in water at equilibrium with moist air (Benson & Krause 1984)."""
    _check("temperature", temp_c, 0.0, 40.0, "°C")
    _check("salinity", salinity_ppt, 0.0, 40.0, "ppt")
    _check("pressure", pressure_kpa, 0.5 * KPA_PER_ATM, 1.1 * KPA_PER_ATM, "kPa")
    t = temp_c + KELVIN
    s = salinity_ppt
    ln_c = (
        -139.34411
        + 1.575701e5 / t
        - 6.642308e7 / t**2
        + 1.243800e10 / t**3
        - 8.621949e11 / t**4
        - s * (1.7674e-2 - 1.0754e1 / t + 2.1407e3 / t**2)
    )
    c_1atm = math.exp(ln_c)
    p = pressure_kpa / KPA_PER_ATM
    if p == 1.0:
        return c_1atm
    # Water-vapour pressure in atm (Green & Carritt 1967) and the oxygen term theta.
    pwv = (1 - 0.000537 * s) * math.exp(
        18.1973 * (1 - 373.16 / t)
        + 3.1813e-7 * (1 - math.exp(26.1205 * (1 - t / 373.16)))
        - 0.018726 * (1 - math.exp(8.03945 * (1 - 373.16 / t)))
        + 5.02802 * math.log(373.16 / t)
    )
    theta = 0.000975 - 1.426e-5 * temp_c + 6.436e-8 * temp_c**2
    return c_1atm * p * (1 - pwv / p) * (1 - theta * p) / ((1 - pwv) * (1 - theta))


def do_saturation_percent(
    do_mg_l: float,
    temp_c: float,
    salinity_ppt: float = 0.0,
    pressure_kpa: float = KPA_PER_ATM,
) -> float:
    """DO as % of the saturation concentration at that temperature, salinity, pressure."""
    _check("dissolved oxygen", do_mg_l, 0.0, 100.0, "mg/L")
    return 100.0 * do_mg_l / do_saturation_mg_l(temp_c, salinity_ppt, pressure_kpa)
