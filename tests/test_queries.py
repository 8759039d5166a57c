"""The query-count helper fails with the queries listed, and passes within its pin."""

import pytest
from django.contrib.auth import get_user_model

from tests.queries import at_most, exactly

pytestmark = pytest.mark.django_db


def two_queries() -> None:
    User = get_user_model()
    list(User.objects.filter(username="a"))
    list(User.objects.filter(username="b"))


def test_within_the_ceiling_the_block_passes_and_the_queries_are_counted():
    with at_most(2, "two look-ups") as captured:
        two_queries()
    assert len(captured) == 2
    with exactly(2, "two look-ups"):
        two_queries()


def test_over_the_ceiling_fails_with_the_reason_and_the_sql():
    with pytest.raises(pytest.fail.Exception) as failure, at_most(1, "one look-up by name"):
        two_queries()
    message = str(failure.value)
    assert message.startswith("2 queries, expected at most 1 (one look-up by name):")
    assert '1. SELECT … FROM "auth_user" WHERE "auth_user"."username" = ' in message
    assert '2. SELECT … FROM "auth_user" WHERE "auth_user"."username" = ' in message


def test_exactly_fails_below_the_count_too():
    failing = pytest.raises(pytest.fail.Exception, match="1 queries, expected exactly 2")
    with failing, exactly(2, "two look-ups"):
        list(get_user_model().objects.all())
