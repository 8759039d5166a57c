"""Data versions: a token that changes whenever anything an assessment's results, report or
appendix read changes, so that what is computed from them (assessments.selectors'
`assessment_results`, the reports' PDFs) can be cached under it and never be served stale.

The version of an assessment is made of counters in the default cache (Redis with REDIS_URL,
so every node and the worker see the same): a global one, the commune's, the assessment's
(and its previous period's), and for a report's documents the report's own and the
assessments' evidence counters. A write bumps the narrowest counter its row can be tied to
without guessing: a row with an `assessment` bumps that assessment, an evidence row (which
the documents list but no result reads: an upload must not throw the dashboard's results
away) that assessment's evidence counter, a report's section that report, a unit or a
membership its commune; a row tied to none (the criteria, a person's name, the city) bumps
the global counter.
A bump puts a new random token, never a successor, so a counter the cache has lost comes
back as a token nobody cached anything under: a miss, never a stale hit.

Every model of the project's apps is watched (post_save, post_delete, m2m_changed), except
the pure logs (audit, notifications, jobs, sessions, log-in and second-factor records),
which no document reads. A bump happens at once and again when the transaction commits:
a reader between the two computes from the old rows under a version the commit replaces.
Within one transaction each counter is bumped at once on its first write, and again only
after the transaction itself read the version (what it reads next must not be what it
cached), and once at the commit however many rows it wrote (an upload writes five).

Queryset `.update()`, `bulk_create()` and `bulk_update()` send no signals: the services
that use them call `bump_assessment` / `bump_commune` / `bump_all` themselves
(tests/guards/test_versions.py finds any that does not). It lives in `guards`, the
lowest layer, so that every app's services can bump (it names models by label only).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

#: Apps whose rows are logs or sign-in state: no result or document reads them.
UNWATCHED_APPS = frozenset(
    {
        "admin",
        "audit",
        "axes",
        "contenttypes",
        "accounts",
        "jobs",
        "notifications",
        "otp_static",
        "otp_totp",
        "sessions",
    }
)
#: Of Django's own auth app, only the person (whose name a document prints) counts.
WATCHED_AUTH_MODELS = frozenset({"auth.User"})
#: Rows written while a page or file is only read (the verification page counts failures).
UNWATCHED_MODELS = frozenset({"reports.VerificationFailure"})
#: A person's save that changes nothing a document shows (each log-in writes last_login).
QUIET_USER_FIELDS = frozenset({"last_login"})

GLOBAL = "dv:g"
TIMEOUT = None  # counters never expire (a lost one is a miss, see above)


def _key(scope: str, pk: int) -> str:
    return f"dv:{scope}:{pk}"


# -- reading ------------------------------------------------------------------------------------


def _token() -> str:
    return uuid.uuid4().hex[:16]


#: What `_tokens` makes: one token per counter, joined by "-".
VERSION = re.compile(r"[0-9a-f]{16}(?:-[0-9a-f]{16}){0,9}")


def is_version(value: str) -> bool:
    """Whether `value` has the shape of a version (one that came back in a URL: never trusted
    for more than a cache key)."""
    return bool(VERSION.fullmatch(value))


def _tokens(keys: list[str]) -> str:
    pending = _pending()
    if pending is not None:  # read by the writer itself: its next write bumps at once again
        pending.fresh.difference_update(keys)
    found = cache.get_many(keys)
    tokens = []
    for key in keys:
        token = found.get(key)
        if token is None:
            token = _token()
            if not cache.add(key, token, timeout=TIMEOUT):
                token = cache.get(key) or token
        tokens.append(token)
    return "-".join(tokens)


def _assessment_keys(assessment: Any, scopes: tuple[str, ...] = ("a",)) -> list[str]:
    periods = [assessment.pk]
    if getattr(assessment, "previous_id", None):
        periods.append(assessment.previous_id)
    keys = [GLOBAL, _key("c", assessment.commune_id)]
    return keys + [_key(scope, pk) for pk in periods for scope in scopes]


def data_version(assessment: Any) -> str:
    """The version of everything `assessment_results(assessment)` reads (one cache round trip,
    no query)."""
    return _tokens(_assessment_keys(assessment))


def report_version(report: Any, assessment: Any | None = None) -> str:
    """The version of everything the report's and the appendix's documents read: the
    assessment's data and the report's own rows."""
    assessment = assessment or report.assessment
    return _tokens([*_assessment_keys(assessment, ("a", "e")), _key("r", report.pk)])


def code_hash(*paths: Path) -> str:
    """A short hash of source or template files: what is cached from them is keyed by it, so
    a deploy that changes them misses instead of serving what the old code made."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# -- bumping ------------------------------------------------------------------------------------


def _bump_now(keys: Iterable[str]) -> None:
    cache.set_many({key: _token() for key in keys}, timeout=TIMEOUT)


#: Where a database connection keeps its transaction's `_Pending`.
ATTRIBUTE = "cqtt_data_versions"


class _Pending:
    """The counters one transaction has written: `fresh`, those bumped at once since the
    transaction last read them; `keys`, all of them, bumped once more by the first `flush`
    its commit runs (each write registers one, so the commit of any part of the transaction
    that is kept runs at least one)."""

    def __init__(self) -> None:
        self.keys: dict[str, None] = {}
        self.fresh: set[str] = set()
        self.flushed: set[str] = set()

    def flush(self) -> None:
        connection = transaction.get_connection()
        if getattr(connection, ATTRIBUTE, None) is self:
            setattr(connection, ATTRIBUTE, None)  # committed: the next write starts anew
        due = [key for key in self.keys if key not in self.flushed]
        if due:
            self.flushed.update(due)
            _bump_now(due)


def _pending(start: bool = False) -> _Pending | None:
    """The current transaction's `_Pending` (a new one if `start`), None outside one. One
    left by a transaction rolled back is recognised by its flushes being gone from the
    connection's commit callbacks."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    pending = getattr(connection, ATTRIBUTE, None)
    if pending is not None and any(
        getattr(func, "__self__", None) is pending for _, func, _ in connection.run_on_commit
    ):
        return pending
    if not start:
        return None
    pending = _Pending()
    setattr(connection, ATTRIBUTE, pending)
    return pending


def bump(keys: Iterable[str]) -> None:
    """New tokens for `keys` now and again at the commit (see the module's docstring)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return
    pending = _pending(start=True)
    if pending is None:
        _bump_now(keys)
        return
    stale = [key for key in keys if key not in pending.fresh]
    if stale:
        _bump_now(stale)
        pending.fresh.update(stale)
    pending.keys.update(dict.fromkeys(keys))
    pending.flushed.difference_update(keys)
    transaction.on_commit(pending.flush, robust=True)


def bump_assessment(assessment_id: int) -> None:
    bump([_key("a", assessment_id)])


def bump_report(report_id: int) -> None:
    bump([_key("r", report_id)])


def bump_commune(commune_id: int) -> None:
    bump([_key("c", commune_id)])


def bump_all() -> None:
    """Every assessment's version changes (the criteria, a person, a restore)."""
    bump([GLOBAL])


# -- which counter a row bumps --------------------------------------------------------------------

#: Apps whose rows tied to an assessment bump its evidence counter ("e") instead of its own:
#: the report's documents read them, `assessment_results` does not.
EVIDENCE_APPS = frozenset({"evidence"})

# (label of the model, counter) of the rows that name their scope themselves.
SCOPES = {"assessments.Assessment": "a", "assessments.Commune": "c"}
SCOPE_FIELDS = (("assessment", "a"), ("report", "r"), ("commune", "c"))


class _Rule:
    """How to find a row's counter: the foreign keys to follow, then the scope field."""

    def __init__(self, path: list[models.ForeignKey], scope: str, attname: str) -> None:
        self.path = path
        self.scope = scope
        self.attname = attname

    def key(self, instance: models.Model) -> str:
        value: Any = instance
        for index, fk in enumerate(self.path):
            if fk.is_cached(value):
                value = fk.get_cached_value(value)
                if value is None:
                    return GLOBAL
                continue
            rest = [f.name for f in self.path[index + 1 :]] + [self.attname]
            value = (
                fk.related_model._base_manager.filter(pk=getattr(value, fk.attname))
                .values_list("__".join(rest), flat=True)
                .first()
            )
            return GLOBAL if value is None else _key(self.scope, value)
        pk = getattr(value, self.attname)
        return GLOBAL if pk is None else _key(self.scope, pk)


def _direct(model: type[models.Model]) -> tuple[str, str] | None:
    label = model._meta.label
    if label in SCOPES:
        return SCOPES[label], "pk"
    for name, scope in SCOPE_FIELDS:
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: BLE001  (FieldDoesNotExist: no such field)
            continue
        if isinstance(field, models.ForeignKey):
            return scope, field.attname
    return None


def _rule(model: type[models.Model], depth: int = 3) -> _Rule | None:
    """The shortest way from `model` to a scope field (at most `depth` foreign keys)."""
    direct = _direct(model)
    if direct is not None:
        return _Rule([], *direct)
    if depth == 0:
        return None
    best: _Rule | None = None
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey) or field.related_model is model:
            continue
        if not watched(field.related_model) or field.related_model._meta.app_label == "auth":
            continue
        inner = _rule(field.related_model, depth - 1)
        if inner is not None and (best is None or len(inner.path) + 1 < len(best.path)):
            best = _Rule([field, *inner.path], inner.scope, inner.attname)
    return best


def watched(model: type[models.Model]) -> bool:
    label = model._meta.label
    if label in UNWATCHED_MODELS:
        return False
    if model._meta.app_label == "auth":
        return label in WATCHED_AUTH_MODELS
    return model._meta.app_label not in UNWATCHED_APPS


RULES: dict[type[models.Model], _Rule | None] = {}


def key_of(instance: models.Model) -> str:
    """The counter a write of `instance` bumps."""
    model = type(instance)._meta.concrete_model or type(instance)
    if model not in RULES:
        rule = _rule(model)
        if rule is not None and rule.scope == "a" and model._meta.app_label in EVIDENCE_APPS:
            rule = _Rule(rule.path, "e", rule.attname)
        RULES[model] = rule
    rule = RULES[model]
    return GLOBAL if rule is None else rule.key(instance)


def _saved(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if sender._meta.label == "auth.User" and fields and set(fields) <= QUIET_USER_FIELDS:
        return
    bump([key_of(instance)])


def _deleted(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    bump([key_of(instance)])


def _m2m(sender: Any, instance: models.Model, action: str, reverse: bool, **kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    # From the other side (unit.assignment_set.add(...)) the rows changed are the other
    # model's: bump everything rather than look each of them up.
    bump([GLOBAL] if reverse else [key_of(instance)])


def connect() -> None:
    """Watch every model of the project's apps (called by AssessmentsConfig.ready)."""
    for model in apps.get_models():
        if not watched(model):
            continue
        post_save.connect(_saved, sender=model, dispatch_uid=f"dv-save-{model._meta.label}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"dv-del-{model._meta.label}")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _m2m, sender=field.remote_field.through, dispatch_uid=f"dv-m2m-{field}"
            )
