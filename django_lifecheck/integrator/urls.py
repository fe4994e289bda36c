from __future__ import annotations

from django.urls import path

from ..providers import sandbox
from . import views

urlpatterns = [
    path("start/", views.start, name="start"),
    path("return/", views.return_view, name="return"),
    path("status/<uuid:public_id>/", views.status, name="status"),
    path("sandbox/check/index", sandbox.sandbox_page, name="sandbox_page"),
    path("sandbox/portrait/<str:token>.jpg", sandbox.sandbox_portrait, name="sandbox_portrait"),
]
