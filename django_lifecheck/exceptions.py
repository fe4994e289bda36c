"""Exceptions raised by django-lifecheck.

Provider errors carry the HTTP response (when there was one) so that callers and the
admin can show what the vendor said, in the way django-anymail's errors do.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured


class LifecheckError(Exception):
    """Base class for every error raised by this package."""


class ConfigurationError(LifecheckError, ImproperlyConfigured):
    """The ``LIFECHECK`` setting is wrong; the message names the exact key."""


class InvalidParameter(LifecheckError, ValueError):
    """An init/result parameter broke a protocol rule (the protocol's code 400)."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__(f"{param}: {message}")


class ProviderError(LifecheckError):
    """A provider call failed.

    ``retryable`` tells :func:`django_lifecheck.integrator.services.refresh` whether
    asking again later may help (timeouts, 5xx) or not (bad key, parameter error).
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        response: Any = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.response = response
        if retryable is not None:
            self.retryable = retryable


class ProviderTimeout(ProviderError):
    """The provider did not answer in time; the outcome is unknown."""

    retryable = True


class ProviderUnavailable(ProviderError):
    """Connection errors, 5xx, maintenance (500): try again later."""

    retryable = True


class ProviderAPIError(ProviderError):
    """The provider answered with a protocol error code (400, 604, 606, 609, ...)."""


class GatewayError(ProviderError):
    """The cloud API market's gateway refused the call (``X-Ca-Error-*`` headers)."""

    def __init__(
        self,
        message: str,
        *,
        error_code: str,
        status: int,
        response: Any = None,
        retryable: bool | None = None,
    ) -> None:
        if retryable is None:
            retryable = status == 429 or status >= 500
        super().__init__(message, response=response, retryable=retryable)
        self.error_code = error_code
        self.status = status


class EngineUnavailable(LifecheckError):
    """The engine extra (numpy, Pillow, ai-edge-litert) is not installed."""
