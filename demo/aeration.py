"""Demo aerators: one LT-22222-L relay controller per demo pond that has aeration.

Idempotent, like the other seed commands: what exists is kept, what is missing is added.
The controllers sit in the simulated fleet's ChirpStack application, so the demo's relay
simulator (``manage.py simulate_relays``) answers their commands.
"""

from __future__ import annotations

from aeration.models import Aerator, RelayController
from demo.fleet import APPLICATION_ID
from farm.models import Pond
from sensors.models import Device, DeviceProfile

PROFILE = "dragino-lt22222l"
LARGE_POND_M2 = 10_000  # two aerators on the controller's two relays


def demo_eui(pond: Pond) -> str:
    return f"a8404100{pond.pk:08x}"


def seed_aerators() -> int:
    """Create the missing demo controllers and aerators; return how many aerators exist."""
    DeviceProfile.objects.get_or_create(
        id=PROFILE, defaults={"name": "Dragino LT-22222-L", "vendor": "Dragino"}
    )
    ponds = Pond.objects.exclude(aeration=Pond.Aeration.NONE).select_related("farm")
    for pond in ponds:
        device, _ = Device.objects.get_or_create(
            dev_eui=demo_eui(pond),
            defaults={
                "farm": pond.farm,
                "site": pond,
                "profile_id": PROFILE,
                "name": f"{pond.name}增氧控制器",
            },
        )
        controller, _ = RelayController.objects.get_or_create(
            device=device, defaults={"application_id": APPLICATION_ID}
        )
        channels = 2 if pond.area_m2 >= LARGE_POND_M2 else 1
        for ch in range(1, channels + 1):
            Aerator.objects.get_or_create(
                controller=controller,
                channel=ch,
                defaults={"pond": pond, "name": f"{ch}号增氧机", "current_full_scale_a": 20},
            )
    return Aerator.objects.filter(controller__device__dev_eui__startswith="a8404100").count()


def simulated_relays() -> list:
    """The demo's relay controllers as simulated devices (all relays start off)."""
    from demo.relays import SimulatedRelay

    rows = RelayController.objects.filter(application_id=APPLICATION_ID).select_related("device")
    return [SimulatedRelay(c.device.dev_eui, c.application_id, c.device.profile_id) for c in rows]
