"""The migration that brings in the code alphabet checks the stored codes first and reverses."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("criteria", "0002_scoring_rules")]
AFTER = [("criteria", "0003_code_safe_alphabet")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_unsafe_stored_codes_stop_the_migration_until_fixed_and_it_reverses():
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        apps = migrate(BEFORE)
        CriteriaSet = apps.get_model("criteria", "CriteriaSet")
        Criterion = apps.get_model("criteria", "Criterion")
        criteria_set = CriteriaSet.objects.create(title="Cũ")
        bad = Criterion.objects.create(
            criteria_set=criteria_set, code="1'+alert(origin)+'", title="A", max_points=1
        )

        with pytest.raises(RuntimeError, match=r"set \d+: \"1'\+alert\(origin\)\+'\""):
            migrate(AFTER)

        Criterion.objects.filter(pk=bad.pk).update(code="1")
        apps = migrate(AFTER)
        Criterion = apps.get_model("criteria", "Criterion")
        with pytest.raises(IntegrityError), transaction.atomic():
            Criterion.objects.filter(pk=bad.pk).update(code="1 <b>")

        apps = migrate(BEFORE)  # reversible: the constraint goes, the rows stay
        Criterion = apps.get_model("criteria", "Criterion")
        Criterion.objects.filter(pk=bad.pk).update(code="1 <b>")
        assert Criterion.objects.get(pk=bad.pk).code == "1 <b>"
        Criterion.objects.filter(pk=bad.pk).update(code="1")
    finally:
        migrate(leaf)
