"""``LIFECHECK["SERVICE_ENABLED"] = False`` turns the service's URLs into 404s.

A site that only uses a remote provider should not expose an API and an upload
endpoint it does not mean to run. Checked per request (settings are read lazily).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse

from .. import conf


def service_enabled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not conf.get("SERVICE_ENABLED"):
            raise Http404("The self-hosted liveness service is not enabled.")
        return view(request, *args, **kwargs)

    return wrapper
