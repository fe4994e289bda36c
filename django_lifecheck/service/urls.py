"""The self-hosted service's paths (``spec/protocol.md``, "The self-hosted service's
paths"), inside the app's ``lifecheck`` namespace.

``v2/check/index`` is the H5 page (:mod:`.page`); the other ``v2/check/*`` paths are
the endpoints its script calls (:mod:`.page_api`).
"""

from __future__ import annotations

from django.urls import path

from . import page, page_api, views

urlpatterns = [
    path("api/init", views.init_view, name="api-init"),
    path("api/result", views.result_view, name="api-result"),
    path("api/openapi.yaml", views.openapi_view, name="api-openapi"),
    path("v2/check/index", page.check_index, name="check_index"),
    path("v2/check/frames", page_api.frames_view, name="check-frames"),
    path("v2/check/probe", page_api.probe_view, name="check-probe"),
    path("v2/check/fail", page_api.fail_view, name="check-fail"),
    path("v2/check/status", page_api.status_view, name="check-status"),
    path("v2/portrait/<str:signed>", page_api.portrait_view, name="portrait"),
]
