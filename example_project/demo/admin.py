from __future__ import annotations

from django.contrib import admin

from .models import KycProfile


@admin.register(KycProfile)
class KycProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "verified_at", "liveness_check")
    list_select_related = ("user", "liveness_check")
    search_fields = ("user__username",)
    raw_id_fields = ("user", "liveness_check")
