"""Documents produced from a lot: QR label sheets, the compliance certificate, EPCIS export."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from traceability import vocab
from traceability.models import Lot


def label_sheet(lot: Lot, code: str, template: str, count: int) -> io.BytesIO:
    """``count`` identical labels for the lot, print-ready."""
    from traceability.labels import LabelSpec, render_labels

    farm = lot.origin.farm
    spec = LabelSpec(
        code=code,
        product=lot.product_name,
        origin=farm.region.name,
        producer=lot.organisation.name,
        lot=lot.lot_number,
    )
    return io.BytesIO(render_labels([spec] * count, template))


def certificate(lot: Lot, code: str, now: datetime | None = None) -> io.BytesIO:
    """承诺达标合格证 for a released lot, with the trace QR on the same sheet (证码合一)."""
    from traceability.labels import certificate_pdf

    return io.BytesIO(certificate_pdf(certificate_fields(lot, now), code))


def certificate_fields(lot: Lot, now: datetime | None = None) -> dict[str, str]:
    """What the certificate says about the lot and its issuer.

    It is dated on the site's date (Beijing time: a UTC date would still be yesterday
    before 08:00) of its first issue, so a copy printed after shipping carries the same
    date as the one that went with the goods.
    """
    from traceability.models import PrintJob, ProducerDetails

    farm = lot.origin.farm
    org = lot.organisation
    first = lot.print_jobs.filter(kind=PrintJob.Kind.CERTIFICATE).order_by("printed_at").first()
    issued = first.printed_at if first else (now or timezone.now())
    details = ProducerDetails.objects.filter(organisation=org).first()
    return {
        "product": lot.product_name,
        "quantity": f"{lot.quantity.normalize():f} {lot.unit}",
        "origin": f"{farm.region.name} {farm.name}",
        "producer": org.name,
        "credit_code": org.credit_code,
        "address": details.address if details else farm.region.name,
        "contact": org.contact_phone,
        "issued": timezone.localdate(issued).isoformat(),
        "lot": lot.lot_number,
        "basis": _basis(lot),
    }


def _basis(lot: Lot) -> str:
    """The certificate's basis: commissioned test, self test, or quality control."""
    latest = lot.inspections.filter(result="pass").order_by("-tested_on").first()
    if latest is None:
        return "质量安全控制符合要求"
    return "委托检测合格" if latest.lab else "自行检测合格"


def epcis_document(lot: Lot) -> dict[str, Any]:
    """The lot's history as an EPCIS 2.0 JSON-LD document."""
    return {
        "@context": vocab.DOCUMENT_CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "epcisBody": {"eventList": [ev.document for ev in lot.events.order_by("seq")]},
    }
