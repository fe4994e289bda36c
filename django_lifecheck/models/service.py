"""The self-hosted service's records: API keys, issued tokens and uploaded frames.

A :class:`ServiceToken` is one check attempt as the *service* sees it (the integrator
keeps its own :class:`~django_lifecheck.models.LivenessCheck`). Its state moves only
through :mod:`django_lifecheck.service.state`, under ``select_for_update``, so that an
upload, a ``fail`` report and the analysis task can never both win.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import conf
from ..protocol import mode_for
from .integrator import portrait_storage

#: Length of the public part of an API key (hex characters), used to find the row.
KEY_PREFIX_LENGTH = 8


def hash_secret(secret: str) -> str:
    """SHA-256 of a key's secret part.

    The secret is 256 bits of randomness, so a plain hash (no salt, no stretching) is
    enough, and it does not depend on ``SECRET_KEY`` (rotating that must not lock every
    integrator out).
    """
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(is_active=True)


class ApiKey(models.Model):
    """A key for ``Authorization: APPCODE <key>``; only its hash is stored.

    The full key is ``<prefix>.<secret>``: the prefix finds the row, the secret is
    compared by hash in constant time.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    rate_limit = models.CharField(
        _("rate limit"),
        max_length=20,
        blank=True,
        help_text=_('Requests per period, e.g. "60/m"; empty for the site default.'),
    )
    daily_quota = models.PositiveIntegerField(
        _("daily quota"),
        null=True,
        blank=True,
        help_text=_("Checks started (init calls) per day; empty for the site default."),
    )
    limits_exempt = models.BooleanField(
        _("exempt from limits"),
        default=False,
        help_text=_("No rate limit and no quota (the in-process local provider's key)."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from ..exceptions import ConfigurationError
        from ..service.limits import parse_rate

        try:
            parse_rate(self.rate_limit)
        except ConfigurationError as exc:
            raise ValidationError({"rate_limit": str(exc)}) from None

    def set_new_key(self) -> str:
        """Give this key a new random value and return it (the only time it is seen)."""
        self.prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
        secret = secrets.token_urlsafe(32)
        self.secret_hash = hash_secret(secret)
        return f"{self.prefix}.{secret}"

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))

    def revoke(self) -> None:
        self.is_active = False
        self.revoked_at = timezone.now()
        self.save(update_fields=["is_active", "revoked_at"])

    @classmethod
    def create_key(cls, name: str, **fields) -> tuple[ApiKey, str]:
        """Create and save a key; return it with the plain key (shown once)."""
        api_key = cls(name=name, **fields)
        plain = api_key.set_new_key()
        api_key.save()
        return api_key, plain


class TokenState(models.TextChoices):
    ISSUED = "issued", _("Issued (waiting for the check)")
    SUBMITTED = "submitted", _("Frames submitted (analysing)")
    DONE = "done", _("Done")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def default_expiry():
    return timezone.now() + timedelta(seconds=conf.get("TOKEN_LIFETIME"))


def service_portrait_upload_to(instance: ServiceToken, filename: str) -> str:
    folder = timezone.now().strftime("lifecheck/service/%Y/%m/")
    return f"{folder}{instance.public_id}-{secrets.token_hex(8)}.jpg"


class ServiceToken(models.Model):
    """One token issued by ``init``: its challenge, state and final result."""

    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("API key")
    )
    task_no = models.CharField(_("init task number"), max_length=64, blank=True)
    return_url = models.CharField(_("return URL"), max_length=255)
    colors = models.JSONField(_("colours"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    #: The flash schedule drawn at init: ``[{"color": "#FFFFFF", "duration_ms": 500}, ...]``.
    flash = models.JSONField(_("flash schedule"), default=list, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=TokenState.choices, default=TokenState.ISSUED
    )
    result_code = models.PositiveIntegerField(_("result code"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    verdict = models.JSONField(_("verdict"), default=dict, blank=True)
    #: What the page reported: client info and the flash steps as actually shown.
    capture = models.JSONField(_("capture details"), default=dict, blank=True)
    portrait = models.FileField(
        _("portrait"),
        upload_to=service_portrait_upload_to,
        storage=portrait_storage,
        max_length=255,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), default=default_expiry)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("service token")
        verbose_name_plural = _("service tokens")
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["state", "expires_at"], name="lifecheck_svc_state_exp")]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.state})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_final(self) -> bool:
        return self.result_code is not None

    @property
    def mode(self) -> str:
        return mode_for(self.flash, self.actions)


class ServiceFrame(models.Model):
    """One uploaded JPEG frame, kept only until the analysis has run (then deleted).

    Frames live in the database, not in file storage: media storage is often public,
    and these are faces.
    """

    token = models.ForeignKey(ServiceToken, on_delete=models.CASCADE, related_name="frames")
    index = models.PositiveIntegerField()
    t_ms = models.PositiveIntegerField()
    color = models.CharField(max_length=7, blank=True)
    prompt = models.CharField(max_length=16, blank=True)
    jpeg = models.BinaryField()

    class Meta:
        ordering = ("token", "index")
        constraints = [
            models.UniqueConstraint(fields=["token", "index"], name="lifecheck_frame_unique_index")
        ]

    def __str__(self) -> str:
        return f"frame {self.index} of {self.token_id}"
