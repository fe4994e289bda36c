"""The django-lifecheck example project: a tiny site that gates a page behind a liveness check."""
