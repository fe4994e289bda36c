"""``task`` from Django's own ``django.tasks`` (Django 6+) or the ``django-tasks`` backport."""

from __future__ import annotations

try:  # Django >= 6.0
    from django.tasks import task
except ImportError:  # pragma: no cover - depends on the Django version
    from django_tasks import task

__all__ = ["task"]
