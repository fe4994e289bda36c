"""Admin for reviewers: every check, its portrait and what the provider answered.

Portraits are personal data, so they are served through an admin view that requires
the ``view`` permission rather than linked from a public ``MEDIA_URL``.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .integrator import services
from .models import LivenessCheck
from .service import admin as _service_admin  # noqa: F401  (registers ApiKey, ServiceToken)


def _pretty_json(value: object) -> str:
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
        json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True),
    )


@admin.register(LivenessCheck)
class LivenessCheckAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "user",
        "status",
        "mode",
        "provider",
        "result_code",
        "created_at",
        "completed_at",
        "portrait_thumbnail",
    )
    list_filter = ("status", "mode", "provider", "created_at")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ("refresh_result", "mark_expired")
    fields = (
        "public_id",
        "user",
        "status",
        "mode",
        "actions",
        "colors",
        "provider",
        "token",
        "init_task_no",
        "result_task_no",
        "result_code",
        "result_message",
        "portrait_preview",
        "next_url",
        "created_at",
        "expires_at",
        "completed_at",
        "purged_at",
        "init_payload_pretty",
        "result_payload_pretty",
    )
    readonly_fields = fields

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        username = get_user_model().USERNAME_FIELD
        return (f"user__{username}", "token", "=public_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        # Checks are an audit trail: every field is read-only and there is nothing to
        # save. Status changes happen only through the actions (the one status writer).
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # -- portrait -------------------------------------------------------------------
    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<int:pk>/portrait/",
                self.admin_site.admin_view(self.portrait_view),
                name="{}_{}_portrait".format(*info),
            ),
            *super().get_urls(),
        ]

    def portrait_view(self, request: HttpRequest, pk: int) -> FileResponse:
        check = get_object_or_404(LivenessCheck, pk=pk)
        if not self.has_view_permission(request, check) or not check.portrait:
            raise Http404
        response = FileResponse(check.portrait.open("rb"), content_type="image/jpeg")
        response["Cache-Control"] = "private, no-store"
        return response

    def _portrait_url(self, obj: LivenessCheck) -> str:
        info = obj._meta.app_label, obj._meta.model_name
        return reverse("admin:{}_{}_portrait".format(*info), args=[obj.pk])

    @admin.display(description=_("portrait"))
    def portrait_thumbnail(self, obj: LivenessCheck) -> str:
        if not obj.portrait:
            return "—"
        return format_html(
            '<img src="{}" alt="" style="height: 48px; border-radius: 4px">',
            self._portrait_url(obj),
        )

    @admin.display(description=_("portrait"))
    def portrait_preview(self, obj: LivenessCheck) -> str:
        if not obj.portrait:
            return "—"
        return format_html(
            '<img src="{}" alt="" style="max-height: 320px; border-radius: 6px">',
            self._portrait_url(obj),
        )

    @admin.display(description=_("init payload"))
    def init_payload_pretty(self, obj: LivenessCheck) -> str:
        return _pretty_json(obj.init_payload)

    @admin.display(description=_("result payload"))
    def result_payload_pretty(self, obj: LivenessCheck) -> str:
        return _pretty_json(obj.result_payload)

    # -- actions --------------------------------------------------------------------
    @admin.action(description=_("Refresh the result from the provider"), permissions=["change"])
    def refresh_result(self, request: HttpRequest, queryset) -> None:
        finished = 0
        for check in queryset.unfinished():
            if services.refresh(check).is_final:
                finished += 1
        self.message_user(
            request,
            ngettext("%d check finished.", "%d checks finished.", finished) % finished,
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark as expired"), permissions=["change"])
    def mark_expired(self, request: HttpRequest, queryset) -> None:
        count = 0
        for check in queryset.unfinished():
            services.expire(check)
            count += 1
        self.message_user(
            request,
            ngettext("%d check marked expired.", "%d checks marked expired.", count) % count,
            messages.SUCCESS,
        )
