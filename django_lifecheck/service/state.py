"""The only writers of a :class:`ServiceToken`'s state.

Each function locks the row (``select_for_update``) and re-checks the state under the
lock, so two uploads, an upload racing a ``fail`` report, or a late analysis task can
never both win. A final result, once written, is never overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .. import conf
from ..models import ServiceFrame, ServiceToken, TokenState
from ..protocol import Code

logger = logging.getLogger(__name__)


class StateConflict(Exception):
    """The token is not in a state that allows this change (the page gets 409/410)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason  # "expired" or "already_used"
        super().__init__(reason)


def _locked(token_pk: int) -> ServiceToken:
    return ServiceToken.objects.select_for_update().get(pk=token_pk)


def submit(
    token_pk: int,
    frames: Sequence[dict[str, Any]],
    capture: dict[str, Any],
    on_commit: Callable[[], None] | None = None,
) -> ServiceToken:
    """Store an upload's frames and move the token to ``submitted``.

    ``frames`` are dicts with ``t_ms``, ``color``, ``prompt`` and ``jpeg``, already
    validated. ``on_commit`` (enqueueing the analysis) runs only once the frames are
    committed, so a worker can never look for frames that are not there yet.
    """
    with transaction.atomic():
        token = _locked(token_pk)
        if token.is_expired:
            raise StateConflict("expired")
        if token.state != TokenState.ISSUED or token.is_final:
            raise StateConflict("already_used")
        ServiceFrame.objects.bulk_create(
            ServiceFrame(
                token=token,
                index=i,
                t_ms=f["t_ms"],
                color=f["color"] or "",
                prompt=f["prompt"] or "",
                jpeg=f["jpeg"],
            )
            for i, f in enumerate(frames)
        )
        token.state = TokenState.SUBMITTED
        token.capture = capture
        token.submitted_at = timezone.now()
        token.save(update_fields=["state", "capture", "submitted_at"])
        if on_commit is not None:
            transaction.on_commit(on_commit)
    return token


def finish(
    token_pk: int,
    code: int,
    reason: str = "",
    *,
    verdict: dict[str, Any] | None = None,
    portrait_jpeg: bytes | None = None,
    require_issued: bool = False,
) -> ServiceToken:
    """Write the final result (200/202/203) once; drop the frames.

    Returns the token as stored. If a final result already exists it is kept and the
    new one ignored (logged). ``require_issued`` is for the page's ``fail`` report,
    which may only end a check that has not uploaded anything yet; it raises
    :class:`StateConflict` otherwise.
    """
    with transaction.atomic():
        token = _locked(token_pk)
        if require_issued:
            if token.is_expired:
                raise StateConflict("expired")
            if token.state != TokenState.ISSUED or token.is_final:
                raise StateConflict("already_used")
        if token.is_final:
            logger.info(
                "lifecheck: token %s already final (%s), ignoring %s",
                token.public_id,
                token.result_code,
                code,
            )
            return token
        token.state = TokenState.DONE
        token.result_code = code
        token.reason = reason[:64]
        token.verdict = verdict or {}
        token.finished_at = timezone.now()
        if portrait_jpeg:
            token.portrait.save("portrait.jpg", ContentFile(portrait_jpeg), save=False)
        token.save()
        # Privacy: the frames are not needed once there is a result.
        ServiceFrame.objects.filter(token=token).delete()
    return token


def end_stale_analysis(token: ServiceToken) -> ServiceToken:
    """End an upload whose verdict is overdue as 203 ``analysis_timeout``.

    A task worker killed mid-analysis (OOM, SIGKILL, a lost machine) leaves its task
    marked running in the queue, and no queue backend re-runs it: without this the check
    would wait for nothing until the token expires (301). Called lazily by ``result``
    and by the page's status poll, so no extra cron is needed. A verdict that arrives
    later is ignored by :func:`finish` (the first final result wins).
    """
    timeout = conf.get("SERVICE_ANALYSIS_TIMEOUT")
    if (
        timeout is None
        or token.is_final
        or token.state != TokenState.SUBMITTED
        or token.submitted_at is None
        or timezone.now() < token.submitted_at + timedelta(seconds=timeout)
    ):
        return token
    logger.warning(
        "lifecheck: no verdict for token %s %ss after upload; ending it as analysis_timeout",
        token.public_id,
        timeout,
    )
    return finish(token.pk, Code.CHECK_FAILED, "analysis_timeout")
