"""Database outages as a clean "try again later" instead of Django's HTML 500 page.

The machine API and the page's JSON endpoints are read by programs: during a database
restart they must still answer in their own JSON, quickly, so that a client retries
(the ``jumdata`` provider leaves a check pending on the protocol's code 500) and the
page shows its own message. That a request cut off this way leaves nothing
half-written is checked against a real PostgreSQL restart in ``tests/load``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import Error as DjangoDatabaseError

logger = logging.getLogger("django_lifecheck.service")


class DatabaseUnavailable(Exception):
    """The database failed while answering a request (already logged)."""


@contextmanager
def database_errors() -> Iterator[None]:
    """Log a database error with its traceback and turn it into
    :class:`DatabaseUnavailable`.

    Every ``django.db.Error`` counts, not only ``OperationalError``: a dropped
    connection surfaces as ``InterfaceError`` on the next query. A programming error
    (``IntegrityError``, ``ProgrammingError``) gets the same answer but is logged at
    ERROR with its traceback, so it is not hidden.
    """
    try:
        yield
    except DjangoDatabaseError as exc:
        logger.exception("database error while answering a request: %s", exc)
        raise DatabaseUnavailable from exc
