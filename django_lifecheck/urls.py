"""The app's URLconf; include it as ``path("lifecheck/", include("django_lifecheck.urls"))``.

Every URL name lives in the ``lifecheck`` namespace. The integrator's views and the
self-hosted service's paths (``api/init``, ``api/result``, ``v2/check/index``, as the
protocol's "self-hosted service's paths" section fixes them) share one include.
"""

from __future__ import annotations

from .integrator.urls import urlpatterns as integrator_urlpatterns
from .service.urls import urlpatterns as service_urlpatterns

app_name = "lifecheck"

urlpatterns = [*integrator_urlpatterns, *service_urlpatterns]
