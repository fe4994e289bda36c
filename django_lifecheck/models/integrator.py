"""The integrator's record of one liveness check of one user."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import Storage, default_storage, storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import conf


class PortraitStorage(Storage):
    """Forwards every call to the storage ``LIFECHECK["PORTRAIT_STORAGE"]`` names *now*.

    Django evaluates a FileField's storage callable once, when the model class is
    built; forwarding at call time keeps the setting lazy, so ``override_settings``
    and settings changed after import are honoured.
    """

    def target(self) -> Storage:
        alias = conf.get("PORTRAIT_STORAGE")
        return storages[alias] if alias else default_storage


def _forward(name: str):
    def method(self: PortraitStorage, *args, **kwargs):
        return getattr(self.target(), name)(*args, **kwargs)

    method.__name__ = name
    return method


for _name in (
    "open",
    "save",
    "get_valid_name",
    "get_alternative_name",
    "get_available_name",
    "generate_filename",
    "path",
    "delete",
    "exists",
    "listdir",
    "size",
    "url",
    "get_accessed_time",
    "get_created_time",
    "get_modified_time",
):
    setattr(PortraitStorage, _name, _forward(_name))


def portrait_storage() -> Storage:
    """The FileField's storage callable (kept as a callable for the migration)."""
    return PortraitStorage()


def portrait_upload_to(instance: LivenessCheck, filename: str) -> str:
    folder = timezone.now().strftime(conf.get("PORTRAIT_UPLOAD_TO"))
    suffix = filename.rsplit(".", 1)[-1] if "." in filename else "jpg"
    return f"{folder}{instance.public_id}.{suffix}"


class Mode(models.TextChoices):
    SILENT = "silent", _("Silent")
    ACTION = "action", _("Action")
    FLASH = "flash", _("Flash")
    ACTION_FLASH = "action+flash", _("Action and flash")


class Status(models.TextChoices):
    CREATED = "created", _("Created")
    PENDING = "pending", _("Pending")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    ERROR = "error", _("Error")
    EXPIRED = "expired", _("Expired")


FINAL_STATUSES = frozenset({Status.PASSED, Status.FAILED, Status.ERROR, Status.EXPIRED})


class LivenessCheckQuerySet(models.QuerySet):
    def for_user(self, user) -> LivenessCheckQuerySet:
        return self.filter(user=user)

    def passed(self) -> LivenessCheckQuerySet:
        return self.filter(status=Status.PASSED)

    def final(self) -> LivenessCheckQuerySet:
        return self.filter(status__in=FINAL_STATUSES)

    def unfinished(self) -> LivenessCheckQuerySet:
        return self.filter(status__in=(Status.CREATED, Status.PENDING))

    def recent(self, max_age: timedelta | None) -> LivenessCheckQuerySet:
        if max_age is None:
            return self
        return self.filter(completed_at__gte=timezone.now() - max_age)

    def latest_passed(self, user, max_age: timedelta | None = None) -> LivenessCheck | None:
        """The user's most recent passed check (younger than ``max_age`` if given)."""
        return self.for_user(user).passed().recent(max_age).order_by("-completed_at").first()


class LivenessCheck(models.Model):
    """One check of one user, from ``init`` to a final status.

    The status is written only by :func:`django_lifecheck.integrator.services.refresh`
    and its siblings in that module, under ``select_for_update``.
    """

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="liveness_checks",
        verbose_name=_("user"),
    )
    provider = models.CharField(_("provider"), max_length=64)
    token = models.CharField(_("token"), max_length=128, blank=True, db_index=True)
    init_task_no = models.CharField(_("init task number"), max_length=64, blank=True)
    result_task_no = models.CharField(_("result task number"), max_length=64, blank=True)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.SILENT)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    colors = models.JSONField(_("colours"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CREATED
    )
    result_code = models.PositiveIntegerField(_("result code"), null=True, blank=True)
    result_message = models.CharField(_("result message"), max_length=255, blank=True)
    portrait = models.FileField(
        _("portrait"),
        upload_to=portrait_upload_to,
        storage=portrait_storage,
        max_length=255,
        blank=True,
    )
    init_payload = models.JSONField(_("init payload"), default=dict, blank=True)
    result_payload = models.JSONField(_("result payload"), default=dict, blank=True)
    next_url = models.CharField(_("next URL"), max_length=2048, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    purged_at = models.DateTimeField(_("personal data purged"), null=True, blank=True)

    objects = LivenessCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("liveness check")
        verbose_name_plural = _("liveness checks")
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["status", "created_at"], name="lifecheck_status_created"),
            models.Index(
                fields=["user", "status", "-completed_at"], name="lifecheck_user_status_done"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and timezone.now() >= self.expires_at
