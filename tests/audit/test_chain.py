"""Append-only, in Python and in the database; the hash chain and `manage.py audit_verify`
finding an edited row, a removed row and a cut-off end."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import HASHED_FIELDS, AppendOnlyError, AuditEntry, ChainHead
from audit.services import audit_record, chain_verify
from audit.triggers import lifted
from tests.audit.conftest import mark, since

A = AuditEntry.Action


@pytest.fixture
def entries(demo, leader):
    """Five entries after the demo's own, by a leader."""
    return [
        audit_record(action=A.EXPORT, user=leader, summary=f"Xuất tệp số {n}") for n in range(1, 6)
    ]


def verify() -> tuple[str, str]:
    """(stdout, error) of `manage.py audit_verify`; error is "" when it exits 0."""
    out = StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as error:
        assert error.returncode == 1
        return out.getvalue(), str(error)
    return out.getvalue(), ""


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# -- the chain ------------------------------------------------------------------------------------


def test_each_entry_links_to_the_one_before(entries):
    ordered = list(AuditEntry.objects.order_by("id"))
    assert [e.id for e in ordered] == list(range(1, len(ordered) + 1))
    assert ordered[0].prev_hash == ""
    for previous, entry in zip(ordered, ordered[1:], strict=False):
        assert entry.prev_hash == previous.hash
    head = ChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (ordered[-1].id, ordered[-1].hash)


def test_verify_says_ok_with_the_count(entries):
    out, error = verify()
    count = AuditEntry.objects.count()
    assert error == ""
    assert out.splitlines() == [f"{count} entries checked.", "OK"]


def test_an_empty_trail_verifies(db):
    out, error = verify()
    assert (out.splitlines(), error) == (["0 entries checked.", "OK"], "")


@pytest.mark.parametrize("field", HASHED_FIELDS)
def test_the_hash_covers_every_field(entries, field):
    entry = AuditEntry.objects.get(pk=entries[2].pk)
    value = getattr(entry, field)
    if isinstance(value, dt.datetime):
        changed = value + dt.timedelta(microseconds=1)
    elif isinstance(value, dict):
        changed = {**value, "x": 1}
    elif isinstance(value, int):
        changed = value + 1
    elif value is None:
        changed = 1
    else:
        changed = value + "x"
    setattr(entry, field, changed)
    assert entry.compute_hash() != entries[2].hash


def test_hash_is_the_same_read_back_from_the_database(entries):
    for entry in AuditEntry.objects.all():
        assert entry.compute_hash() == entry.hash


# -- tampering ------------------------------------------------------------------------------------


def test_an_edited_row_is_found(entries):
    target = entries[2]
    with lifted(connection):
        raw("UPDATE audit_auditentry SET summary = %s WHERE id = %s", ["Đã sửa", target.pk])
    out, error = verify()
    at = timezone.localtime(target.at)
    assert f"{AuditEntry.objects.filter(id__lte=target.id).count()} entries checked." in out
    assert error == (
        f"BROKEN at entry {target.id} ({at:%d/%m/%Y %H:%M:%S}): its content does not match "
        "its hash (edited)."
    )


def test_an_edited_row_with_its_hash_recomputed_breaks_the_next_link(entries):
    target = AuditEntry.objects.get(pk=entries[2].pk)
    target_hash = AuditEntry(
        **{f.attname: getattr(target, f.attname) for f in AuditEntry._meta.fields}
    )
    target_hash.summary = "Đã sửa"
    with lifted(connection):
        raw(
            "UPDATE audit_auditentry SET summary = %s, hash = %s WHERE id = %s",
            ["Đã sửa", target_hash.compute_hash(), target.pk],
        )
    _out, error = verify()
    assert error.startswith(f"BROKEN at entry {entries[3].id} (")
    assert error.endswith("its link to the previous entry does not match.")


def test_a_row_removed_in_the_middle_is_found(entries):
    with lifted(connection):
        raw("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].pk])
    _out, error = verify()
    assert error.startswith(f"BROKEN at entry {entries[2].id} (")
    assert error.endswith(f"entries {entries[1].id}–{entries[1].id} are missing before it.")


def test_rows_cut_off_the_end_are_found(entries):
    with lifted(connection):
        raw("DELETE FROM audit_auditentry WHERE id >= %s", [entries[3].pk])
    _out, error = verify()
    assert error == (
        f"BROKEN at end of the chain: the chain head names entry {entries[4].id} but the last "
        f"entry is {entries[2].id} (entries removed from the end, or the head was changed)."
    )


# -- append-only ----------------------------------------------------------------------------------


def test_the_orm_refuses_to_change_or_remove_an_entry(entries):
    entry = AuditEntry.objects.get(pk=entries[0].pk)
    entry.summary = "Đã sửa"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="Đã sửa")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([entry], ["summary"])
    assert AuditEntry.objects.get(pk=entry.pk).summary == "Xuất tệp số 1"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET summary = 'Đã sửa' WHERE id = %s",
        "UPDATE audit_auditentry SET ip = '10.0.0.1'",
        "DELETE FROM audit_auditentry WHERE id = %s",
        "DELETE FROM audit_auditentry",
    ],
)
def test_the_database_refuses_update_and_delete(entries, sql):
    before = list(AuditEntry.objects.order_by("id").values_list("id", "summary", "ip"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(sql, [entries[0].pk] if "%s" in sql else [])
    assert list(AuditEntry.objects.order_by("id").values_list("id", "summary", "ip")) == before


@pytest.mark.parametrize(
    "sql, message",
    [
        ("UPDATE audit_chainhead SET last_seq = last_seq - 1", "only moves forward"),
        ("UPDATE audit_chainhead SET last_hash = 'x'", "only moves forward"),
        ("UPDATE audit_chainhead SET last_seq = last_seq + 1", "only moves forward"),
        ("DELETE FROM audit_chainhead", "never removed"),
    ],
)
def test_the_database_refuses_to_wind_the_head_back_or_remove_it(entries, sql, message):
    with pytest.raises(DatabaseError, match=message), transaction.atomic():
        raw(sql)
    assert chain_verify().ok


def test_entries_of_a_deleted_or_renamed_account_still_read_as_they_were(demo):
    User = get_user_model()
    person = User.objects.create_user(username="tam", first_name="Tạm", last_name="Thời")
    start = mark()
    audit_record(action=A.LOGIN, user=person, summary="Đăng nhập thành công")
    person.first_name, person.username = "Đổi", "doi-ten"
    person.save()
    [entry] = since(start)
    assert (entry.username, entry.full_name) == ("tam", "Tạm Thời")
    person_id = person.pk
    person.delete()  # the trail holds no database constraint on the account
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.user_id, entry.username, entry.full_name) == (person_id, "tam", "Tạm Thời")
    assert chain_verify().ok


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_trail_and_keeps_the_triggers():
    for n in range(3):
        audit_record(action=A.EXPORT, summary=f"Trước khi làm sạch {n}")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 0
    audit_record(action=A.EXPORT, summary="Sau khi làm sạch")
    assert AuditEntry.objects.get().id == 1
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM audit_auditentry")
    assert chain_verify().ok
