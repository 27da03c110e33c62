"""Staff routes of the traceability app (mounted under /trace/)."""

from django.urls import path

from traceability import views

app_name = "traceability"

urlpatterns = [
    path("lots/", views.lot_list, name="lot-list"),
    path("lots/new/", views.lot_create, name="lot-create"),
    path("lots/<int:pk>/", views.lot_detail, name="lot-detail"),
    path("lots/<int:pk>/harvest/", views.lot_harvest, name="lot-harvest"),
    path("lots/<int:pk>/inspect/", views.lot_inspect, name="lot-inspect"),
    path("lots/<int:pk>/release/", views.lot_release, name="lot-release"),
    path("lots/<int:pk>/ship/", views.lot_ship, name="lot-ship"),
    path("lots/<int:pk>/receive/", views.lot_receive, name="lot-receive"),
    path("lots/<int:pk>/pack/", views.lot_pack, name="lot-pack"),
    path("lots/<int:pk>/process/", views.lot_process, name="lot-process"),
    path("lots/<int:pk>/sell/", views.lot_sell, name="lot-sell"),
    path("lots/<int:pk>/labels/", views.lot_labels, name="lot-labels"),
    path("lots/<int:pk>/certificate.pdf", views.lot_certificate, name="lot-certificate"),
    path("lots/<int:pk>/epcis.jsonld", views.lot_epcis, name="lot-epcis"),
    path("lots/<int:pk>/verify/", views.lot_verify, name="lot-verify"),
    path("import/", views.epcis_import, name="epcis-import"),
    path("sites/<int:site_pk>/inputs/new/", views.input_create, name="input-create"),
]
