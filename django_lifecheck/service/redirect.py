"""The browser's way back to the integrator: ``{returnUrl}?token=...&success=...``."""

from __future__ import annotations

from ..models import ServiceToken
from ..protocol import Code, return_redirect_url


def return_redirect(token: ServiceToken) -> str | None:
    """The returnUrl with ``token`` and ``success`` appended; ``None`` until final.

    ``success`` is only a hint for the integrator's UI (the protocol says so); the
    integrator's server must still call ``result``.
    """
    if not token.is_final:
        return None
    return return_redirect_url(token.return_url, token.token, token.result_code == Code.OK)
