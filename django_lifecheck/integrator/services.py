"""Starting checks and moving them to a final status: the only status writer.

Every status change of a :class:`~django_lifecheck.models.LivenessCheck` goes through
:func:`transition`, which locks the row with ``select_for_update``, refuses to overwrite
a final status, and queues the matching signal for after the commit. So two requests
racing to finish the same check (the return view, the status poll, the refresh command,
an admin action) produce one final status and one signal, whichever wins.

Network calls (the provider's ``result``, the portrait download) happen before the row
is locked, so a slow vendor never holds a database lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from .. import conf, signals
from ..exceptions import ConfigurationError, InvalidParameter, LifecheckError, ProviderError
from ..models import LivenessCheck, Mode, Status
from ..models.integrator import FINAL_STATUSES
from ..protocol import Code, parse_init
from ..providers import CheckResult, Portrait, get_provider

logger = logging.getLogger("django_lifecheck.integrator")

#: How long after ``expires_at`` a check may still be pending before it is expired
#: locally even when the provider cannot be reached (clock skew, vendor outages).
EXPIRY_GRACE = timedelta(seconds=60)


#: The task-number columns' length. The vendor's are 24 digits, but they come from its
#: JSON: a longer one would fail the row on PostgreSQL (SQLite does not check).
TASK_NO_MAX_LENGTH = 64
#: Largest ``result_code`` every database stores in a PositiveIntegerField.
MAX_STORED_CODE = 2**31 - 1


def storable_code(code: Any) -> int | None:
    """A provider error's ``code`` as it may be stored, or None.

    The code comes from the vendor's JSON: a negative number, a huge one or a boolean
    would break the column (a CHECK constraint or an overflow: the request crashed with
    an IntegrityError). The error message keeps the vendor's value either way.
    """
    if isinstance(code, int) and not isinstance(code, bool) and 0 <= code <= MAX_STORED_CODE:
        return code
    return None


def challenge_for_mode(
    mode: str, actions: Sequence[str] | None = None, colors: Sequence[str] | None = None
) -> tuple[list[str], list[str]]:
    """The actions and colours to request for ``mode``, defaults filled from settings.

    Raises :class:`InvalidParameter` for a mode the site does not allow.
    """
    if mode not in Mode.values:
        raise InvalidParameter("mode", f"unknown mode {mode!r}")
    if mode not in conf.get("ALLOWED_MODES"):
        raise InvalidParameter("mode", f"mode {mode!r} is not allowed on this site")
    wants_actions = mode in (Mode.ACTION, Mode.ACTION_FLASH)
    wants_flash = mode in (Mode.FLASH, Mode.ACTION_FLASH)
    chosen_actions = list(actions or conf.get("DEFAULT_ACTIONS")) if wants_actions else []
    chosen_colors = list(colors or conf.get("DEFAULT_COLORS")) if wants_flash else []
    if wants_actions and wants_flash and "LookFront" not in chosen_actions:
        # The protocol requires LookFront when flash and actions are combined: the
        # flash runs while the user looks straight at the camera.
        chosen_actions.insert(0, "LookFront")
    return chosen_actions, chosen_colors


def start_check(
    user: Any,
    *,
    return_url: str,
    mode: str = Mode.SILENT,
    actions: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
    next_url: str = "",
    provider: str | None = None,
) -> LivenessCheck:
    """Create a check for ``user`` and ask the provider for a token.

    On success the check is ``pending`` and ``check_started`` is queued; the caller
    sends the browser to ``provider.h5_url(check.token)``. A provider failure leaves
    the check in ``error`` (so nothing is lost) and re-raises for the caller to show.
    """
    chosen_actions, chosen_colors = challenge_for_mode(mode, actions, colors)
    params = parse_init(return_url, chosen_colors, chosen_actions)
    backend = get_provider(provider)
    check = LivenessCheck.objects.create(
        user=user,
        provider=backend.alias,
        mode=params.mode,
        actions=list(params.actions),
        colors=list(params.colors),
        next_url=next_url,
    )
    try:
        init = backend.init(params.return_url, colors=params.colors, actions=params.actions)
        token_max = LivenessCheck._meta.get_field("token").max_length
        if len(init.token) > token_max:
            # A cut token would never find its result; refuse it like a bad answer.
            raise ProviderError(
                f"The provider's token is {len(init.token)} characters long; "
                f"at most {token_max} can be stored."
            )
    except LifecheckError as exc:
        transition(
            check,
            Status.ERROR,
            result_message=str(exc)[:255],
            result_code=storable_code(getattr(exc, "code", None)),
        )
        raise
    lifetime = timedelta(seconds=conf.get("TOKEN_LIFETIME"))
    transition(
        check,
        Status.PENDING,
        token=init.token,
        init_task_no=init.task_no[:TASK_NO_MAX_LENGTH],
        init_payload=dict(init.raw),
        expires_at=timezone.now() + lifetime,
    )
    check.refresh_from_db()
    return check


def refresh(check: LivenessCheck) -> LivenessCheck:
    """Ask the provider for the result of ``check`` and record a final one.

    Returns the check as stored afterwards. A pending answer (201) or a retryable
    provider error leaves it pending for a later refresh, until it is past its expiry,
    when it is expired locally.
    """
    if check.is_final:
        return check
    if not check.token:
        return _expire_if_due(check)
    try:
        backend = get_provider(check.provider)
        result = backend.result(check.token)
    except ConfigurationError as exc:
        # The provider was removed or disabled (e.g. the sandbox with DEBUG off) after
        # the check started: nothing can be asked; it expires in due course.
        logger.error("Cannot refresh check %s: %s", check.public_id, exc)
        return _expire_if_due(check)
    except ProviderError as exc:
        if exc.retryable:
            logger.warning("Result of check %s not available yet: %s", check.public_id, exc)
            return _expire_if_due(check)
        logger.error("Result of check %s failed: %s", check.public_id, exc)
        return transition(
            check, Status.ERROR, result_code=storable_code(exc.code), result_message=str(exc)[:255]
        )
    return record_result(check, result, backend=backend)


def refresh_until_final(check: LivenessCheck, attempts: int, interval: float) -> LivenessCheck:
    """:func:`refresh` up to ``attempts`` times while the provider says 201 (bounded)."""
    for attempt in range(max(attempts, 1)):
        check = refresh(check)
        if check.is_final:
            break
        if attempt + 1 < attempts and interval > 0:
            time.sleep(interval)
    return check


def record_result(
    check: LivenessCheck, result: CheckResult, *, backend: Any = None
) -> LivenessCheck:
    """Record a provider result: map its code to a status and keep the portrait."""
    if result.pending:
        return _expire_if_due(check)
    status = {
        Code.OK: Status.PASSED,
        Code.NOT_PASSED: Status.FAILED,
        Code.CHECK_FAILED: Status.ERROR,
        Code.EXPIRED: Status.EXPIRED,
    }.get(result.code, Status.ERROR)
    portrait: Portrait | None = None
    portrait_error = ""
    if status == Status.PASSED:
        backend = backend or get_provider(check.provider)
        try:
            portrait = backend.fetch_portrait(result)
        except ProviderError as exc:
            # The verdict stands; the missing portrait is visible in the admin.
            portrait_error = str(exc)
            logger.warning("Portrait of check %s not stored: %s", check.public_id, exc)
    payload = dict(result.raw)
    if portrait_error:
        payload["portrait_error"] = portrait_error
    return transition(
        check,
        status,
        result_code=int(result.code),
        result_message=(result.message or "")[:255],
        result_task_no=result.task_no[:TASK_NO_MAX_LENGTH],
        result_payload=payload,
        portrait=portrait,
        result=result,
    )


def expire(check: LivenessCheck) -> LivenessCheck:
    """Mark ``check`` expired (admin action, refresh command); final ones are kept."""
    return transition(check, Status.EXPIRED, result_code=int(Code.EXPIRED))


def _expire_if_due(check: LivenessCheck) -> LivenessCheck:
    deadline = check.expires_at or (
        check.created_at + timedelta(seconds=conf.get("TOKEN_LIFETIME"))
    )
    if timezone.now() >= deadline + EXPIRY_GRACE:
        return expire(check)
    return check


_SIGNAL_FOR_STATUS: dict[str, Signal] = {
    Status.PENDING: signals.check_started,
    Status.PASSED: signals.check_passed,
    Status.FAILED: signals.check_failed,
    Status.ERROR: signals.check_failed,
    Status.EXPIRED: signals.check_expired,
}


def transition(
    check: LivenessCheck,
    status: str,
    *,
    portrait: Portrait | None = None,
    result: CheckResult | None = None,
    **fields: Any,
) -> LivenessCheck:
    """Move ``check`` to ``status`` under a row lock; the only place statuses change.

    A check already in a final status is returned unchanged (first final status wins).
    The matching signal is sent once, after the transaction commits.
    """
    with transaction.atomic():
        # Claim the change with one conditional UPDATE before reading the row. It is
        # atomic on every database; select_for_update alone is not (SQLite ignores it:
        # racers all read "pending", then all but one fail with "database is locked"
        # after saving a portrait file each). A racer that loses updates no row.
        claimed = (
            LivenessCheck.objects.filter(pk=check.pk)
            .exclude(status__in=FINAL_STATUSES)
            .exclude(status=status)
            .update(status=status)
        )
        locked = LivenessCheck.objects.select_for_update().get(pk=check.pk)
        if not claimed:
            return locked
        locked.status = status
        for name, value in fields.items():
            if value is not None:
                setattr(locked, name, value)
        if status in FINAL_STATUSES:
            locked.completed_at = timezone.now()
        if portrait is not None:
            suffix = "png" if portrait.content_type == "image/png" else "jpg"
            locked.portrait.save(f"portrait.{suffix}", ContentFile(portrait.content), save=False)
        locked.save()
        signal = _SIGNAL_FOR_STATUS.get(status)
        if signal is not None:
            transaction.on_commit(lambda: send_signal(signal, locked, result))
    return locked


def send_signal(signal: Signal, check: LivenessCheck, result: CheckResult | None) -> None:
    """Send ``signal`` robustly: a failing receiver is logged, never raised.

    Django's ``send_robust`` logs the traceback itself (logger ``django.dispatch``);
    the line added here names the signal and the check, without the traceback again.
    """
    extra: dict[str, Any] = {}
    if signal is signals.check_failed:
        extra = {"code": check.result_code, "reason": check.result_message}
    responses = signal.send_robust(
        sender=LivenessCheck, check=check, user=check.user, result=result, **extra
    )
    for receiver, response in responses:
        if isinstance(response, Exception):
            logger.error(
                "Receiver %r of %s for check %s raised %r (traceback: django.dispatch)",
                receiver,
                _signal_name(signal),
                check.public_id,
                response,
            )


def _signal_name(signal: Signal) -> str:
    for name in ("check_started", "check_passed", "check_failed", "check_expired"):
        if getattr(signals, name) is signal:
            return name
    return repr(signal)


def refresh_unfinished() -> dict[str, int]:
    """Refresh every unfinished check (the ``lifecheck_refresh`` command's work)."""
    counts: dict[str, int] = {}
    for check in LivenessCheck.objects.unfinished().order_by("created_at").iterator():
        try:
            check = refresh(check)
        except Exception:
            logger.exception("Refreshing check %s failed", check.public_id)
            counts["crashed"] = counts.get("crashed", 0) + 1
            continue
        counts[check.status] = counts.get(check.status, 0) + 1
    return counts


def purge(checks: Iterable[LivenessCheck]) -> int:
    """Delete the personal data of ``checks`` (portraits, payloads); keep the audit row.

    The file goes first, then one conditional UPDATE (no read-then-write transaction,
    which SQLite answers with "database is locked" when a check is finished at the
    same moment): a failure in between leaves no personal data behind, only a row that
    still names a deleted file, which the next purge clears.
    """
    purged = 0
    for check in checks:
        if check.portrait:
            check.portrait.storage.delete(check.portrait.name)
        purged += LivenessCheck.objects.filter(pk=check.pk, purged_at__isnull=True).update(
            portrait="", init_payload={}, result_payload={}, purged_at=timezone.now()
        )
    return purged
