"""The self-hosted service's paths (``spec/protocol.md``, "The self-hosted service's
paths"), inside the app's ``lifecheck`` namespace; all 404 while ``SERVICE_ENABLED``
is off.

``v2/check/index`` is the H5 page (:mod:`.page`); the other ``v2/check/*`` paths are
the endpoints its script calls (:mod:`.page_api`).
"""

from __future__ import annotations

from django.urls import path

from . import page, page_api, views
from .enabled import service_enabled

urlpatterns = [
    path("api/init", service_enabled(views.init_view), name="api-init"),
    path("api/result", service_enabled(views.result_view), name="api-result"),
    path("api/openapi.yaml", service_enabled(views.openapi_view), name="api-openapi"),
    path("v2/check/index", service_enabled(page.check_index), name="check_index"),
    path("v2/check/frames", service_enabled(page_api.frames_view), name="check-frames"),
    path("v2/check/probe", service_enabled(page_api.probe_view), name="check-probe"),
    path("v2/check/fail", service_enabled(page_api.fail_view), name="check-fail"),
    path("v2/check/status", service_enabled(page_api.status_view), name="check-status"),
    path("v2/portrait/<str:signed>", service_enabled(page_api.portrait_view), name="portrait"),
]
