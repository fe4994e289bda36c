"""The production profile plus one test-only app that records signals in PostgreSQL.

The load tests run the example project exactly as ``example_project.production``
configures it; the only addition is :mod:`tests.load.recorder`, whose receivers write
one row per signal into a table of the same database. Signals fire in several processes
(gunicorn workers, the integrator driver, ``lifecheck_refresh``), so counting them in
one process's memory would prove nothing.
"""

from __future__ import annotations

from example_project.production import *  # noqa: F403
from example_project.production import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.load.recorder.RecorderConfig"]
