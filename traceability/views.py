"""Pages of the traceability app: thin views over ``traceability.lots`` and friends.

Staff pages are scoped through ``farm.access``; the public scan page and the
GS1 resolver expose only what the lot owner marked public.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from reportlab.lib.units import mm

from farm import access
from farm.models import Membership, Organisation, Role, Site
from traceability import (
    documents,
    events,
    gate,
    imports,
    lots,
    printing,
    public,
    resolver_domain,
    scans,
)
from traceability.forms import (
    HarvestForm,
    ImportForm,
    InputForm,
    InspectionForm,
    LabelForm,
    LotForm,
    PackForm,
    ProcessForm,
    ReceiveForm,
    ReleaseForm,
    SellForm,
    ShipForm,
)
from traceability.models import Lot

LOT_FARM = "origin__farm"
MISS_LIMIT = 30  # unknown codes per client network per 10 minutes before 429
LABEL_PREVIEW_MAX = 24  # one A4 sheet of 3 × 8: a preview never prints a run
MISS_WINDOW_S = 600


def _lot(request: HttpRequest, pk: int, *, write: bool = False) -> Lot:
    lot = access.get_readable_or_404(
        request.user,
        Lot.objects.select_related("origin__farm__region", "organisation"),
        LOT_FARM,
        pk=pk,
    )
    if write:
        access.require_edit(request.user, lot.origin.farm_id)
    return lot


@login_required
def lot_list(request: HttpRequest) -> HttpResponse:
    qs = access.scope(request.user, Lot.objects.select_related("origin__farm"), LOT_FARM)
    return render(
        request,
        "traceability/lot_list.html",
        {
            "lots": qs.order_by("-created")[:200],
            "can_create": access.editable_farms(request.user).exists(),
            "can_import": _managed_organisations(request.user).exists(),
        },
    )


@login_required
def lot_create(request: HttpRequest) -> HttpResponse:
    if not access.editable_farms(request.user).exists():
        raise PermissionDenied("no farm to start a lot on")  # a reviewer: read-only
    sites = access.scope(request.user, Site.objects.select_related("farm"), "farm", write=True)
    form = LotForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        spec = lots.NewLot(
            **{k: v for k, v in form.cleaned_data.items() if k != "requires_inspection"}
        )
        lot = lots.create_lot(spec, request.user)
        if not form.cleaned_data["requires_inspection"]:
            Lot.objects.filter(pk=lot.pk).update(requires_inspection=False)
        return redirect("traceability:lot-detail", pk=lot.pk)
    return render(request, "traceability/form.html", {"form": form, "title": _("New lot")})


@login_required
def lot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _lot(request, pk)
    return render(
        request,
        "traceability/lot_detail.html",
        {
            "lot": lot,
            "events": [
                (e, public.step_name(e.event_type, e.biz_step)) for e in lot.events.order_by("seq")
            ],
            "inputs": gate.relevant_inputs(lot, lot.harvest_date or timezone.localdate()),
            "gate": gate.check(lot),
            "verification": events.verify(lot),
            "can_edit": access.can_edit_farm(request.user, lot.origin.farm_id),
            "scan_url": public.scan_url(request, lot),
            "code_origin": resolver_domain.origin(),
            "remaining": lots.remaining(lot),
            "parents": access.scope(request.user, lot.parents.all(), LOT_FARM),
            "children": access.scope(request.user, lot.children.all(), LOT_FARM),
            "partner_events": lot.partner_events.all()[:100],
            "forms": {
                "harvest": HarvestForm(),
                "inspection": InspectionForm(),
                "release": ReleaseForm(),
                "ship": ShipForm(),
                "receive": ReceiveForm(),
                "pack": PackForm(),
                "process": ProcessForm(initial={"unit": lot.unit}),
                "sell": SellForm(),
            },
        },
    )


@login_required
def input_create(request: HttpRequest, site_pk: int) -> HttpResponse:
    site = access.get_readable_or_404(
        request.user, Site.objects.select_related("farm"), "farm", pk=site_pk
    )
    access.require_edit(request.user, site.farm_id)
    form = InputForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        lots.record_input(site, request.user, **form.cleaned_data)
        messages.success(request, _("Recorded."))
        return redirect("farm:site-detail", pk=site.pk)
    return render(
        request,
        "traceability/form.html",
        {"form": form, "title": _("Record an input on %(site)s") % {"site": site}},
    )


def _form_errors(form) -> str:
    """A form's errors in one line, each after its field's label (not its code name)."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(errors)
        parts.append(
            _("%(field)s: %(errors)s") % {"field": label, "errors": text} if label else text
        )
    return _("; ").join(parts)


def _act(request: HttpRequest, pk: int, form_class, action) -> HttpResponse:
    lot = _lot(request, pk, write=True)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            result = action(lot, form)
        except lots.GateBlocked as blocked:
            messages.error(request, _("Blocked: %(why)s") % {"why": blocked.text})
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        except (lots.NotAllowed, ValueError) as exc:
            messages.error(request, getattr(exc, "text", str(exc)))
        else:
            if isinstance(result, Lot) and result.pk != lot.pk:  # processing made a new lot
                return redirect("traceability:lot-detail", pk=result.pk)
    return redirect("traceability:lot-detail", pk=lot.pk)


@login_required
@require_POST
def lot_harvest(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        HarvestForm,
        lambda lot, f: lots.harvest(
            lot, f.cleaned_data["harvest_date"], f.cleaned_data["quantity"], request.user
        ),
    )


@login_required
@require_POST
def lot_inspect(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        InspectionForm,
        lambda lot, f: lots.inspect(
            lot,
            tested_on=f.cleaned_data["tested_on"],
            result=f.cleaned_data["result"],
            items=f.items(),
            lab=f.cleaned_data["lab"],
            report_ref=f.cleaned_data["report_ref"],
            user=request.user,
        ),
    )


@login_required
@require_POST
def lot_release(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        ReleaseForm,
        lambda lot, f: lots.release(
            lot, request.user, override_reason=f.cleaned_data["override_reason"]
        ),
    )


@login_required
@require_POST
def lot_ship(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        ShipForm,
        lambda lot, f: lots.ship(lot, destination=f.cleaned_data["destination"], user=request.user),
    )


@login_required
@require_POST
def lot_receive(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        ReceiveForm,
        lambda lot, f: lots.receive(lot, f.cleaned_data["from_party"], user=request.user),
    )


@login_required
@require_POST
def lot_pack(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        PackForm,
        lambda lot, f: lots.pack(
            lot, f.cleaned_data["case_count"], f.cleaned_data["per_case"], user=request.user
        ),
    )


@login_required
@require_POST
def lot_process(request: HttpRequest, pk: int) -> HttpResponse:
    def run(lot: Lot, f: ProcessForm) -> Lot:
        data = dict(f.cleaned_data)
        consumed = data.pop("consumed_quantity")
        spec = lots.NewLot(origin=lot.origin, growing_started=lot.growing_started, **data)
        return lots.process(lot, spec, consumed, user=request.user)

    return _act(request, pk, ProcessForm, run)


@login_required
@require_POST
def lot_sell(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        SellForm,
        lambda lot, f: lots.sell(
            lot,
            f.cleaned_data["buyer"],
            f.cleaned_data["invoice_ref"],
            quantity=f.cleaned_data["quantity"],
            user=request.user,
            override_reason=f.cleaned_data["override_reason"],
        ),
    )


def _label_page(
    request: HttpRequest, lot: Lot, form: LabelForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    """The lot's label page: the code and domain printed, sizes, print queue, refusals."""
    from traceability.labels import TEMPLATES, THERMAL, CodeTooLong, module_size
    from traceability.models import PrintJob

    code, domain_problem = "", ""
    try:
        code = printing.code_for(lot)
    except resolver_domain.DomainRefused as refused:
        domain_problem = refused.text
    refused = printing.refusal(lot)
    names = {**dict(form.fields["template"].choices), "a6": _("A6 sheet")}
    sample = code
    if not sample:  # no printable domain: estimate with the configured one, if it parses
        try:
            sample = public.code_uri(None, lot)
        except ValueError:
            sample = ""
    sizes = []
    for name in ("a4-3x8", *THERMAL):
        try:
            module = module_size(sample, TEMPLATES[name]) if sample else None
        except CodeTooLong:
            module = None
        sizes.append({"name": name, "label": names[name], "module_mm": module and module / mm})
    return render(
        request,
        "traceability/labels.html",
        {
            "lot": lot,
            "form": form,
            "code": code,
            "origin": resolver_domain.origin(),
            "setting": resolver_domain.SETTING,
            "domain_problem": domain_problem,
            "refused": refused.text if refused else "",
            "error": error,
            "sizes": sizes,
            "jobs": [
                (job, names.get(job.template, job.template))
                for job in lot.print_jobs.select_related("printed_by", "reprint_of")[:200]
            ],
            "certificate_ready": lot.status in (Lot.Status.RELEASED, Lot.Status.SHIPPED)
            and not refused,
            "certificate_issued": lot.print_jobs.filter(kind=PrintJob.Kind.CERTIFICATE).exists(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def lot_labels(request: HttpRequest, pk: int) -> HttpResponse:
    """The label page (GET), a preview of one sheet (GET with a size), or a print (POST).

    Only a deliberate, CSRF-protected print is recorded and adds to the labels issued
    (which raises the scan count at which a lot looks copied, ``traceability.scans``); a
    link, prefetch or crawler following a GET changes nothing. Nothing is printed for a
    lot the gate holds, nor with a public domain phones cannot reach.
    """
    from traceability.labels import CodeTooLong
    from traceability.models import PrintJob

    lot = _lot(request, pk, write=True)
    printing_now = request.method == "POST"
    if not printing_now and "template" not in request.GET:
        return _label_page(request, lot, LabelForm())
    form = LabelForm(request.POST if printing_now else request.GET)
    if not form.is_valid():
        return _label_page(request, lot, form, error=_form_errors(form), status=400)
    count = form.cleaned_data["count"]
    template = form.cleaned_data["template"]
    try:
        if printing_now:
            reprint_of = None
            if form.cleaned_data["reprint_of"]:
                reprint_of = PrintJob.objects.filter(
                    pk=form.cleaned_data["reprint_of"], lot=lot
                ).first()
                if reprint_of is None:
                    raise Http404("no such print job on this lot")
            pdf, _job = printing.print_labels(
                lot, request.user, template, count, reprint_of=reprint_of
            )
            name = f"labels-{lot.lot_number}.pdf"
        else:
            pdf = printing.preview_labels(lot, template, min(count, LABEL_PREVIEW_MAX))
            name = f"labels-preview-{lot.lot_number}.pdf"
    except (printing.PrintRefused, resolver_domain.DomainRefused) as refused:
        return _label_page(request, lot, form, error=refused.text, status=409)
    except CodeTooLong:
        message = _("The code is too long to print at a scannable size on this label.")
        return _label_page(request, lot, form, error=message, status=409)
    return FileResponse(io.BytesIO(pdf), content_type="application/pdf", filename=name)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def lot_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """The lot's 承诺达标合格证: issued by its producer (POST, recorded) or viewed (GET).

    Available for the lot's whole life once released (after shipping too), dated on
    its first issue; refused with the reason while the gate holds the lot.
    """
    issuing = request.method == "POST"
    lot = _lot(request, pk, write=issuing)
    try:
        pdf, _job = printing.certificate(lot, request.user, record=issuing)
    except (printing.PrintRefused, resolver_domain.DomainRefused) as refused:
        return HttpResponse(refused.text, status=409, content_type="text/plain; charset=utf-8")
    return FileResponse(
        io.BytesIO(pdf), content_type="application/pdf", filename=f"hgz-{lot.lot_number}.pdf"
    )


@login_required
def lot_epcis(request: HttpRequest, pk: int) -> JsonResponse:
    lot = _lot(request, pk)
    return JsonResponse(
        documents.epcis_document(lot),
        json_dumps_params={"ensure_ascii": False},
        content_type="application/ld+json",
    )


@login_required
def lot_verify(request: HttpRequest, pk: int) -> JsonResponse:
    lot = _lot(request, pk)
    v = events.verify(lot)
    return JsonResponse(
        {
            "ok": v.ok,
            "events": v.events,
            "first_broken_seq": v.first_broken_seq,
            "problem": v.problem,
        }
    )


def _managed_organisations(user):
    """Organisations whose records the user may change wholesale: managers' own, or all."""
    if access.scope_for(user).everything:
        return Organisation.objects.all()
    own = Membership.objects.filter(user=user, role=Role.MANAGER, organisation__isnull=False)
    return Organisation.objects.filter(pk__in=own.values("organisation_id"))


@login_required
def epcis_import(request: HttpRequest) -> HttpResponse:
    """Upload a partner's EPCIS JSON; all of it is stored or none, problems listed per event."""
    organisations = _managed_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied("only managers import partners' events")
    form = ImportForm(request.POST or None, request.FILES or None, organisations=organisations)
    context: dict = {"form": form, "max_mb": imports.MAX_BYTES // (1024 * 1024)}
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            upload = form.cleaned_data["document"]
            try:
                raw = upload.read(imports.MAX_BYTES + 1)
                document = imports.parse(raw, upload.name, upload.content_type or "")
                context["report"] = imports.import_document(
                    document,
                    form.cleaned_data["organisation"].pk,
                    user=request.user,
                    filename=upload.name,
                    raw=raw,
                )
            except imports.UploadRejected as exc:
                context["upload_error"] = exc.text
                status = 400
            except imports.SchemaMissing:
                context["upload_error"] = _("EPCIS validation is not set up on this server.")
                status = 503
            else:
                status = 200 if context["report"].accepted else 422
    return render(request, "traceability/import.html", context, status=status)


# --- public: resolver and scan page -------------------------------------------------------


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _miss(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """A malformed (400) or unknown (404) code; many misses from one network → 429."""
    key = "trace-miss:" + scans.client_key(_client_ip(request))
    try:
        misses = cache.incr(key)
    except ValueError:
        cache.set(key, 1, MISS_WINDOW_S)
        misses = 1
    if misses > MISS_LIMIT:
        response = render(
            request,
            "traceability/public_error.html",
            {"message": _("Too many unknown codes. Please try again later.")},
            status=429,
        )
        response["Retry-After"] = str(MISS_WINDOW_S)
        return response
    return render(request, "traceability/public_error.html", {"message": message}, status=status)


def scan_page(request: HttpRequest, code: str) -> HttpResponse:
    from traceability.trace_code import is_valid_trace_code, normalise

    try:
        normal = normalise(code)
    except ValueError:
        normal = ""
    if not normal or not is_valid_trace_code(normal):
        return _miss(request, 400, _("This is not a valid trace code."))
    lot = (
        Lot.objects.select_related("origin__farm__region", "organisation")
        .filter(trace_code=normal)
        .first()
    )
    if lot is None:
        return _miss(request, 404, _("We do not know this code. Check the label and try again."))
    if normal != code:
        query = request.META.get("QUERY_STRING", "")
        return HttpResponseRedirect(reverse("scan", args=[normal]) + (f"?{query}" if query else ""))
    # ``?lang=`` lets the page switch language without a session or CSRF cookie, so the
    # page stays cookie-free; otherwise LocaleMiddleware's choice (Accept-Language,
    # language cookie, default zh-Hans) stands. Switching language is not another scan:
    # the printed QR code never carries the parameter.
    lang = request.GET.get("lang", "")
    if lang not in dict(settings.LANGUAGES):
        lang = translation.get_language()
        # Only the network counts: nothing the client says about itself (headers such
        # as X-Client-Lat/Lon) can flag a lot; see ``traceability.scans``.
        scans.record_scan(lot, _client_ip(request), datetime.now(UTC))
    with translation.override(lang):
        response = render(request, "traceability/scan.html", public.scan_context(lot))
        response["Content-Language"] = lang
    return response


def resolve_digital_link(request: HttpRequest, path: str) -> HttpResponse:
    """GS1 Digital Link resolver for our lots: ``/01/<GTIN>/10/<lot>[?linkType=…]``.

    Parsed from the path as the client sent it (``traceability.raw_path``): a lot
    number's ``%2F`` is a character of the lot, not a path separator.
    """
    from traceability.digital_link import parse
    from traceability.raw_path import raw_uri

    uri = raw_uri(request)
    try:
        ais = parse(uri)
    except ValueError as exc:
        return _miss(request, 400, _("Malformed GS1 Digital Link: %(why)s") % {"why": exc})
    gtin, lot_no = ais.get("01"), ais.get("10")
    lot = None
    if gtin and lot_no:
        lot = Lot.objects.filter(gtin=gtin, lot_number=lot_no).first()
    elif gtin:
        if Lot.objects.filter(gtin=gtin).exists():
            return render(
                request,
                "traceability/public_error.html",
                {"message": _("Please scan the code on the package: it names the lot.")},
                status=200,
            )
    if lot is None:
        return _miss(request, 404, _("We do not know this product or lot."))
    target = request.build_absolute_uri(reverse("scan", args=[lot.trace_code]))
    link_type = request.GET.get("linkType", "")
    wants_linkset = "application/linkset+json" in request.headers.get("Accept", "")
    if link_type == "all" or wants_linkset:
        return JsonResponse(
            public.linkset(uri.split("?", 1)[0], lot, target),
            content_type="application/linkset+json",
        )
    response = HttpResponseRedirect(target)
    response.status_code = 307
    response["Link"] = f'<{target}>; rel="gs1:pip"'
    return response


def resolver_description(request: HttpRequest) -> JsonResponse:
    """``/.well-known/gs1resolver``: what this resolver serves (GS1 resolver standard §5)."""
    return JsonResponse(
        {
            "name": "Agrimon lot resolver",
            "resolverRoot": request.build_absolute_uri("/"),
            "supportedPrimaryKeys": ["01"],
            "supportedLinkType": ["gs1:pip", "gs1:traceability"],
            "supportedContextValuesEnumerated": [],
        }
    )


def not_found(request: HttpRequest) -> None:
    raise Http404
