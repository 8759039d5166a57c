"""Pinning how many queries a page or a read costs (healthchecks' `assertNumQueries`, with
the SQL listed when the pin fails).

    # Expect 3 queries: the report (with its commune), its latest file, the trust anchors.
    with exactly(3, "report, latest file, trust anchors"):
        client.get(url)

    # Expect at most 10: session, user, membership, ...
    with at_most(10, "session, user, membership, ...") as few:
        client.get(url)
    ...  # add rows
    with at_most(10, "...") as many:
        client.get(url)
    assert len(many) == len(few)  # does not grow with the rows

The captured queries are those of the block, on the default database; `len()` counts them
and iterating gives Django's {"sql", "time"} dicts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

SQL_SHOWN = 300  # characters of each query in a failure's list
# The selected columns say little and hide the tables and conditions: shown as "…".
_COLUMNS = re.compile(r"^SELECT (DISTINCT )?.*? FROM ", re.DOTALL)


def listed(captured: CaptureQueriesContext) -> str:
    """The block's queries, numbered, one a line."""
    return "\n".join(
        f"{number}. {_shown(query['sql'])}"
        for number, query in enumerate(captured.captured_queries, start=1)
    )


def _shown(sql: str) -> str:
    return _COLUMNS.sub(r"SELECT \1… FROM ", sql)[:SQL_SHOWN]


@contextmanager
def _pinned(expected: int, why: str, *, exact: bool, using: str) -> Iterator[CaptureQueriesContext]:
    with CaptureQueriesContext(connections[using]) as captured:
        yield captured
    count = len(captured)
    if count > expected or (exact and count != expected):
        bound = "exactly" if exact else "at most"
        pytest.fail(
            f"{count} queries, expected {bound} {expected} ({why}):\n{listed(captured)}",
            pytrace=False,
        )


def at_most(
    ceiling: int, why: str, *, using: str = "default"
) -> AbstractContextManager[CaptureQueriesContext]:
    """Fail when the block runs more than `ceiling` queries; `why` names those expected."""
    return _pinned(ceiling, why, exact=False, using=using)


def exactly(
    count: int, why: str, *, using: str = "default"
) -> AbstractContextManager[CaptureQueriesContext]:
    """Fail unless the block runs `count` queries; `why` names them."""
    return _pinned(count, why, exact=True, using=using)
