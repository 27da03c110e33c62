"""Device register: validation, add_device and the all-or-nothing CSV import."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from sensors.calibration import CalibrationError, parse_calibration
from sensors.models import Device


def test_two_point_calibration_reduces_to_gain_and_offset():
    (gain, offset) = parse_calibration({"ph": {"points": [[6.9, 7.0], [9.8, 10.0]]}})["ph"]
    assert gain * 6.9 + offset == pytest.approx(7.0)
    assert gain * 9.8 + offset == pytest.approx(10.0)


@pytest.mark.parametrize(
    "doc",
    [
        {"bogus_metric": {"offset": 1}},
        {"do": {"offset": "1"}},
        {"do": {"gain": 0}},
        {"do": {"points": [[1, 2]]}},
        {"do": {"points": [[1, 2], [1, 3]]}},
        {"do": {"points": [[1, 2], [2, 3]], "gain": 2}},
        {"do": {"scale": 2}},
        {"do": {"offset": float("nan")}},
        ["do"],
    ],
)
def test_invalid_calibration_is_refused_with_a_reason(doc):
    with pytest.raises(CalibrationError):
        parse_calibration(doc)


def test_device_clean_rejects_a_site_of_another_farm(farm):
    from sensors.tests.conftest import make_farm

    other = make_farm("2")
    device = Device(
        dev_eui="0011223344556677", farm=farm["farm"], site=other["pond"], profile_id="cayenne-lpp"
    )
    with pytest.raises(ValidationError) as err:
        device.full_clean()
    assert "site" in err.value.message_dict


def test_add_device_registers_by_farm_and_site_name_and_normalises_the_eui(farm):
    call_command(
        "add_device",
        "--dev-eui",
        "A8-40-41-94-A1-87-5F-F3",
        "--profile",
        "cayenne-lpp",
        "--site",
        f"{farm['farm'].name}/1号塘",
        "--calibration",
        '{"do": {"offset": 0.2}}',
        stdout=io.StringIO(),
    )
    device = Device.objects.get()
    assert device.dev_eui == "a8404194a1875ff3"
    assert device.site_id == farm["pond"].pk and device.farm_id == farm["farm"].pk


def test_add_device_by_site_id(farm):
    call_command(
        "add_device",
        "--dev-eui=0000000000000001",
        "--profile=native-soil",
        f"--site={farm['plot'].pk}",
        stdout=io.StringIO(),
    )
    assert Device.objects.get().site_id == farm["plot"].pk


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dev-eui=xyz", "--profile=cayenne-lpp", "--site=1号塘"], "farm/site"),
        (["--dev-eui=0000000000000001", "--profile=no-such", "--site=ID"], "unknown device"),
        (["--dev-eui=00000000000000zz", "--profile=cayenne-lpp", "--site=ID"], "dev_eui"),
        (["--dev-eui=0000000000000001", "--profile=cayenne-lpp", "--site=999999"], "no site"),
    ],
)
def test_add_device_refuses_bad_input_with_the_reason(farm, args, message):
    args = [a.replace("ID", str(farm["pond"].pk)) for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("add_device", *args, stdout=io.StringIO())
    assert not Device.objects.exists()


def test_add_device_refuses_a_duplicate_dev_eui(farm):
    args = ["--dev-eui=0000000000000001", "--profile=cayenne-lpp", f"--site={farm['pond'].pk}"]
    call_command("add_device", *args, stdout=io.StringIO())
    with pytest.raises(CommandError, match="DevEUI"):
        call_command("add_device", *args, stdout=io.StringIO())


def test_import_devices_creates_every_row(farm, tmp_path):
    path = tmp_path / "devices.csv"
    path.write_text(
        "dev_eui,profile,site,name,install_depth_cm,calibration\n"
        f"0000000000000001,native-water,{farm['pond'].pk},DO probe,50,"
        '"{""do"": {""offset"": 0.1}}"\n'
        f"0000000000000002,native-soil,{farm['farm'].name}/东片,soil 1,20,\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("import_devices", str(path), stdout=out)
    assert "imported 2" in out.getvalue()
    d1 = Device.objects.get(dev_eui="0000000000000001")
    assert d1.calibration == {"do": {"offset": 0.1}} and d1.install_depth_cm == 50


def test_import_devices_saves_nothing_and_lists_each_bad_row(farm, tmp_path):
    path = tmp_path / "devices.csv"
    path.write_text(
        "dev_eui,profile,site,install_depth_cm\n"
        f"0000000000000001,native-water,{farm['pond'].pk},50\n"
        f"0000000000000002,no-such-profile,{farm['pond'].pk},\n"
        f"0000000000000001,native-water,{farm['pond'].pk},\n"
        f"0000000000000003,native-water,{farm['pond'].pk},deep\n",
        encoding="utf-8",
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 row"):
        call_command("import_devices", str(path), stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["line 3", "line 4", "line 5"]
    assert not Device.objects.exists()


def test_import_devices_refuses_a_csv_without_the_required_columns(farm, tmp_path):
    path = tmp_path / "devices.csv"
    path.write_text("eui,profile\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="dev_eui"):
        call_command("import_devices", str(path), stdout=io.StringIO())
