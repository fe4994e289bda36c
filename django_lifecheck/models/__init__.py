"""Models: the integrator's :class:`LivenessCheck` and the service's keys and tokens."""

from .integrator import LivenessCheck, LivenessCheckQuerySet, Mode, Status

__all__ = ["LivenessCheck", "LivenessCheckQuerySet", "Mode", "Status"]
