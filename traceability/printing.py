"""Printing a lot's QR labels and its 承诺达标合格证, and the print record kept for each.

The compliance gate governs printing: a label or certificate is a promise that the lot
may be sold, so neither is printed for a lot that is recalled, not yet harvested, or
held by a block no manager overrode (``lots.outstanding``). The codes carry the
configured public domain, checked by ``resolver_domain.check_printable``.

Every print, and every reprint, is a ``PrintJob``: who, when, how many, on which label
stock, and the code printed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext, gettext_noop

from traceability import documents, lots, public, resolver_domain
from traceability.models import Lot, PrintJob

MAX_COPIES = 5000


class PrintRefused(Exception):
    """Nothing is printed for this lot now; ``text`` says why in the reader's language."""

    def __init__(self, message: str, *, blocks: list | None = None, **params: str):
        self.message, self.params, self.blocks = message, params, blocks or []
        super().__init__(self._render(lambda m: m, lambda b: b.reason))

    def _render(self, translate, block_text) -> str:
        params = dict(self.params)
        if self.blocks:
            params["why"] = "; ".join(block_text(b) for b in self.blocks)
        return translate(self.message) % params

    @property
    def text(self) -> str:
        return self._render(gettext, lambda b: b.text)


def refusal(
    lot: Lot, *, now: datetime | None = None, timeseries: Any = None
) -> PrintRefused | None:
    """Why labels or a certificate may not be printed for ``lot`` now, or None."""
    if lot.status == Lot.Status.RECALLED:
        reason = lots.recall_reason(lot)
        return PrintRefused(
            gettext_noop("Not printed: the lot is recalled (%(reason)s)."), reason=reason
        )
    if lot.status == Lot.Status.GROWING:
        return PrintRefused(gettext_noop("Not printed: the lot has not been harvested yet."))
    pending = lots.outstanding(lot, now=now, timeseries=timeseries)
    if not pending.ok:
        return PrintRefused(
            gettext_noop("Not printed: the lot may not be released: %(why)s."),
            blocks=pending.blocks,
        )
    return None


def code_for(lot: Lot) -> str:
    """The URI the lot's QR codes carry, on the configured public domain (or ``DomainRefused``)."""
    return public.code_uri(None, lot, resolver_domain.check_printable())


def _check(lot: Lot) -> str:
    problem = refusal(lot)
    if problem is not None:
        raise problem
    return code_for(lot)


def preview_labels(lot: Lot, template: str, count: int) -> bytes:
    """Up to one sheet of the lot's labels, to check before printing; nothing is recorded."""
    code = _check(lot)
    return documents.label_sheet(lot, code, template, count).getvalue()


def print_labels(
    lot: Lot, user, template: str, copies: int, *, reprint_of: PrintJob | None = None
) -> tuple[bytes, PrintJob]:
    """The label PDF for ``copies`` labels, recorded as a print job.

    Copies are added to the lot's issued-label count, which sets how many scans look
    normal before a code looks copied (``traceability.scans``).
    """
    if reprint_of is not None and (reprint_of.lot_id != lot.pk or reprint_of.kind != "labels"):
        raise PrintRefused(gettext_noop("Not printed: that print job is not one of this lot's."))
    code = _check(lot)
    pdf = documents.label_sheet(lot, code, template, copies).getvalue()
    with transaction.atomic():
        job = PrintJob.objects.create(
            lot=lot,
            kind=PrintJob.Kind.LABELS,
            template=template,
            copies=copies,
            code=code,
            reprint_of=reprint_of,
            printed_by=user,
        )
        Lot.objects.filter(pk=lot.pk).update(label_count=F("label_count") + copies)
    return pdf, job


def certificate_printable(lot: Lot) -> None:
    """Raise ``PrintRefused`` unless the lot may carry a 合格证 now.

    It may for its whole life once released: also after shipping, sale or receipt
    elsewhere, as long as nothing new holds it.
    """
    problem = refusal(lot)
    if problem is not None:
        raise problem
    if lot.status not in (Lot.Status.RELEASED, Lot.Status.SHIPPED):
        raise PrintRefused(
            gettext_noop("Not printed: a certificate is issued only for a released lot.")
        )


def certificate(lot: Lot, user=None, *, record: bool = False) -> tuple[bytes, PrintJob | None]:
    """The lot's 合格证; ``record`` (an issue by its producer) adds a print job."""
    certificate_printable(lot)
    code = code_for(lot)
    pdf = documents.certificate(lot, code).getvalue()
    job = None
    if record:
        job = PrintJob.objects.create(
            lot=lot,
            kind=PrintJob.Kind.CERTIFICATE,
            template="a6",
            copies=1,
            code=code,
            printed_by=user,
        )
    return pdf, job
