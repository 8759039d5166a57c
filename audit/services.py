"""Recording to the audit trail, and checking the chain.

`audit_record` is called by the action's own service, inside the action's transaction, as its
last step: a rolled-back action leaves no entry, and the chain head's row lock (which
serialises appends) is held only from there to the commit. Nothing after it in the same
transaction should take other row locks (a `select_for_update`, or a write whose foreign keys
are checked at commit), so that the head is always the last lock taken and two actions never
wait on each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from audit import context
from audit.models import AuditEntry, ChainHead

Action = AuditEntry.Action
DETAIL_TEXT_MAX = 500


def _text(value: Any, limit: int) -> str:
    # PostgreSQL refuses NUL in text; the column's length is enforced there too.
    return str(value or "").replace("\x00", "")[:limit]


def _plain(value: Any) -> Any:
    """JSON that reads back identically from SQLite and PostgreSQL's jsonb (so the hash still
    matches): text, whole numbers, booleans and None; anything else as its text."""
    if isinstance(value, dict):
        return {_text(key, 100): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int):
        return value
    return _text(value, DETAIL_TEXT_MAX)


def _membership(user: User | None) -> Any:
    # Duck-typed so this module needs nothing from assessments: a user without one gets None.
    return getattr(user, "membership", None) if user is not None else None


def _limit(name: str) -> int:
    max_length = getattr(AuditEntry._meta.get_field(name), "max_length", None)
    assert isinstance(max_length, int), name
    return max_length


def audit_record(
    *,
    action: str,
    user: User | AnonymousUser | None = None,
    commune: Model | None = None,
    unit: Model | None = None,
    target: Model | None = None,
    target_label: str = "",
    summary: str = "",
    details: dict[str, Any] | None = None,
    username: str = "",
) -> AuditEntry:
    """Append one entry: `user` did `action` to `target` in `commune`.

    `commune` and `unit` default to the user's own (their membership at this moment); pass
    `commune` when the action concerns another one (an administrator working on a commune).
    `target` is any model instance; its label is `target_label` or its text. `username` names
    who tried when there is no user (a failed login)."""
    if user is not None and not user.is_authenticated:
        user = None
    membership = _membership(user)
    if commune is None and membership is not None:
        commune = membership.commune
    # The unit is the person's own, when they act in their own commune.
    if (
        unit is None
        and membership is not None
        and membership.commune_id == getattr(commune, "pk", None)
    ):
        unit = membership.unit
    origin = context.current()
    fields = {
        "user_id": user.pk if user is not None else None,
        "username": _text(user.get_username() if user is not None else username, 150),
        "full_name": _text(user.get_full_name() if user is not None else "", 300),
        "ip": _text(origin.ip, 45),
        "user_agent": _text(origin.user_agent, 300),
        "commune_id": commune.pk if commune is not None else None,
        "commune_name": _text(commune if commune is not None else "", 250),
        "unit_id": unit.pk if unit is not None else None,
        "unit_name": _text(unit if unit is not None else "", 300),
        "action": Action(action).value,
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": _text(target.pk if target is not None else "", 64),
        "target_label": _text(target_label or (target if target is not None else ""), 300),
        "summary": _text(summary, _limit("summary")),
        "details": _plain(details or {}),
    }
    return _append(fields)


def _locked_head() -> ChainHead:
    try:
        return ChainHead.objects.select_for_update().get(pk=1)
    except ChainHead.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            ChainHead.objects.create(pk=1)
    except IntegrityError:
        pass  # another first append created it meanwhile
    return ChainHead.objects.select_for_update().get(pk=1)


def _settle_deferred_checks() -> None:
    """PostgreSQL checks foreign keys at commit (Django declares them deferred), share-locking
    each referenced row only then. Run those checks now, before the chain head is locked:
    the head must stay the last lock the transaction takes, or an action that holds a row
    lock and waits for the head, and one that holds the head and needs that row at commit,
    wait for each other."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        connection.check_constraints()


# No savepoint: if the record fails, the action it records must fail with it.
@transaction.atomic(savepoint=False)
def _append(fields: dict[str, Any]) -> AuditEntry:
    _settle_deferred_checks()
    head = _locked_head()
    entry = AuditEntry(id=head.last_seq + 1, at=timezone.now(), prev_hash=head.last_hash, **fields)
    entry.hash = entry.compute_hash()
    entry.save()
    head.last_seq, head.last_hash = entry.id, entry.hash
    head.save(update_fields=["last_seq", "last_hash"])
    return entry


# -- Verification ------------------------------------------------------------------------------


@dataclass
class ChainCheck:
    count: int
    broken: AuditEntry | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def chain_verify(*, chunk_size: int = 2000) -> ChainCheck:
    """Recompute every entry's hash in order and compare it, its number and its link to the
    previous entry; then the last entry against the chain head (entries cut off the end)."""
    previous_id, previous_hash, count = 0, "", 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=chunk_size):
        count += 1
        if entry.id != previous_id + 1:
            return ChainCheck(
                count, entry, f"entries {previous_id + 1}–{entry.id - 1} are missing before it"
            )
        if entry.prev_hash != previous_hash:
            return ChainCheck(count, entry, "its link to the previous entry does not match")
        if entry.compute_hash() != entry.hash:
            return ChainCheck(count, entry, "its content does not match its hash (edited)")
        previous_id, previous_hash = entry.id, entry.hash
    head = ChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, "")
    if (head_seq, head_hash) != (previous_id, previous_hash):
        return ChainCheck(
            count,
            None,
            f"the chain head names entry {head_seq} but the last entry is {previous_id} "
            "(entries removed from the end, or the head was changed)",
        )
    return ChainCheck(count)
