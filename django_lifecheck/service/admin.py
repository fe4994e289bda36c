"""Admin for the self-hosted service: API keys and a read-only audit of issued tokens.

A key's secret is shown once, in a message, when the key is created; only its hash is
stored and the admin never shows even that. Tokens are evidence, so they are view-only;
the token string itself (the page's capability) is not displayed, the public id is.

Imported by :mod:`django_lifecheck.admin`; registering happens at import.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import ApiKey, ServiceToken


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "prefix",
        "is_active",
        "rate_limit",
        "daily_quota",
        "limits_exempt",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("is_active", "limits_exempt")
    search_fields = ("name", "prefix")
    fields = (
        "name",
        "is_active",
        "rate_limit",
        "daily_quota",
        "limits_exempt",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke_keys",)

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        plain = None if change else obj.set_new_key()
        super().save_model(request, obj, form, change)
        if plain is not None:
            messages.warning(
                request,
                format_html(
                    _(
                        "The new API key is <code>{key}</code>. Copy it now: it is not stored "
                        "and cannot be shown again. Send it as the header "
                        "<code>Authorization: APPCODE {key}</code>."
                    ),
                    key=plain,
                ),
            )

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke_keys(self, request: HttpRequest, queryset) -> None:
        count = 0
        for api_key in queryset.filter(is_active=True):
            api_key.revoke()
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ServiceToken)
class ServiceTokenAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "api_key",
        "mode",
        "state",
        "result_code",
        "reason",
        "created_at",
        "expires_at",
    )
    list_filter = ("state", "result_code", "api_key")
    search_fields = ("public_id", "task_no", "api_key__name")
    date_hierarchy = "created_at"
    list_select_related = ("api_key",)
    fields = (
        "public_id",
        "api_key",
        "task_no",
        "return_url",
        "mode",
        "actions",
        "colors",
        "flash",
        "state",
        "result_code",
        "reason",
        "verdict_pretty",
        "capture_pretty",
        "created_at",
        "expires_at",
        "submitted_at",
        "finished_at",
    )
    readonly_fields = fields

    @admin.display(description=_("mode"))
    def mode(self, obj: ServiceToken) -> str:
        return obj.mode

    @admin.display(description=_("verdict"))
    def verdict_pretty(self, obj: ServiceToken) -> str:
        return _pretty_json(obj.verdict)

    @admin.display(description=_("capture details"))
    def capture_pretty(self, obj: ServiceToken) -> str:
        return _pretty_json(obj.capture)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _pretty_json(value: object) -> str:
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
        json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True),
    )
