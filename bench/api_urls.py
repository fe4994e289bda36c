"""The example project's URLs plus ``POST /bench/bare``: the cheapest Django JSON answer.

Same stack, same middleware, same gunicorn workers as ``api/init`` and ``api/result``,
but no authentication, no database and no cache: what is left is the cost of gunicorn,
Django's request cycle and JSON. The API's cost is read as a ratio against it.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from example_project.urls import urlpatterns as site_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"code": 200, "msg": "ok", "data": {"echo": request.POST.get("x", "")}})


urlpatterns = [path("bench/bare", bare), *site_urlpatterns]
