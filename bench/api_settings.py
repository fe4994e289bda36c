"""Settings of ``bench/api.py``: the load tests' production stack plus a bare JSON view.

The bare view lives only here (``bench/api_urls.py``), never in the library or the
example project: it is the baseline that ``init`` and ``result`` are compared with.
"""

from __future__ import annotations

from tests.load.stack_settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
