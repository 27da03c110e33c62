"""HTTP endpoints the SMS and voice vendors push replies and keypresses to.

Thin: check the address token, hand the body to ``alerts.callbacks``, answer in the
vendor's own reply format (Aliyun ``{"code", "msg"}``, Tencent ``{"result", "errmsg"}``).
A forged or missing token is 401 and a malformed body 400, both logged; a well-formed
callback that is refused (unknown sender, replay, too old) is answered 200 with a
non-zero code and the reason, so the vendor does not keep re-pushing it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from alerts import callbacks


def _reply(vendor: str, status: int, code: int, message: str) -> JsonResponse:
    if vendor.startswith("tencent"):
        body = {"result": code, "errmsg": message}
    else:
        body = {"code": code, "msg": message}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _endpoint(vendor: str) -> Callable[[HttpRequest], HttpResponse]:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        try:
            body = request.body
        except RequestDataTooBig:
            return _reply(vendor, 400, 400, "body too large")
        if not callbacks.token_ok(vendor, request.GET.get("token", "")):
            callbacks.log_rejected(vendor, "missing or wrong token", body, now)
            return _reply(vendor, 401, 401, "invalid token")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            results = callbacks.handle(vendor, body, now)
        except callbacks.CallbackRejected as exc:
            callbacks.log_rejected(vendor, str(exc), body, now)
            return _reply(vendor, 400, 400, str(exc))
        refused = [r.reason for r in results if not r.accepted]
        if refused:
            return _reply(vendor, 200, 1, "; ".join(refused)[:500])
        return _reply(vendor, 200, 0, "OK" if vendor.startswith("tencent") else "接收成功")

    view.__name__ = f"{vendor}_callback"
    view.__doc__ = f"Vendor callback: {vendor}."
    return view


aliyun_sms_up = _endpoint("aliyun_sms_up")
tencent_sms_reply = _endpoint("tencent_sms_reply")
aliyun_voice = _endpoint("aliyun_voice")
tencent_voice = _endpoint("tencent_voice")
