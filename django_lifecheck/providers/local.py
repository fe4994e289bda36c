"""The ``local`` provider: this app's own self-hosted service, called in-process.

No HTTP: :meth:`init` and :meth:`result` call the very functions behind the service's
``api/init`` and ``api/result`` views (:mod:`django_lifecheck.service.api`), so the
answers (codes, limits, validation, expiry) are the same as over the wire.

Options:

``api_key``
    Name of the :class:`~django_lifecheck.models.ApiKey` the checks are issued under.
    Default: an internal key named ``"local"``, created on first use, exempt from the
    rate limit and quota (the site is calling itself).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.urls import reverse

from ..exceptions import ConfigurationError, ProviderAPIError, ProviderUnavailable
from ..models import ApiKey
from ..protocol import TRANSIENT_CODES, TRY_LATER_CODES, Code, join_list
from .base import BaseProvider, CheckResult, InitResult, Portrait

#: Name of the key created automatically when no ``api_key`` option is given.
INTERNAL_KEY_NAME = "local"
RESULT_CODES = frozenset({Code.OK, Code.PENDING, Code.NOT_PASSED, Code.CHECK_FAILED, Code.EXPIRED})


class LocalProvider(BaseProvider):
    """The self-hosted service in this process (see the module docstring)."""

    def api_key(self) -> ApiKey:
        """The key to act as; looked up on every call (keys can be revoked any time)."""
        name = self.options.get("api_key")
        if name:
            try:
                return ApiKey.objects.get(name=name)
            except ApiKey.DoesNotExist:
                raise ConfigurationError(
                    f"LIFECHECK['PROVIDERS'][{self.alias!r}]['OPTIONS']['api_key'] = "
                    f"{name!r}: no API key has that name (create it with "
                    "'manage.py lifecheck_apikey create')."
                ) from None
        api_key = ApiKey.objects.filter(name=INTERNAL_KEY_NAME).first()
        if api_key is not None:
            return api_key
        try:
            with transaction.atomic():
                # Nobody needs the plain key: the provider never goes over HTTP.
                api_key, _plain = ApiKey.create_key(INTERNAL_KEY_NAME, limits_exempt=True)
        except IntegrityError:  # another process created it first
            api_key = ApiKey.objects.get(name=INTERNAL_KEY_NAME)
        return api_key

    def init(
        self, return_url: str, *, colors: Sequence[str] = (), actions: Sequence[str] = ()
    ) -> InitResult:
        from ..service import api

        params = {"returnUrl": return_url, "colors": join_list(colors)}
        params["actions"] = join_list(actions)
        answer = api.init(self.api_key(), params)
        body = answer.body()
        if answer.code != Code.OK:
            raise _error(body)
        return InitResult(token=answer.data["token"], task_no=answer.task_no, raw=body)

    def result(self, token: str) -> CheckResult:
        from ..service import api

        answer = api.result(self.api_key(), {"token": token})
        body = answer.body()
        if answer.code not in RESULT_CODES:
            raise _error(body)
        data = answer.data or {}
        return CheckResult(
            code=answer.code,
            message=body["msg"],
            task_no=answer.task_no,
            face_image_url=data.get("faceImageUrl") or None,
            raw=body,
        )

    def h5_base(self) -> str:
        """The service's H5 base path (``/lifecheck/v2`` with the documented include)."""
        return reverse("lifecheck:check_index").removesuffix("/check/index")

    def fetch_portrait(self, result: CheckResult) -> Portrait | None:
        """Read the portrait straight from storage (no HTTP to ourselves)."""
        if not result.face_image_url:
            return None
        from ..service.portrait import load_portrait, signed_part

        return load_portrait(signed_part(result.face_image_url))


def _error(body: dict) -> ProviderAPIError:
    code = body["code"]
    message = f"The local service answered {code}: {body['msg']}"
    if code in TRANSIENT_CODES:
        return ProviderUnavailable(message, code=code, response=body)
    # 606 / 609 say "try again later": a pending check waits for the refresher.
    return ProviderAPIError(message, code=code, response=body, retryable=code in TRY_LATER_CODES)
