"""The lot's EPCIS 2.0 document in the XML binding, beside the JSON-LD export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from farm import access
from traceability import documents, epcis_xml
from traceability.models import Lot


@login_required
def lot_epcis_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """The same document as ``lot-epcis`` (same events, same hashes), as EPCIS 2.0 XML."""
    lot = access.get_readable_or_404(request.user, Lot.objects.all(), "origin__farm", pk=pk)
    response = HttpResponse(
        epcis_xml.write(documents.epcis_document(lot)), content_type="application/xml"
    )
    response["Content-Disposition"] = f'inline; filename="epcis-lot-{lot.pk}.xml"'
    return response
