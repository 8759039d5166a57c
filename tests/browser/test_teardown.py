"""A browser test may end while the page still has a request running on the live server.

The test's database is emptied at teardown; on SQLite that fails ("database table is
locked") while the request's thread still reads a table in a transaction, as it did once in
CI after an upload. tests/conftest.py waits for such requests first: without it this test
errors at teardown.
"""

from __future__ import annotations

import time

from django.core.signals import request_started
from django.db import transaction

from criteria.models import Criterion

from .test_phone_first import log_in


def test_a_request_left_running_ends_before_the_database_is_emptied(live_server, demo, page):
    def slow(sender, environ, **kwargs):
        if "slow=1" in environ.get("QUERY_STRING", ""):
            with transaction.atomic():
                list(Criterion.objects.all()[:5])
                time.sleep(2)

    request_started.connect(slow, weak=False, dispatch_uid="test-teardown-slow")
    try:
        log_in(page, live_server.url, "vhxh")
        page.evaluate("fetch('/?slow=1'); 1")  # not awaited: the test ends while it runs
        time.sleep(0.5)
    finally:
        request_started.disconnect(dispatch_uid="test-teardown-slow")
