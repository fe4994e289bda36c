"""Dropping personal data the service no longer needs.

Frames are deleted as soon as a result exists (:func:`.state.finish`), but an upload
whose analysis never ran (a worker down) would keep its frames; and portraits stay in
storage after every URL to them has expired. :func:`purge` removes both. Run it from
cron or a periodic task (``manage.py lifecheck_service_purge``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from .. import conf
from ..models import ServiceFrame, ServiceToken

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeReport:
    frames: int
    portraits: int


def purge(now: datetime | None = None) -> PurgeReport:
    """Delete frames of expired tokens and portraits no URL can still reach."""
    now = now or timezone.now()
    frames, _ = ServiceFrame.objects.filter(token__expires_at__lte=now).delete()
    # A faceImageUrl handed out just before expiry works for max_age more seconds.
    cutoff = now - timedelta(seconds=conf.get("SERVICE_PORTRAIT_URL_MAX_AGE"))
    portraits = 0
    for token in ServiceToken.objects.filter(expires_at__lte=cutoff).exclude(portrait=""):
        try:
            token.portrait.delete(save=False)
        except OSError:
            logger.exception("lifecheck: could not delete portrait of token %s", token.public_id)
            continue
        ServiceToken.objects.filter(pk=token.pk).update(portrait="")
        portraits += 1
    return PurgeReport(frames=frames, portraits=portraits)
