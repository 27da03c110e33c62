"""What a consumer sees: only the fields the lot owner marked public, nothing private."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from traceability import environment, events, gate, resolver_domain, vocab
from traceability.models import InputRecord, Inspection, Lot

STEP_NAMES = {
    vocab.COMMISSIONING: gettext_lazy("Harvest"),
    vocab.INSPECTING: gettext_lazy("Inspection"),
    vocab.SHIPPING: gettext_lazy("Shipping"),
    vocab.RECEIVING: gettext_lazy("Receiving"),
    vocab.PACKING: gettext_lazy("Packing"),
    vocab.RELEASE: gettext_lazy("Released"),
    vocab.GATE_OVERRIDE: gettext_lazy("Manual release"),
    vocab.SALE: gettext_lazy("Sold"),
    vocab.RECALL: gettext_lazy("Recalled"),
    vocab.APPLY_FERTILISER: gettext_lazy("Fertiliser"),
    vocab.APPLY_PESTICIDE: gettext_lazy("Pesticide"),
    vocab.FEEDING: gettext_lazy("Feed"),
    vocab.VET_TREATMENT: gettext_lazy("Veterinary drug"),
}
# A TransformationEvent is ``commissioning`` too (its output comes into existence),
# but for a consumer it is processing, not a harvest.
PROCESSING = gettext_lazy("Processing")

METRIC_NAMES = {
    "water_temp": gettext_lazy("Water temperature (°C)"),
    "do": gettext_lazy("Dissolved oxygen (mg/L)"),
    "ph": gettext_lazy("pH"),
    "soil_temp": gettext_lazy("Soil temperature (°C)"),
    "soil_vwc": gettext_lazy("Soil moisture (%)"),
    "air_temp": gettext_lazy("Air temperature (°C)"),
}


# What the page says, plainly, when a lot may not be sold (issue: a consumer must not
# find "records complete" beside a failed check without being told the lot is held).
HEADLINES = {
    "recalled": gettext_lazy(
        "This lot has been recalled. Please stop eating it and contact the seller."
    ),
    "held": gettext_lazy("This lot has not been released for sale."),
    "growing": gettext_lazy("This lot has not been harvested yet; it is not released for sale."),
    "pending": gettext_lazy("This lot has been harvested and is waiting to be released."),
}
CONSUMER_REASONS = {
    ("phi", "running"): gettext_lazy(
        "A pesticide was sprayed recently, and the waiting time before the crop may be "
        "harvested has not passed yet."
    ),
    ("phi", "harvested_inside"): gettext_lazy(
        "It was harvested before the waiting time after a pesticide spray had passed."
    ),
    ("withdrawal", "running"): gettext_lazy(
        "The animals were given a veterinary medicine recently, and the time the medicine "
        "needs to leave their bodies (the withdrawal period) has not passed yet."
    ),
    ("withdrawal", "harvested_inside"): gettext_lazy(
        "It was harvested before a veterinary medicine had had time to leave the animals' "
        "bodies (inside the withdrawal period)."
    ),
    ("withdrawal", "unknown"): gettext_lazy(
        "We cannot confirm right now that a veterinary medicine has left the animals' "
        "bodies: the temperature records needed for it are unavailable."
    ),
    ("inspection", "failed"): gettext_lazy(
        "Its latest test for pesticide or veterinary-drug residues failed."
    ),
    ("inspection", "missing"): gettext_lazy(
        "It has not been tested for pesticide or veterinary-drug residues yet."
    ),
}
FROM_SOURCE = gettext_lazy("In a lot it was made from: %(reason)s")
RECALL_REASON = gettext_lazy("The producer's reason: %(reason)s")


def consumer_reason(block: gate.Block) -> str:
    """A block in words a consumer understands (no record numbers, no degree-days)."""
    text = str(CONSUMER_REASONS.get((block.kind, block.cause), HEADLINES["held"]))
    if block.via:
        text = str(FROM_SOURCE) % {"reason": text}
    return text


def release_state(lot: Lot, pending: gate.GateResult) -> dict[str, Any] | None:
    """Whether the page must say the lot is not for sale, and why; None when it is released."""
    from traceability.lots import recall_reason

    if lot.status == Lot.Status.RECALLED:
        reason = recall_reason(lot)
        reasons = [str(RECALL_REASON) % {"reason": reason}] if reason else []
        return {"kind": "recalled", "headline": str(HEADLINES["recalled"]), "reasons": reasons}
    reasons = list(dict.fromkeys(consumer_reason(b) for b in pending.blocks))
    if lot.status == Lot.Status.GROWING:
        return {"kind": "held", "headline": str(HEADLINES["growing"]), "reasons": reasons}
    if reasons:
        return {"kind": "held", "headline": str(HEADLINES["held"]), "reasons": reasons}
    if lot.status == Lot.Status.HARVESTED:
        return {"kind": "pending", "headline": str(HEADLINES["pending"]), "reasons": []}
    return None


def code_uri(request: HttpRequest | None, lot: Lot, origin: str | None = None) -> str:
    """What the QR code carries: a GS1 Digital Link for GTIN lots, else the scan URL.

    ``origin`` defaults to the configured public one (``RESOLVER_DOMAIN``). A lot number's
    characters outside the unreserved set are percent-encoded (``/`` as ``%2F``), which a
    phone sends unchanged and the resolver reads from the raw path.
    """
    origin = resolver_domain.origin() if origin is None else origin
    if lot.gtin:
        from traceability.digital_link import build

        return build({"01": lot.gtin, "10": lot.lot_number}, origin)
    return f"{origin}{reverse('scan', args=[lot.trace_code])}"


def scan_url(request: HttpRequest, lot: Lot) -> str:
    return request.build_absolute_uri(reverse("scan", args=[lot.trace_code]))


def linkset(anchor: str, lot: Lot, target: str) -> dict[str, Any]:
    """RFC 9264 linkset, as GS1 resolvers answer ``linkType=all``; ``anchor``: the link."""
    return {
        "linkset": [
            {
                "anchor": anchor,
                "https://gs1.org/voc/pip": [
                    {
                        "href": target,
                        "title": lot.product_name,
                        "type": "text/html",
                        "hreflang": ["zh", "en"],
                    }
                ],
                "https://gs1.org/voc/defaultLink": [{"href": target}],
            }
        ]
    }


def _input_rows(lot: Lot, blocks: list[gate.Block]) -> list[dict[str, Any]]:
    blocked = {b.record_id for b in blocks if b.kind in ("phi", "withdrawal")}
    unknown = {b.record_id for b in blocks if b.unknown}
    upto = lot.harvest_date or timezone.localdate()
    rows = []
    for rec in InputRecord.objects.filter(
        site_id=lot.origin_id,
        applied_on__lte=upto,
        applied_on__gte=lot.growing_started or "1900-01-01",
    ):
        interval = ""
        if rec.phi_days is not None:
            interval = _("pre-harvest interval %(n)s days") % {"n": rec.phi_days}
        elif rec.withdrawal_degree_days is not None:
            interval = _("withdrawal period %(n)s degree-days") % {"n": rec.withdrawal_degree_days}
        elif rec.withdrawal_days is not None:
            interval = _("withdrawal period %(n)s days") % {"n": rec.withdrawal_days}
        rows.append(
            {
                "kind": rec.get_kind_display(),
                "product": rec.product,
                "applied_on": rec.applied_on,
                "interval": interval,
                "respected": rec.pk not in blocked if interval else None,
                # neither respected nor broken: the temperatures to judge it are unavailable
                "unknown": rec.pk in unknown,
            }
        )
    return rows


def scan_context(lot: Lot) -> dict[str, Any]:
    """Everything the scan page shows; answers even while InfluxDB is down.

    The environment table and degree-day withdrawal periods need InfluxDB. When it
    cannot be read the page says the environment data is temporarily unavailable,
    and a withdrawal period that cannot be judged is shown as "cannot be checked
    now", never as respected (the gate blocks it, see ``traceability.gate``).
    """
    from sensors.timeseries import InfluxError, TimeSeries

    farm = lot.origin.farm
    ctx: dict[str, Any] = {
        "lot": lot,
        "flagged": bool(lot.flagged_reason),
        "show": set(lot.public_fields or []),
    }
    ts = TimeSeries.from_config()
    try:
        # Always judged: whether the lot is held is said whatever the owner made public.
        result = gate.check(lot, timeseries=ts)
        unavailable = result.environment_unavailable
        if lot.is_public("environment") and lot.growing_started:
            rows: list[dict[str, Any]] = []
            if not unavailable:  # one failed query is enough; do not wait on three more
                try:
                    rows = environment.summary(lot, ts, strict=True)
                except InfluxError:
                    unavailable = True
            ctx["environment"] = [
                {**row, "name": METRIC_NAMES.get(row["metric"], row["metric"])} for row in rows
            ]
    finally:
        ts.close()
    ctx["environment_unavailable"] = unavailable
    if lot.is_public("origin"):
        ctx["origin"] = {
            "farm": farm.name,
            "county": farm.region.name,
            "county_code": farm.region_id,
            "site_kind": lot.origin.get_kind_display(),
        }
    if lot.is_public("producer"):
        ctx["producer"] = lot.organisation.name
    if lot.is_public("period"):
        ctx["period"] = (lot.growing_started, lot.harvest_date)
    if lot.is_public("origin"):
        ctx["sources"] = _sources(lot)
    if lot.is_public("inputs"):
        ctx["inputs"] = _input_rows(lot, result.blocks)
    if lot.is_public("inspections"):
        ctx["inspections"] = [
            {
                "tested_on": i.tested_on,
                "items": i.items,
                "passed": i.result == Inspection.Result.PASS,
            }
            for i in lot.inspections.all()
        ]
    if lot.is_public("custody"):
        ctx["custody"] = _custody(lot)
    from traceability.lots import outstanding

    ctx["state"] = release_state(lot, outstanding(lot, result=result))
    ctx["verified"] = events.verify(lot).ok
    # A tick for the records only where nothing on the page failed.
    ctx["failures"] = bool(
        (ctx["state"] and ctx["state"]["kind"] != "pending")
        or any(row["respected"] is False for row in ctx.get("inputs", []))
        or any(not row["passed"] for row in ctx.get("inspections", []))
    )
    return ctx


def step_name(event_type: str, biz_step: str) -> str:
    """What a person calls the step: 收获, 检测 … rather than its URI."""
    if event_type == "TransformationEvent":
        return str(PROCESSING)
    return str(STEP_NAMES.get(biz_step, biz_step))


def _custody(lot: Lot) -> list[dict[str, Any]]:
    """Custody steps, with runs of one step on one day folded (a packing run is many cases)."""
    rows: list[dict[str, Any]] = []
    for event_type, biz_step, when in lot.events.order_by("seq").values_list(
        "event_type", "biz_step", "event_time"
    ):
        if biz_step in vocab.INPUT_STEPS.values():
            continue
        step = step_name(event_type, biz_step)
        last = rows[-1] if rows else None
        same_day = last and timezone.localdate(last["time"]) == timezone.localdate(when)
        if last and last["step"] == step and same_day:
            last["count"] += 1
        else:
            rows.append({"step": step, "time": when, "count": 1})
    return rows


def _sources(lot: Lot) -> list[dict[str, Any]]:
    """What a processed lot was made from; a source's origin only if its owner made it public."""
    out = []
    for source in lot.parents.select_related("origin__farm__region"):
        out.append(
            {
                "product": source.product_name,
                "product_en": source.product_name_en,
                "lot_number": source.lot_number,
                "county": source.origin.farm.region.name if source.is_public("origin") else "",
            }
        )
    return out
