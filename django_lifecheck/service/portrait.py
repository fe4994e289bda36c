"""Signed, expiring portrait URLs (``v2/portrait/<signed>``).

The URL carries the token's public id signed with :class:`TimestampSigner`: it cannot be
guessed, and it stops working after ``SERVICE_PORTRAIT_URL_MAX_AGE`` seconds. The
integrator is expected to copy the image into its own storage at once.
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from .. import conf
from ..models import ServiceToken
from ..protocol import Code
from ..providers.base import Portrait

SALT = "django_lifecheck.service.portrait"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def portrait_path(token: ServiceToken) -> str:
    """The portrait's URL path (make it absolute with ``request.build_absolute_uri``)."""
    signed = _signer().sign(str(token.public_id))
    return reverse("lifecheck:portrait", args=[signed])


def signed_part(url: str) -> str:
    """The signed value at the end of a portrait URL (absolute or a path)."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def load_portrait(signed: str) -> Portrait | None:
    """The portrait named by a signed value; ``None`` if bad, expired or absent."""
    try:
        public_id = _signer().unsign(signed, max_age=conf.get("SERVICE_PORTRAIT_URL_MAX_AGE"))
    except signing.BadSignature:
        return None
    token = ServiceToken.objects.filter(public_id=public_id, result_code=Code.OK).first()
    if token is None or not token.portrait:
        return None
    with token.portrait.open("rb") as handle:
        return Portrait(content=handle.read(), content_type="image/jpeg")
