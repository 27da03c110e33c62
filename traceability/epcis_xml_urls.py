"""Staff route of the EPCIS XML export (mounted under /trace/ beside the JSON-LD one)."""

from django.urls import path

from traceability import epcis_xml_views

app_name = "epcis_xml"

urlpatterns = [
    path("lots/<int:pk>/epcis.xml", epcis_xml_views.lot_epcis_xml, name="lot-epcis-xml"),
]
