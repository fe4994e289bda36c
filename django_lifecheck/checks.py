"""System checks for the ``LIFECHECK`` setting (ids ``lifecheck.E0xx`` / ``W0xx``)."""

from __future__ import annotations
