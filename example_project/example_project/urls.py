"""URLs: the demo pages, login/logout, the admin, and django-lifecheck under ``lifecheck/``."""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("demo.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # The documented mount point: the self-hosted service answers at /lifecheck/api/init.
    path("lifecheck/", include("django_lifecheck.urls")),
]

if settings.DEBUG:
    # Portraits are saved in MEDIA_ROOT; a real deployment serves them from its web server.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
