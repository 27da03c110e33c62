"""What a consumer sees: only the fields the lot owner marked public, nothing private."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from traceability import environment, events, gate, vocab
from traceability.models import InputRecord, Inspection, Lot

STEP_NAMES = {
    vocab.COMMISSIONING: "收获 / Harvest",
    vocab.INSPECTING: "检测 / Inspection",
    vocab.SHIPPING: "发货 / Shipping",
    vocab.RECEIVING: "收货 / Receiving",
    vocab.PACKING: "包装 / Packing",
    vocab.RELEASE: "放行 / Released",
    vocab.GATE_OVERRIDE: "人工放行 / Manual release",
    vocab.APPLY_FERTILISER: "施肥 / Fertiliser",
    vocab.APPLY_PESTICIDE: "用药 / Pesticide",
    vocab.FEEDING: "投喂 / Feed",
    vocab.VET_TREATMENT: "渔药 / Veterinary drug",
}


def code_uri(request: HttpRequest | None, lot: Lot) -> str:
    """What the QR code carries: a GS1 Digital Link for GTIN lots, else the scan URL."""
    domain = settings.CONFIG.resolver_domain
    if lot.gtin:
        from traceability.digital_link import build

        return build({"01": lot.gtin, "10": lot.lot_number}, domain)
    return f"https://{domain}{reverse('scan', args=[lot.trace_code])}"


def scan_url(request: HttpRequest, lot: Lot) -> str:
    return request.build_absolute_uri(reverse("scan", args=[lot.trace_code]))


def linkset(request: HttpRequest, lot: Lot, target: str) -> dict[str, Any]:
    """RFC 9264 linkset, as GS1 resolvers answer ``linkType=all``."""
    anchor = request.build_absolute_uri(request.path)
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
    upto = lot.harvest_date or datetime.now(UTC).date()
    rows = []
    for rec in InputRecord.objects.filter(
        site_id=lot.origin_id,
        applied_on__lte=upto,
        applied_on__gte=lot.growing_started or "1900-01-01",
    ):
        interval = ""
        if rec.phi_days is not None:
            interval = f"安全间隔期 {rec.phi_days} 天"
        elif rec.withdrawal_degree_days is not None:
            interval = f"休药期 {rec.withdrawal_degree_days} 度日"
        elif rec.withdrawal_days is not None:
            interval = f"休药期 {rec.withdrawal_days} 天"
        rows.append(
            {
                "kind": rec.get_kind_display(),
                "product": rec.product,
                "applied_on": rec.applied_on,
                "interval": interval,
                "respected": rec.pk not in blocked if interval else None,
            }
        )
    return rows


def scan_context(lot: Lot) -> dict[str, Any]:
    farm = lot.origin.farm
    ctx: dict[str, Any] = {
        "lot": lot,
        "flagged": bool(lot.flagged_reason),
        "show": set(lot.public_fields or []),
    }
    result = gate.check(lot) if lot.is_public("inputs") else gate.GateResult()
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
    if lot.is_public("environment") and lot.growing_started:
        ctx["environment"] = environment.summary(lot)
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
        ctx["custody"] = [
            {"step": STEP_NAMES.get(e.biz_step, e.biz_step), "time": e.event_time}
            for e in lot.events.order_by("seq")
            if e.biz_step not in vocab.INPUT_STEPS.values()
        ]
    ctx["verified"] = events.verify(lot).ok
    return ctx
