"""Models: the integrator's :class:`LivenessCheck` and the service's keys and tokens."""

from .integrator import LivenessCheck, LivenessCheckQuerySet, Mode, Status
from .service import ApiKey, ServiceFrame, ServiceToken, TokenState

__all__ = [
    "ApiKey",
    "LivenessCheck",
    "LivenessCheckQuerySet",
    "Mode",
    "ServiceFrame",
    "ServiceToken",
    "Status",
    "TokenState",
]
