"""Hostile input at every endpoint: never a server error, nothing half-written.

The endpoints come from the URL resolver. What each one reads comes from its code: the
Django forms it binds to `request.POST`/`request.GET` and the names it reads from
`request.POST`/`GET`/`FILES` (also through helpers it passes the request to).
`test_every_form_on_the_pages_is_fuzzed` crawls the pages and checks that every field of
every form on them is among those, so the list cannot silently fall behind the templates.

Each case is one request: (endpoint, field, kind of hostile value), every other field valid,
so the hostile value reaches as deep as it can. The demo portal is built once for the module
inside a transaction; each test runs in a savepoint inside it and leaves nothing behind.

Django admin's own pages (change lists, change forms, the import-export pages) are left out:
they are Django's ModelForm machinery, reached only by superusers and bounded by the model
fields. Our own admin views (`ModelAdmin.get_urls`, and Django's views we override, such as
the audited password change) are in, and so is the `criteria_set` parameter our import hook
reads.
"""

from __future__ import annotations

import copy
import datetime as dt
import inspect
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache, reduce
from html.parser import HTMLParser
from operator import or_
from types import SimpleNamespace
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.admin import site as admin_site
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.template import Context
from django.test import Client, override_settings
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter, UUIDConverter
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import (
    SHOW_CODES,
    TOTP_NAME,
    recovery_codes_replace,
    two_factor_enrol_start,
)
from administration.views.system import PREVIEW_KEY as IMPORT_PREVIEW_KEY
from appraisal import standing
from appraisal.documents import DECISION_TEMPLATE, decided_submissions, decision_context
from appraisal.models import (
    CityDocument,
    CityDocumentFile,
    CouncilItem,
    CouncilSession,
    ExplanationItem,
    ExplanationRequest,
    Round,
    Submission,
)
from assessments.access import submittable_assignments
from assessments.demo import demo_load
from assessments.models import Assessment, Assignment, Commune, Score, UnitDeadline
from assessments.selectors import send_plan
from assessments.services import assessment_create_next, commune_create, score_propose
from audit.models import AuditEntry
from criteria.models import Adjustment
from evidence.models import Evidence
from evidence.services import evidence_delete, evidence_link, evidence_upload
from jobs.models import Job
from notifications.models import Notification
from notifications.services import notify
from reports.demo.pki import make_test_pki
from reports.demo.signing import DEMO_PASSPHRASE, demo_signing_setup
from reports.documents import render_signable_pdf
from reports.models import (
    ImplementingDocument,
    RegisteredNumber,
    RemoteSigning,
    Report,
    ReportTask,
    SigningKey,
)
from reports.services import report_create
from reports.services.issuing import assessment_reopen, report_issue
from reports.services.signing import report_sign_organisation, report_sign_person
from reports.services.signing_keys import signing_key_add_pkcs12
from tests.accounts.helpers import totp_code
from tests.administration.system_sheets import sheet_upload
from tests.conftest import DEMO_PASSWORD
from tests.evidence.conftest import pdf_bytes
from tests.reports.csc_service import CLIENT_ID as CSC_CLIENT_ID
from tests.reports.csc_service import CLIENT_SECRET as CSC_CLIENT_SECRET
from tests.reports.csc_service import CSCTestService, serve

OUR_APPS = (
    "accounts",
    "administration",
    "appraisal",
    "assessments",
    "audit",
    "criteria",
    "evidence",
    "reports",
    "guards",
    "notifications",
)

HOSTILE = {
    "text": "abc",
    "huge": "9" * 400,
    "exp": "1e309",
    "negative": "-1",
    "nan": "NaN",
    "infinity": "Infinity",
    # str.isdigit() says yes, int() says no.
    "superscript": "²",
    "nul": "a\x00b",
    "nfd": unicodedata.normalize("NFD", "Nghi Dương"),
    "long": ("Nghị quyết " * 10_000)[:100_000],
    "empty": "",
}


# -- what the code reads ----------------------------------------------------------------------

READS = re.compile(r'request\.(GET|POST|FILES)(?:\.get|\.getlist)?[(\[]\s*"([^"]+)"')
CONTAINS = re.compile(r'"([^"]+)" in request\.(GET|POST)')
BINDS = re.compile(r"\b([A-Z]\w*Form)\(\s*request\.(GET|POST)")
HELPER_CALLS = re.compile(r"\b(\w+)\(\s*request\b")
HELPER_NAMED = re.compile(r'\b(\w+)\(\s*request,\s*"([^"]+)"')
# A helper that reads the field it is given the name of: request.POST.get(name) ...
READS_GIVEN = re.compile(r"request\.(GET|POST)(?:\.get|\.getlist)?[(\[]\s*[a-z_]\w*\s*[,)\]]")
PARAM_HELPER = re.compile(r'\b\w+\(\s*request\.(GET|POST),\s*"([^"]+)"')


@dataclass(frozen=True)
class Route:
    name: str
    converters: dict  # URL kwarg -> converter
    methods: frozenset  # "GET" and/or "POST"
    fields: tuple  # (method, name, "text" | "file")


def _reads(function, seen: set) -> set:
    """What `function` and the helpers it hands the request to read: (method, name, kind)."""
    function = inspect.unwrap(function)
    if function in seen:
        return set()
    seen.add(function)
    source = inspect.getsource(function)
    module = inspect.getmodule(function)
    found = set()
    for method, name in READS.findall(source):
        found.add(
            ("POST" if method == "FILES" else method, name, "file" if method == "FILES" else "text")
        )
    for method, name in PARAM_HELPER.findall(source):
        found.add((method, name, "text"))
    for name, method in CONTAINS.findall(source):
        found.add((method, name, "text"))
    for form_name, method in BINDS.findall(source):
        form_class = getattr(module, form_name)
        for name, form_field in form_class.base_fields.items():
            kind = "file" if isinstance(form_field, forms.FileField) else "text"
            found.add((method, _data_name(form_class, name), kind))
    for helper_name in set(HELPER_CALLS.findall(source)):
        helper = getattr(module, helper_name, None)
        if not inspect.isfunction(helper) or not helper.__module__.startswith(OUR_APPS):
            continue
        helper_source = inspect.getsource(inspect.unwrap(helper))
        for called, name in HELPER_NAMED.findall(source):
            if called == helper_name and READS_GIVEN.search(helper_source):
                found.add(("POST" if "request.POST" in helper_source else "GET", name, "text"))
        found |= _reads(helper, seen)
    return found


def _data_name(form_class, name: str) -> str:
    """The name a form reads `name` from (EntryFilterForm reads `person` from `?nguoi=`)."""
    return form_class.add_prefix(SimpleNamespace(prefix=form_class.prefix), name)


def _route(name: str, callback, converters: dict) -> Route:
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:  # Django's auth views
        allowed = {
            m.upper()
            for m in ("get", "post")
            if m in view_class.http_method_names and hasattr(view_class, m)
        }
        fields = set()
        form_class = getattr(view_class, "form_class", None)
        if form_class is not None:
            fields = {("POST", n, "text") for n in form_class.base_fields}
        if hasattr(view_class, "redirect_field_name"):
            fields |= {(m, view_class.redirect_field_name, "text") for m in allowed}
        return Route(name, converters, frozenset(allowed), tuple(sorted(fields)))
    fields = _reads(callback, set())
    source = inspect.getsource(inspect.unwrap(callback))
    methods = {"POST"} if "@require_POST" in source else {"GET"}
    if 'request.method == "POST"' in source or any(m == "POST" for m, _n, _k in fields):
        methods.add("POST")
    return Route(name, converters, frozenset(methods), tuple(sorted(fields)))


def _walk(patterns, namespace="", converters=None):
    for pattern in patterns:
        found = {**(converters or {}), **pattern.pattern.converters}
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, inner, found)
        else:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, pattern.callback, found


@cache
def routes() -> dict[str, Route]:
    found = {}
    for name, callback, converters in _walk(get_resolver().url_patterns):
        if name.startswith("admin:") and not callback.__module__.startswith(OUR_APPS):
            continue
        found[name] = _route(name, callback, converters)
    # Our hook on import-export's page reads this (criteria.admin.get_import_form_initial).
    found["admin:criteria_criterion_import"] = Route(
        "admin:criteria_criterion_import",
        {},
        frozenset({"GET"}),
        (("GET", "criteria_set", "text"),),
    )
    # Our audited UserAdmin.user_change_password hands the request to Django's, which binds
    # the admin's password form (its `usable_password` only for a user who has a password)
    # and reads the "unset-password" button. Django's page also sends the account's name,
    # for password managers; nothing reads it, but it is posted, so it is fuzzed too.
    password = found["admin:auth_user_password_change"]
    user_model = get_user_model()
    form = admin_site._registry[user_model].change_password_form(user_model(password="x"))
    names = [*form.fields, "unset-password", "username"]
    found[password.name] = Route(
        password.name,
        password.converters,
        frozenset({"GET", "POST"}),
        tuple(sorted({("POST", n, "text") for n in names})),
    )
    return found


def cases():
    for route in routes().values():
        fuzzed = list(route.fields)
        fuzzed += [("GET", kwarg, "path") for kwarg, c in route.converters.items()
                   if not isinstance(c, IntConverter)]  # fmt: skip
        for method, name, kind in fuzzed:
            for value_kind in HOSTILE:
                if kind == "path" and not HOSTILE[value_kind]:
                    continue  # no URL has an empty segment there
                yield pytest.param(
                    route.name, method, name, kind, value_kind,
                    id=f"{route.name}-{method}-{name}-{value_kind}",
                )  # fmt: skip
        if any(isinstance(c, IntConverter) for c in route.converters.values()):
            method = "GET" if "GET" in route.methods else "POST"
            yield pytest.param(
                route.name, method, "<int kwargs>", "kwargs", "huge",
                id=f"{route.name}-{method}-int-kwargs-huge",
            )  # fmt: skip


# -- the portal the requests go to ------------------------------------------------------------


@dataclass
class Portal:
    assessment: Assessment
    criteria: dict  # role -> Criterion
    adjustment: Adjustment
    evidence: Evidence  # on criteria["evidence"], also linked to criteria["linked"]
    deleted: Evidence
    draft: Report
    issued: Report  # issued, not signed
    signed: Report  # issued and signed by the person and the organisation
    keys: dict  # "person" / "organisation" -> SigningKey
    media_root: object
    users: dict = field(default_factory=dict)
    # The cookies of each user's login, made once for the module (see `log_in`).
    logins: dict = field(default_factory=dict)

    def score(self, role: str) -> Score:
        return Score.objects.get(assessment=self.assessment, criterion=self.criteria[role])


def _leaf(assessment, *, exclude=(), **filters):
    return (
        Assignment.objects.filter(assessment=assessment, **filters)
        .exclude(criterion__in=exclude)
        .select_related("criterion")
        .order_by("criterion__order")
        .first()
        .criterion
    )


@pytest.fixture(scope="module")
def portal(django_db_setup, django_db_blocker, tmp_path_factory):
    media_root = tmp_path_factory.mktemp("fuzz-media")
    # The sessions are made once for the module (`log_in`): they must not end, idle or not,
    # while it runs, however slow the machine.
    lasting = override_settings(
        MEDIA_ROOT=media_root, SESSION_IDLE_MINUTES=24 * 60, SESSION_COOKIE_AGE=24 * 3600
    )
    with django_db_blocker.unblock(), lasting:
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            demo_load(password=DEMO_PASSWORD, scores=False)
            users = {u.username: u for u in get_user_model().objects.all()}
            assessment = Assessment.objects.get(commune__name="Nghi Dương")
            leader, staff, secretary = users["lanhdao"], users["vhxh"], users["vanthu"]
            vhxh = dict(lead_unit__short_name="VHXH", criterion__rule="free")
            criteria = {"evidence": _leaf(assessment, **vhxh)}
            criteria["linked"] = _leaf(assessment, exclude=criteria.values(), **vhxh)
            criteria["link_target"] = _leaf(assessment, exclude=criteria.values(), **vhxh)
            criteria["free"] = _leaf(assessment, exclude=criteria.values(), criterion__rule="free")
            criteria["submitted"] = _leaf(
                assessment, exclude=criteria.values(), criterion__rule="free"
            )
            criteria["pass_fail"] = _leaf(assessment, criterion__rule="pass_fail")
            criteria["tiers"] = _leaf(assessment, criterion__rule="tiers")
            criteria["not_arising"] = _leaf(
                assessment, exclude=criteria.values(), criterion__not_arising__gt=""
            )
            submitted = criteria["submitted"]
            score_propose(
                score=Score.objects.get(assessment=assessment, criterion=submitted),
                by=leader,
                expected_version=None,
                points=submitted.max_points,
                result_text="Đã thực hiện đầy đủ.",
                submit=True,
            )
            score_propose(  # ready for "send all" of the unit
                score=Score.objects.get(assessment=assessment, criterion=criteria["evidence"]),
                by=staff,
                expected_version=None,
                points=criteria["evidence"].max_points,
                result_text="Đã thực hiện.",
            )
            evidence = evidence_upload(
                assessment=assessment,
                criterion=criteria["evidence"],
                upload=SimpleUploadedFile("Biên bản.pdf", pdf_bytes()),
                by=staff,
            ).evidence
            evidence_link(evidence=evidence, criterion=criteria["linked"], by=staff)
            deleted = evidence_upload(
                assessment=assessment,
                criterion=criteria["evidence"],
                upload=SimpleUploadedFile("Cũ.pdf", pdf_bytes(pages=2)),
                by=staff,
            ).evidence
            evidence_delete(evidence=deleted, by=staff)
            demo_signing_setup(commune=assessment.commune)
            keys = {
                "person": SigningKey.objects.get(commune=assessment.commune, owner__isnull=False),
                "organisation": SigningKey.objects.get(
                    commune=assessment.commune, owner__isnull=True
                ),
            }
            reason = "Phục vụ kiểm thử."
            signed = report_issue(
                report=report_create(assessment=assessment, by=secretary),
                by=leader,
                override_reason=reason,
            )
            for sign, key in (
                (report_sign_person, "person"),
                (report_sign_organisation, "organisation"),
            ):
                signer = keys[key].owner or secretary  # the signer signs, the secretary seals
                sign(report=signed, key=keys[key], secret=DEMO_PASSPHRASE, by=signer)
            issued = report_issue(
                report=report_create(assessment=assessment, by=secretary),
                by=leader,
                override_reason=reason,
            )
            # Issuing froze the assessment: a leader reopens it, so that the fuzzed score and
            # evidence pages take their open paths (tests/reports/test_freeze.py: frozen ones).
            assessment_reopen(report=issued, by=leader, reason=reason)
            assessment.refresh_from_db()
            draft = report_create(assessment=assessment, by=secretary)
            logins = {}
            for username, user in users.items():
                browser = Client()
                browser.force_login(user)
                logins[username] = browser.cookies
            yield Portal(
                assessment=assessment,
                criteria=criteria,
                adjustment=Adjustment.objects.filter(criteria_set=assessment.criteria_set).first(),
                evidence=evidence,
                deleted=deleted,
                draft=draft,
                issued=issued,
                signed=signed,
                keys=keys,
                media_root=media_root,
                users=users,
                logins=logins,
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _private_media(portal, settings):
    """The module's files (evidence, issued documents, keys) stay where the portal put them.

    PDFs are cached by the hash of their HTML, as in production, so the eleven values of
    `?xem=` cost one rendering per document, not eleven."""
    settings.MEDIA_ROOT = portal.media_root
    settings.CACHES = {
        **settings.CACHES,
        "documents": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }


# -- who uses each endpoint, with which valid values --------------------------------------------


@dataclass
class Plan:
    persona: str | None  # a demo username; None is anonymous
    kwargs: Callable = lambda p, f: _a(p)  # (portal, field) -> URL kwargs (extra are dropped)
    data: Callable = lambda p, f: {}  # (portal, field) -> valid values of every field
    htmx: bool = False
    setup: Callable | None = None  # (portal) -> None: the state the endpoint works in
    session: Callable | None = None  # (portal) -> what the session holds besides the login


def _a(p):
    return {"pk": p.assessment.pk}


def _send_plan(p):
    """What vhxh's "Gửi lãnh đạo tất cả" would send now (its confirmation names these)."""
    user = p.users["vhxh"]
    criterion_ids = submittable_assignments(user, p.assessment).values("criterion_id")
    return send_plan(p.assessment, criterion_ids)


def _crit(role):
    return lambda p, f: {**_a(p), "criterion_pk": p.criteria[role].pk}


def _ev(p, f):
    return {**_a(p), "evidence_pk": p.evidence.pk}


def _report(attr):
    return lambda p, f: {**_a(p), "report_pk": getattr(p, attr).pk}


@cache
def _csc_service() -> CSCTestService:
    """The test CSC service (tests/reports/csc_service.py), its credential "cqtt-01" the
    signer's, for the whole run; nobody confirms on the phone, so requests keep waiting."""
    pki = make_test_pki(
        signer_name="Lưu Thị Tươi", organisation="UBND xã", passphrase_signer=b"x",
        passphrase_org=b"y",
    )  # fmt: skip
    service = CSCTestService()
    service.add_credential(
        "cqtt-01", user_id="", key_pem=pki.signer_key_pem, chain_pem=[pki.signer_cert_pem]
    )
    serve(service)
    return service


@pytest.fixture(autouse=True)
def _remote_signing_service(request, settings):
    """The remote signing endpoints talk to the test CSC service."""
    callspec = getattr(request.node, "callspec", None)
    if callspec and str(callspec.params.get("url_name", "")).startswith("reports:remote_"):
        settings.SIGNING_CSC_URL = _csc_service().url
        settings.SIGNING_CSC_CLIENT_ID = CSC_CLIENT_ID
        settings.SIGNING_CSC_CLIENT_SECRET = CSC_CLIENT_SECRET


def _remote_key(p):
    """The signer's key at the remote signing service."""
    key, _ = SigningKey.objects.get_or_create(
        commune=p.assessment.commune,
        owner=p.users["lanhdao"],
        kind=SigningKey.Kind.CSC,
        defaults={"label": "Ký số từ xa", "csc_credential_id": "cqtt-01"},
    )
    return key


def _with_remote_signing(p):
    """A remote signing request of the signer, waiting for their phone."""
    now = timezone.now()
    RemoteSigning.objects.get_or_create(
        report=p.issued,
        status=RemoteSigning.Status.WAITING,
        defaults={
            "key": _remote_key(p),
            "user": p.users["lanhdao"],
            "started_at": now,
            "expires_at": now + timedelta(minutes=5),
            "transaction": "t-01",
        },
    )


def _remote_signing(p, f):
    _with_remote_signing(p)  # found, once the plan's set-up made it
    signing = RemoteSigning.objects.filter(report=p.issued).latest("pk")
    return {**_report("issued")(p, f), "signing_pk": signing.pk}


def _with_task(p):
    """A general task in the draft's section "Nhiệm vụ"."""
    if not p.draft.tasks.exists():
        ReportTask.objects.create(
            report=p.draft, text="Tổng kết mô hình.", created_by=p.users["vanthu"]
        )


def _with_document(p):
    """An implementing document of the assessment."""
    if not p.assessment.implementing_documents.exists():
        ImplementingDocument.objects.create(
            assessment=p.assessment,
            number="403/UBND-VHXX",
            summary="đôn đốc",
            created_by=p.users["vanthu"],
        )


def _general_task(p, f):
    _with_task(p)  # already there when the plan's setup ran (before the rows are counted)
    return {**_report("draft")(p, f), "task_pk": p.draft.tasks.first().pk}


def _document(p, f):
    _with_document(p)  # idem
    return {**_a(p), "document_pk": p.assessment.implementing_documents.first().pk}


def _document_data(p, f):
    return {
        "kind": "remind",
        "number": "403/UBND-VHXX",
        "date": "2026-02-23",
        "issuer": "",
        "summary": "đôn đốc các cơ quan, đơn vị",
        "order": "2",
    }


def _pdf(name: str, pages: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(pages=pages), content_type="application/pdf")


def _file(p, f):
    return {
        **_report("signed")(p, f),
        "file_pk": p.signed.files.get(kind="report", stage="unsigned").pk,
    }


PROPOSE_CRITERION = {
    "passed": "pass_fail",
    "numerator": "tiers",
    "denominator": "tiers",
    "not_arising": "not_arising",
}


def _propose_kwargs(p, f):
    return _crit(PROPOSE_CRITERION.get(f, "free"))(p, f)


def _propose_data(p, f):
    role = PROPOSE_CRITERION.get(f, "free")
    criterion = p.criteria[role]
    data = {
        "version": p.score(role).version,
        "result_text": "Đã thực hiện.",
        "shortfall_reason": "Chưa đủ hồ sơ.",
        "action": "save",
    }
    if criterion.rule == "free":
        data["points"] = str(criterion.max_points)
    elif criterion.rule == "pass_fail":
        data["passed"] = "1"
    else:
        data.update(numerator="9", denominator="10")
    if role == "not_arising":
        data["not_arising"] = "on"
    return data


def _queue_filters(p, f):
    """The review queue's filters, on the submitted score's lead unit and criterion."""
    criterion = p.criteria["submitted"]
    while criterion.parent_id is not None:
        criterion = criterion.parent
    lead = Assignment.objects.get(assessment=p.assessment, criterion=p.criteria["submitted"])
    return {"hang-doi": "1", "don-vi": lead.lead_unit_id, "tieu-chi": criterion.pk}


NEW_PASSWORD = "Mat-khau-moi-2026!"


def _with_next_period(p):
    """The full year after the portal's assessment, where its evidence may be reused."""
    if not Assessment.objects.filter(previous=p.assessment).exists():
        assessment_create_next(
            previous=p.assessment, year=2026, period="year", by=p.users["lanhdao"]
        )


def _next_crit(p, f):
    _with_next_period(p)  # already there when the plan's setup ran
    following = Assessment.objects.get(previous=p.assessment)
    return {"pk": following.pk, "criterion_pk": p.criteria["evidence"].pk}


def _locked(p):
    Assessment.objects.filter(pk=p.assessment.pk).update(status=Assessment.Status.LOCKED)


def _frozen(p):
    """As issuing `p.issued` (the latest issued report) left it, before the fixture reopened."""
    Assessment.objects.filter(pk=p.assessment.pk).update(status=Assessment.Status.FROZEN)


# The second factor: a leader who has an authenticator app, and a person setting one up. Each
# has no other plan, so their states never get in the way of another page.
WITH_APP = "chutich"
ENROLLING = "ttpvhcc"


def _app(p, username: str = WITH_APP, *, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.get(user=p.users[username], confirmed=confirmed)


def _has_app(p):
    """An authenticator app and recovery codes, as after the enrolment page."""
    user = p.users[WITH_APP]
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=True)
        recovery_codes_replace(user=user)


def _enrolling(p):
    two_factor_enrol_start(user=p.users[ENROLLING])


def _verified(p):
    """A session that has given a code since the login."""
    return {DEVICE_ID_SESSION_KEY: _app(p).persistent_id}


def _codes_shown(p):
    """Right after the recovery codes were made (the only time they are shown)."""
    codes = StaticToken.objects.filter(device__user=p.users[WITH_APP]).values_list("token")
    return {**_verified(p), SHOW_CODES: [code for (code,) in codes]}


def _audit_filters(p, f):
    return {
        "xa": p.assessment.commune_id,
        "nguoi": p.users["vanthu"].pk,
        "don-vi": p.assessment.commune.units.get(short_name="VHXH").pk,
        "thao-tac": AuditEntry.Action.REPORT_SIGN,
        "tu-ngay": "2026-01-01",  # both spellings the filter takes
        "den-ngay": "31/12/2099",
        "trang": "1",
    }


# Deadlines and notices (issue 12)
EXTENDED = "2026-12-20"


def _vhxh_unit(p, f):
    return {**_a(p), "unit_pk": p.assessment.commune.units.get(short_name="VHXH").pk}


def _with_unit_deadline(p):
    """Phòng Văn hóa - Xã hội has its own deadline (the page then offers to remove it)."""
    unit = p.assessment.commune.units.get(short_name="VHXH")
    UnitDeadline.objects.get_or_create(
        assessment=p.assessment,
        unit=unit,
        defaults={
            "deadline": dt.date.fromisoformat(EXTENDED),
            "reason": "Gia hạn.",
            "set_by": p.users["lanhdao"],
        },
    )


def _with_notice(p):
    notify(user=p.users["vhxh"], kind="other", title="Thông báo thử", key="fuzz", url="/")


def _notice(p, f):
    _with_notice(p)
    return {"notification_pk": Notification.objects.get(user=p.users["vhxh"], key="fuzz").pk}


# Quản trị xã (issue 13): the system administrator works on xã Nghi Dương; the account they
# act on is kinhte's (no plan of its own uses it), which has an authenticator app.
def _commune(p, f=None):
    return {"commune_pk": p.assessment.commune_id}


def _kinhte(p, f):
    return {**_commune(p), "user_pk": p.users["kinhte"].pk}


def _kinhte_has_app(p):
    user = p.users["kinhte"]
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=True)


SPARE_UNIT = "Tổ công tác thử"


def _with_spare_unit(p):
    """A unit nothing refers to yet (so it may be deleted)."""
    p.assessment.commune.units.get_or_create(name=SPARE_UNIT, defaults={"order": 99})


def _spare_unit(p, f):
    _with_spare_unit(p)
    return {**_commune(p), "unit_pk": p.assessment.commune.units.get(name=SPARE_UNIT).pk}


def _with_new_commune(p):
    """A commune with a unit and no assessment yet: its first is created here."""
    if not Commune.objects.filter(name="Thử Nghiệm").exists():
        commune_create(name="Thử Nghiệm", units=[{"name": "Văn phòng HĐND và UBND"}])


def _new_commune(p, f):
    _with_new_commune(p)
    return {"commune_pk": Commune.objects.get(name="Thử Nghiệm").pk}


def _member_data(p, f):
    return {
        "username": "nguoimoi",
        "full_name": "Ngô Văn Mới",
        "email": "moi@example.vn",
        "role": "staff",
        "unit": p.assessment.commune.units.get(short_name="KT").pk,
        "title": "Chuyên viên",
        "is_commune_admin": "",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }


# -- system administration (issue 13) ----------------------------------------------------------

IMPORT_TOKEN = "a" * 32


def _commune_form(p, f):
    return {
        "kind": "phuong",
        "name": "Hồng Bàng",
        "city": "Hải Phòng",
        "address": "Số 1 Hoàng Văn Thụ",
        "username": "hongbang.admin",
        "full_name": "Đỗ Văn Minh",
        "title": "Chủ tịch UBND phường",
        "email": "minh@example.vn",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }


def _accounts_sheet(p, f):
    return {"file": sheet_upload()}


def _import_preview(p):
    """A checked sheet waiting for confirmation (what a valid upload leaves in the session)."""
    row = ["fuzz.nguyen", "Nguyễn Fuzz", "Cán bộ, công chức", "VHXH", "", "", "Không"]
    values = dict(zip(["username", "full_name", "role", "unit", "title", "email",
                       "is_commune_admin"], row, strict=True))  # fmt: skip
    return {
        IMPORT_PREVIEW_KEY: {
            "commune": p.assessment.commune_id,
            "token": IMPORT_TOKEN,
            "file": "tai-khoan.xlsx",
            "rows": [[2, values]],
        }
    }


# The city's appraisal (issue 14 B): Nghi Dương's dossier sent to Hải Phòng (its snapshot left
# empty: the page then reads the current scores and evidence).
APPRAISER = "sonoivu"


def _with_submission(p):
    if Submission.objects.filter(assessment=p.assessment).exists():
        return
    round_, _ = Round.objects.get_or_create(
        city=p.assessment.commune.city,
        year=p.assessment.year,
        period=p.assessment.period,
        defaults={
            "criteria_set": p.assessment.criteria_set,
            "submission_deadline": timezone.localdate() + timedelta(days=10),
        },
    )
    Submission.objects.create(
        round=round_,
        assessment=p.assessment,
        report=p.signed,
        stage=Submission.Stage.SUBMITTED,
        submitted_by=p.users["vanthu"],
        submitted_at=timezone.now(),
    )


def _submission(p, f):
    _with_submission(p)
    return {
        "submission_pk": Submission.objects.get(assessment=p.assessment).pk,
        "criterion_pk": p.criteria["free"].pk,
        "adjustment_pk": p.adjustment.pk,
        "file_pk": p.evidence.current_file_id,
    }


def _appraise_data(p, f):
    return {
        "version": p.score("free").version,
        "points": "0",
        "reason": "Thiếu biên bản.",
        "action": "save",
    }


def _root_of(criterion):
    while criterion.parent_id is not None:
        criterion = criterion.parent
    return criterion


def _assign_data(p, f):
    return {
        "criterion": _root_of(p.criteria["free"]).pk,
        "appraiser": p.users[APPRAISER].pk,
    }


def _request_data(p, f):
    free = p.criteria["free"].pk
    return {
        "criteria": free,
        "question_for": free,
        "question": "Bổ sung biên bản họp.",
        "message": "Đề nghị xã giải trình.",
        "deadline": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }


# -- issue 14 C: rounds, the council's sessions and votes, recognition ------------------------
# Each setup builds on the one before it with get_or_create, so that the crawl (where the
# states add up) and a single test (where each starts afresh) see the same rows. Nghi Dương's
# submission is on the open session; An Lão's is fully appraised, offered to be added; the
# recognition page concludes An Lão's on a session of its own (it comes last in the URLs).
COUNCIL_SESSION = "Phiên họp kiểm thử"


def _city(p, f=None):
    return {"city": p.assessment.commune.city_id}


# The city's people (managed by quantritp): the person acted on is sonoivu2 (no plan of its
# own uses it), who has an authenticator app.
CITY_PERSON = "sonoivu2"


def _city_person(p, f):
    return {**_city(p), "person_pk": p.users[CITY_PERSON].pk}


def _city_person_has_app(p):
    user = p.users[CITY_PERSON]
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=True)


def _city_person_data(p, f):
    return {
        "username": "thanhphomoi",
        "full_name": "Đỗ Thị Mới",
        "email": "tpmoi@example.vn",
        "role": "appraiser",
        "title": "Chuyên viên Sở Nội vụ",
    }


def _council_round(p) -> Round:
    assessment = p.assessment
    return Round.objects.get_or_create(
        city=assessment.commune.city,
        year=assessment.year,
        period=assessment.period,
        defaults={
            "criteria_set": assessment.criteria_set,
            "submission_deadline": dt.date(2026, 7, 15),
        },
    )[0]


def _round_kwargs(p, f=None):
    return {**_city(p), "round_pk": _council_round(p).pk}


def _appraised(p, commune: str) -> Submission:
    """`commune`'s submission to the round, every sub-criterion appraised at its maximum."""
    assessment = Assessment.objects.get(commune__name=commune, year=p.assessment.year)
    existing = Submission.objects.filter(assessment=assessment).first()
    if existing is not None:
        return existing
    report = p.issued if assessment.pk == p.assessment.pk else p.signed  # any issued row
    submission = Submission.objects.create(
        round=_council_round(p),
        assessment=assessment,
        report=report,
        stage=Submission.Stage.APPRAISING,
        submitted_by=p.users["vanthu"],
        submitted_at=timezone.now(),
    )
    for score in Score.objects.filter(assessment=assessment).select_related("criterion"):
        score.appraised_points = score.criterion.max_points
        score.appraised_by, score.appraised_at = p.users["sonoivu"], timezone.now()
        score.save(update_fields=["appraised_points", "appraised_by", "appraised_at"])
    return standing.refresh(submission)


def _with_council_session(p) -> CouncilSession:
    submission = _appraised(p, "Nghi Dương")
    _appraised(p, "An Lão")
    session = CouncilSession.objects.filter(title=COUNCIL_SESSION).first()
    if session is None:
        chair = p.users["chutichhd"]
        session = CouncilSession.objects.create(
            round=_council_round(p),
            title=COUNCIL_SESSION,
            held_on=dt.date(2026, 8, 1),
            chair=chair,
            created_by=chair,
        )
        session.members.set([p.users[n] for n in ("chutichhd", "hoidong1", "hoidong2")])
        session.items.create(submission=submission, total=submission.appraised_total)
    return session


def _session_kwargs(p, f=None):
    return {**_city(p), "session_pk": _with_council_session(p).pk}


def _council_item_kwargs(p, f=None):
    session = _with_council_session(p)
    return {**_session_kwargs(p), "council_item_pk": session.items.first().pk}


def _with_concluded(p):
    """An Lão's submission concluded by a closed session of its own (recognised)."""
    submission = _appraised(p, "An Lão")
    if submission.stage == Submission.Stage.CONCLUDED:
        return
    chair = p.users["chutichhd"]
    session = CouncilSession.objects.create(
        round=_council_round(p),
        title="Phiên họp đã kết thúc",
        held_on=dt.date(2026, 8, 1),
        chair=chair,
        created_by=chair,
        status=CouncilSession.Status.CLOSED,
    )
    session.members.set([chair])
    session.items.create(
        submission=submission,
        total=submission.appraised_total,
        level=submission.level_reached,
        result=CouncilItem.Result.RECOGNISED,
        votes_for=1,
        decided_at=timezone.now(),
    )
    Submission.objects.filter(pk=submission.pk).update(stage=Submission.Stage.CONCLUDED)


def _round_data(p, f):
    return {
        "criteria_set": p.assessment.criteria_set_id,
        "year": "2027",
        "period": "h1",
        "submission_deadline": "2027-07-15",
        "appraisal_deadline": "2027-08-15",
        "council_date": "2027-08-20",
        "min_criterion_share": "50",
        "condition_provenance": "Theo quy định của thành phố.",
        "previous": _council_round(p).pk,
    }


def _round_edit_data(p, f):
    return {**_round_data(p, f), "year": str(p.assessment.year), "period": p.assessment.period,
            "previous": ""}  # fmt: skip


def _session_data(p, f):
    return {
        "title": "Phiên họp thứ hai",
        "held_on": "2026-08-02",
        "members": [p.users[n].pk for n in ("chutichhd", "hoidong1", "hoidong3")],
        "chair": p.users["chutichhd"].pk,
        "submissions": _appraised(p, "An Lão").pk,
    }


def _recognition_data(p, f):
    return {
        "number": "125/QĐ-UBND",
        "signed_on": dt.date.today().isoformat(),
        "signer_name": "Nguyễn Văn Ký",
        "submissions": _appraised(p, "An Lão").pk,
    }


# -- the city's documents issued and signed in the portal -------------------------------------


_CITY_SIGNING: dict = {}  # made once per run: a test PKI, and a decision's PDF


def _city_pki():
    if "pki" not in _CITY_SIGNING:
        _CITY_SIGNING["pki"] = make_test_pki(
            signer_name="Ngô Thị Lan (THỬ NGHIỆM)",
            organisation="Ủy ban nhân dân thành phố (THỬ NGHIỆM)",
            passphrase_signer=DEMO_PASSPHRASE.encode(),
            passphrase_org=DEMO_PASSPHRASE.encode(),
        )
    return _CITY_SIGNING["pki"]


def _city_key(p, owner=None) -> SigningKey:
    """A signing key of the city: the leader's (`owner`) or the body's."""
    city = p.assessment.commune.city
    existing = SigningKey.objects.filter(city=city, owner=owner).first()
    if existing is not None:
        return existing
    pki = _city_pki()
    return signing_key_add_pkcs12(
        city=city,
        owner=owner,
        label=f"Khóa thử của {owner or city}",
        pkcs12=pki.signer_p12 if owner else pki.org_p12,
        passphrase=DEMO_PASSPHRASE,
        is_test=True,
    )


def _city_document_kwargs(p, f=None):
    return {**_round_kwargs(p), "kind": "quyet-dinh"}


def _with_decision_to_issue(p):
    _with_concluded(p)
    _city_key(p, p.users["giamdocso"])


def _issue_data(p, f):
    return {"signer": p.users["giamdocso"].pk, "authority": "deputy"}


def _issued_decision(p, status: str = CityDocument.Status.ISSUED) -> CityDocument:
    """The round's decision as rows: its number, its frozen file, `status`."""
    _with_concluded(p)
    round_ = _council_round(p)
    document = CityDocument.objects.filter(round=round_, kind=CityDocument.Kind.DECISION).first()
    if document is None:
        registration = RegisteredNumber.objects.create(
            city=round_.city, book="UBND", year=round_.year, number=1, symbol="QĐ-UBND"
        )
        document = CityDocument.objects.create(
            round=round_,
            kind=CityDocument.Kind.DECISION,
            registration=registration,
            number_text="01/QĐ-UBND",
            issue_date=timezone.localdate(),
            signer=p.users["giamdocso"],
            signer_name="Ngô Thị Lan",
            issued_by=p.users["quantritp"],
        )
        document.submissions.set(decided_submissions(round_))
        if "pdf" not in _CITY_SIGNING:
            _CITY_SIGNING["pdf"] = render_signable_pdf(
                DECISION_TEMPLATE, decision_context(round_, document=document), identifier="fuzz"
            )
        rendered = _CITY_SIGNING["pdf"]
        box = rendered.signature_box
        signed = status != CityDocument.Status.ISSUED
        for stage in ("unsigned", "person") if signed else ("unsigned",):
            frozen = CityDocumentFile(
                document=document,
                stage=stage,
                sha256="0" * 64,
                size=len(rendered.data),
                created_by=document.issued_by,
                meta={"signature_box": box, "signer_box": box["box"]},
            )
            frozen.file.save(f"{stage}.pdf", ContentFile(rendered.data), save=False)
            frozen.save()
    CityDocument.objects.filter(pk=document.pk).update(status=status)
    _city_key(p, p.users["giamdocso"]), _city_key(p)  # the signer's and the body's
    return document


def _sign_data(owner_name):
    def data(p, f):
        owner = p.users[owner_name] if owner_name else None
        return {
            "key": _city_key(p, owner).pk,
            "secret": DEMO_PASSPHRASE,
            "confirm": "on",
        }

    return data


# -- the city's dashboard, ranking and exports (issue 14 D) ----------------------------------


def _with_round(p):
    """A round of Hải Phòng (the demo communes' city) for the city's pages to show."""
    city = p.assessment.commune.city
    Round.objects.get_or_create(
        city=city,
        year=p.assessment.year,
        period=p.assessment.period,
        defaults={
            "criteria_set": p.assessment.criteria_set,
            "submission_deadline": timezone.localdate() + timedelta(days=5),
        },
    )


def _round_query(p, f):
    _with_round(p)
    city = p.assessment.commune.city
    return {"dot": str(Round.objects.filter(city=city).values_list("pk", flat=True).first())}


def _document_kwargs(p, f):
    _with_round(p)
    round_pk = Round.objects.filter(city=p.assessment.commune.city).values_list("pk", flat=True)
    return {**_city(p, f), "round_pk": round_pk.first(), "kind": "quyet-dinh"}


def _stage_query(p, f):
    return {**_round_query(p, f), "giai-doan": "submitted"}


# -- issue 14 A: the commune's dossier at the city ------------------------------------------
_city_round = _council_round


def _sendable(p):
    """The signed report froze the assessment (the later, reopened one set back before it)
    and the city opened its round: the secretary can send the dossier."""
    # The crawl's council pages listed it (CouncilItem protects a submission): gone too.
    CouncilItem.objects.filter(submission__assessment=p.assessment).delete()
    Submission.objects.filter(assessment=p.assessment).delete()
    Report.objects.filter(pk=p.issued.pk).update(issued_at=p.signed.issued_at - timedelta(days=1))
    Assessment.objects.filter(pk=p.assessment.pk).update(status=Assessment.Status.FROZEN)
    _city_round(p)


def _with_explanation(p):
    """Nghi Dương's dossier at the city (issue 14 B's `_with_submission`), asked to explain the
    evidence's sub-criterion (rows: tests/appraisal covers the services)."""
    _with_submission(p)
    submission = Submission.objects.get(assessment=p.assessment)
    asked = p.criteria["evidence"]
    if not ExplanationItem.objects.filter(
        request__submission=submission, request__status="open", criterion=asked
    ).exists():
        request = ExplanationRequest.objects.create(
            submission=submission,
            message="Đề nghị bổ sung biên bản.",
            deadline=timezone.localdate() + timedelta(days=5),
            created_by=p.users["sonoivu"],
        )
        request.items.create(criterion=asked)


def _explaining(p, f):
    _with_explanation(p)
    item = ExplanationItem.objects.filter(
        request__submission__assessment=p.assessment,
        request__status="open",
        criterion=p.criteria["evidence"],
    ).first()
    return {**_a(p), "request_pk": item.request_id, "item_pk": item.pk}


def _job(p, f):
    """A finished job of vhxh's, with a file (jobs/: its page, progress and download)."""
    job = Job.objects.filter(user=p.users["vhxh"], key="fuzz").first()
    if job is None:
        job = Job.objects.create(
            kind="evidence.archive", user=p.users["vhxh"], title="Nén minh chứng", key="fuzz",
            state=Job.State.DONE, result_name="minh-chung.zip",
        )  # fmt: skip
        job.result_file.save("minh-chung.zip", ContentFile(b"PK"), save=True)
    return {"job_id": job.pk}


PLANS = {
    # -- jobs: the person who started one sees it; a job id is a UUID in the path --
    "jobs:detail": Plan("vhxh", _job),
    "jobs:progress": Plan("vhxh", _job, htmx=True),
    "jobs:download": Plan("vhxh", _job),
    "submission:detail": Plan("vanthu", setup=_with_submission),
    "submission:send": Plan(
        "vanthu", data=lambda p, f: {"next": f"/ky-danh-gia/{p.assessment.pk}/"}, setup=_sendable
    ),
    "submission:request": Plan("lanhdao", _explaining, setup=_with_explanation),
    "submission:request_send": Plan("lanhdao", _explaining, setup=_with_explanation),
    "submission:item_answer": Plan(
        "lanhdao",
        _explaining,
        lambda p, f: {"answer": "Xã đã bổ sung biên bản kiểm tra."},
        setup=_with_explanation,
    ),
    "submission:item_upload": Plan(
        "lanhdao",
        _explaining,
        lambda p, f: {"file": _pdf("Biên bản bổ sung.pdf", pages=3), "title": "Biên bản"},
        setup=_with_explanation,
    ),
    # -- issue 14 D: the city's dashboard, ranking and exports (appraisal:) --
    "appraisal:home": Plan("sonoivu"),
    "appraisal:dashboard": Plan("sonoivu", _city, _round_query, setup=_with_round),
    "appraisal:communes": Plan("sonoivu", _city, _stage_query, setup=_with_round),
    "appraisal:ranking": Plan("sonoivu", _city, _round_query, setup=_with_round),
    "appraisal:ranking_xlsx": Plan("sonoivu", _city, _round_query, setup=_with_round),
    "appraisal:results_xlsx": Plan("sonoivu", _city, _round_query, setup=_with_round),
    # The city's draft documents of a round (kind: the report or the decision).
    "city_documents:preview": Plan("sonoivu", _document_kwargs, setup=_with_round),
    "city_documents:pdf": Plan("sonoivu", _document_kwargs, setup=_with_round),
    "commune_admin:index": Plan("admin"),
    "commune_admin:home": Plan("admin", _commune),
    "commune_admin:units": Plan("admin", _commune),
    "commune_admin:unit_add": Plan(
        "admin",
        _commune,
        lambda p, f: {
            "name": "Phòng Nội vụ",
            "short_name": "NV",
            "is_collective": "",
            "order": "8",
        },
    ),
    "commune_admin:unit_edit": Plan(
        "admin",
        _spare_unit,
        lambda p, f: {"name": SPARE_UNIT, "short_name": "TCT", "is_collective": "", "order": "9"},
        setup=_with_spare_unit,
    ),
    "commune_admin:unit_delete": Plan("admin", _spare_unit, setup=_with_spare_unit),
    "commune_admin:users": Plan("admin", _commune),
    "commune_admin:user_add": Plan("admin", _commune, _member_data),
    "commune_admin:user_edit": Plan("admin", _kinhte, _member_data, setup=_kinhte_has_app),
    "commune_admin:user_password": Plan(
        "admin", _kinhte, lambda p, f: {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    ),
    "commune_admin:user_active": Plan("admin", _kinhte, lambda p, f: {"active": "0"}),
    "commune_admin:user_two_factor": Plan("admin", _kinhte, setup=_kinhte_has_app),
    "commune_admin:user_unlock": Plan("admin", _kinhte),
    "commune_admin:report_settings": Plan(
        "admin",
        _commune,
        lambda p, f: {
            "report_recipients": "Như trên;\nLưu: VT.",
            "address": "Thôn 1, xã Nghi Dương",
            "place_name": "Nghi Dương",
            "report_signer": p.users["lanhdao"].pk,
            "report_authority": "deputy",
        },
    ),
    "commune_admin:assessment_create": Plan(
        "admin",
        _new_commune,
        lambda p, f: {
            "criteria_set": p.assessment.criteria_set_id,
            "year": "2026",
            "period": "h1",
            "target_level": p.assessment.criteria_set.levels.first().pk,
            "registration_number": "12/UBND-VHXH",
            "registration_date": "2026-02-10",
        },
        setup=_with_new_commune,
    ),
    "home": Plan("vhxh"),
    "assessments:deadlines": Plan(
        "lanhdao",
        data=lambda p, f: {"deadline": "2026-12-15", "reason": "Theo kế hoạch.", "expected": ""},
        setup=_with_unit_deadline,
    ),
    "assessments:unit_deadline": Plan(
        "lanhdao",
        _vhxh_unit,
        lambda p, f: {"deadline": EXTENDED, "reason": "Cán bộ nghỉ ốm.", "expected": ""},
    ),
    "assessments:unit_deadline_remove": Plan(
        "lanhdao", _vhxh_unit, lambda p, f: {"expected": EXTENDED}, setup=_with_unit_deadline
    ),
    "notifications:list": Plan("vhxh", data=lambda p, f: {"loc": "chua-doc", "trang": "1"}),
    "notifications:open": Plan("vhxh", _notice, setup=_with_notice),
    "notifications:read_all": Plan("vhxh", data=lambda p, f: {"next": "/"}, setup=_with_notice),
    "notifications:settings": Plan("vhxh", data=lambda p, f: {"email": "on"}),
    "login": Plan(
        None, data=lambda p, f: {"username": "vhxh", "password": DEMO_PASSWORD, "next": "/"}
    ),
    "logout": Plan("vhxh", data=lambda p, f: {"next": "/"}),
    "password_change": Plan(
        "vhxh",
        data=lambda p, f: {
            "old_password": DEMO_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    ),
    "password_change_done": Plan("vhxh"),
    "assessments:detail": Plan("lanhdao", _crit("free")),
    "assessments:criterion": Plan("lanhdao", _crit("free")),
    "assessments:score_propose": Plan("lanhdao", _propose_kwargs, _propose_data),
    "assessments:score_review": Plan(
        "lanhdao",
        _crit("submitted"),
        lambda p, f: {
            "version": p.score("submitted").version,
            "action": "adjust",
            "points": "0",
            "comment": "Chưa đủ minh chứng.",
            **_queue_filters(p, f),  # taken in the review queue: the next item opens
        },
    ),
    "assessments:score_comment": Plan("vhxh", _crit("free"), lambda p, f: {"comment": "Góp ý."}),
    "assessments:submit_unit": Plan(
        "vhxh",
        data=lambda p, f: {
            "items": _send_plan(p).confirmation,
            "confirm_missing_evidence": "1",
            "next": "/",
        },
    ),
    "assessments:submit_unit_confirm": Plan("vhxh"),
    "assessments:missing_evidence": Plan("lanhdao"),
    "assessments:lock": Plan("lanhdao", data=lambda p, f: {"reason": "Hết hạn.", "next": "/"}),
    "assessments:adjustment": Plan(
        "lanhdao",
        lambda p, f: {**_a(p), "adjustment_pk": p.adjustment.pk},
        lambda p, f: {"cases": "1", "note": "Một trường hợp.", "next": "/"},
    ),
    "assessments:reopen": Plan(
        "lanhdao",
        data=lambda p, f: {"reason": "Bổ sung.", "new_deadline": "30/06/2026", "next": "/"},
        setup=_locked,
    ),
    "assessments:assignment_edit": Plan(
        "lanhdao",
        _crit("free"),
        lambda p, f: {
            "lead_unit": p.assessment.commune.units.get(short_name="VHXH").pk,
            "supporting_units": p.assessment.commune.units.get(short_name="KT").pk,
        },
    ),
    "assessments:queue": Plan("lanhdao", data=_queue_filters),
    "assessments:queue_approve": Plan(
        "lanhdao",
        data=lambda p, f: {
            "muc": f"{p.score('submitted').pk}:{p.score('submitted').version}",
            **_queue_filters(p, f),
        },
    ),
    "assessments:periods": Plan("lanhdao", data=lambda p, f: {"ky": p.assessment.pk}),
    "assessments:choose": Plan("vhxh"),
    "assessments:period_create": Plan(
        "lanhdao",
        data=lambda p, f: {
            "year": "2027",
            "period": "h1",
            "criteria_set": p.assessment.criteria_set_id,
        },
    ),
    "assessments:compare": Plan("lanhdao"),
    "evidence:overview": Plan("vhxh"),
    "evidence:search": Plan(
        "vhxh", data=lambda p, f: {"q": "bien", "tieu-chi": p.criteria["link_target"].pk}
    ),
    "evidence:archive": Plan("vhxh"),
    "evidence:history": Plan("lanhdao"),
    "evidence:panel": Plan("vhxh", _crit("evidence"), htmx=True),
    "evidence:upload": Plan(
        "vhxh",
        _crit("evidence"),
        lambda p, f: {"files": _pdf("Biên bản.pdf"), "allow_duplicate": "1"},
    ),
    "evidence:link": Plan("vhxh", _crit("link_target"), lambda p, f: {"evidence": p.evidence.pk}),
    "evidence:reuse": Plan(
        "vhxh", _next_crit, lambda p, f: {"evidence": p.evidence.pk}, setup=_with_next_period
    ),
    "evidence:unlink": Plan(
        "vhxh", lambda p, f: {**_crit("linked")(p, f), "evidence_pk": p.evidence.pk}
    ),
    "evidence:detail": Plan(
        "vhxh",
        _ev,
        lambda p, f: {
            "title": "Biên bản họp",
            "doc_number": "12/BB-UBND",
            "issue_date": "10/02/2026",
            "issuer": "UBND xã",
            "location": "Tủ hồ sơ 2",
        },
    ),
    "evidence:replace": Plan("vhxh", _ev, lambda p, f: {"file": _pdf("Bản mới.pdf", pages=3)}),
    "evidence:delete": Plan("vhxh", _ev, lambda p, f: {"next": "/"}),
    "evidence:restore": Plan(
        "vhxh", lambda p, f: {**_a(p), "evidence_pk": p.deleted.pk}, lambda p, f: {"next": "/"}
    ),
    "evidence:download": Plan(
        "vhxh", lambda p, f: {**_a(p), "file_pk": p.evidence.current_file_id}
    ),
    "evidence:thumbnail": Plan(
        "vhxh", lambda p, f: {**_a(p), "file_pk": p.evidence.current_file_id}
    ),
    "reports:dashboard": Plan("lanhdao"),
    "reports:units": Plan("lanhdao"),
    "reports:units_xlsx": Plan("lanhdao"),
    "reports:home": Plan("vanthu"),
    "reports:edit": Plan(
        "vanthu",
        _report("draft"),
        lambda p, f: {
            "save_settings": "1",
            "summary": "Kết quả thực hiện",
            "signer": p.keys["person"].owner_id,
            "authority": Report.Authority.DEPUTY,
            "signer_name": "Lưu Thị Tươi",
            "recipients": "Như trên;\nLưu: VT.",
        },
    ),
    "reports:section_save": Plan(
        "vanthu",
        lambda p, f: {**_report("draft")(p, f), "section_pk": p.draft.sections.first().pk},
        lambda p, f: {"version": p.draft.sections.first().version, "body": "Nội dung."},
    ),
    "reports:section_refresh": Plan(
        "vanthu",
        lambda p, f: {**_report("draft")(p, f), "section_pk": p.draft.sections.first().pk},
        lambda p, f: {"version": p.draft.sections.first().version},
    ),
    "reports:section_keep": Plan(
        "vanthu",
        lambda p, f: {**_report("draft")(p, f), "section_pk": p.draft.sections.first().pk},
        lambda p, f: {"version": p.draft.sections.first().version},
    ),
    "reports:section_history": Plan(
        "vanthu",
        lambda p, f: {**_report("draft")(p, f), "section_pk": p.draft.sections.first().pk},
    ),
    "reports:preview": Plan("vanthu", _report("draft")),
    "reports:pdf": Plan("vanthu", _report("draft")),
    "reports:docx": Plan("vanthu", _report("draft")),
    "reports:appendix_preview": Plan("vanthu", _report("draft")),
    "reports:appendix_pdf": Plan("vanthu", _report("draft")),
    "reports:appendix_xlsx": Plan("vanthu", _report("draft")),
    "reports:appendix_docx": Plan("vanthu", _report("draft")),
    "reports:issue": Plan(
        "lanhdao", _report("draft"), lambda p, f: {"override_reason": "Cần gửi đúng hạn."}
    ),
    "reports:issued": Plan("vanthu", _report("signed")),
    "reports:sign": Plan(
        "lanhdao",
        _report("issued"),
        lambda p, f: {
            "key": p.keys["person"].pk,
            "secret": DEMO_PASSPHRASE,
            "step": "person",
            "confirm": "on",
        },
    ),
    "reports:remote_start": Plan(
        "lanhdao",
        _report("issued"),
        lambda p, f: {"key": _remote_key(p).pk, "confirm": "on"},
        setup=_remote_key,
    ),
    "reports:remote_signing": Plan("lanhdao", _remote_signing, setup=_with_remote_signing),
    "reports:remote_status": Plan(
        "lanhdao", _remote_signing, htmx=True, setup=_with_remote_signing
    ),
    "reports:reopen": Plan(
        "lanhdao",
        _report("issued"),
        lambda p, f: {"reason": "Sửa điểm theo minh chứng bổ sung."},
        setup=_frozen,
    ),
    "reports:issued_file": Plan("vanthu", _file),
    "reports:latest": Plan("vanthu", lambda p, f: {**_report("signed")(p, f), "kind": "report"}),
    "reports:dossier": Plan("vanthu", _report("signed")),
    "reports:dossier_download": Plan(
        "vanthu", lambda p, f: {**_report("signed")(p, f), "dossier_pk": 1}
    ),
    "reports:task_add": Plan(
        "vanthu", _report("draft"), lambda p, f: {"text": "Tổng kết mô hình."}, htmx=True
    ),
    "reports:task_move": Plan(
        "vanthu",
        _report("draft"),
        lambda p, f: {"key": f"task:{p.draft.tasks.first().pk}", "direction": "down"},
        htmx=True,
        setup=_with_task,
    ),
    "reports:task_edit": Plan(
        "vanthu",
        _general_task,
        lambda p, f: {"text": "Sơ kết mô hình."},
        htmx=True,
        setup=_with_task,
    ),
    "reports:task_delete": Plan("vanthu", _general_task, htmx=True, setup=_with_task),
    "reports:documents": Plan("vanthu", data=_document_data),
    "reports:document_edit": Plan("vanthu", _document, _document_data, setup=_with_document),
    "reports:document_delete": Plan("vanthu", _document, setup=_with_document),
    "criteria:set_list": Plan("vhxh"),
    "criteria:set_detail": Plan("vhxh", lambda p, f: {"pk": p.assessment.criteria_set_id}),
    "verify:upload": Plan(None, data=lambda p, f: {"file": _pdf("Báo cáo.pdf")}),
    "verify:document": Plan(
        None,
        lambda p, f: {"token": p.signed.verify_token},
        lambda p, f: {"file": _pdf("Báo cáo.pdf")},
    ),
    "health": Plan(None),
    "admin:criteria_criteriaset_xlsx": Plan(
        "admin", lambda p, f: {"object_id": p.assessment.criteria_set_id}
    ),
    "admin:criteria_criterion_template": Plan("admin"),
    "admin:criteria_criterion_import": Plan(
        "admin", data=lambda p, f: {"criteria_set": p.assessment.criteria_set_id}
    ),
    "admin:auth_user_password_change": Plan(
        "admin",
        lambda p, f: {"id": p.users["vhxh"].pk},
        lambda p, f: {
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    ),
    "accounts:security": Plan(WITH_APP, setup=_has_app, session=_verified),
    "accounts:enrol": Plan(
        ENROLLING,
        data=lambda p, f: {
            "code": totp_code(_app(p, ENROLLING, confirmed=False)),
            "next": "/bo-tieu-chi/",
        },
        setup=_enrolling,
    ),
    "accounts:qr": Plan(ENROLLING, setup=_enrolling),
    "accounts:verify": Plan(
        WITH_APP,
        data=lambda p, f: {"code": totp_code(_app(p)), "next": "/bo-tieu-chi/"},
        setup=_has_app,
    ),
    "accounts:codes": Plan(
        WITH_APP, data=lambda p, f: {"next": "/"}, setup=_has_app, session=_codes_shown
    ),
    "accounts:codes_download": Plan(WITH_APP, setup=_has_app, session=_codes_shown),
    "accounts:codes_regenerate": Plan(
        WITH_APP, data=lambda p, f: {"code": totp_code(_app(p))}, setup=_has_app, session=_verified
    ),
    "accounts:reset": Plan(
        WITH_APP, data=lambda p, f: {"code": totp_code(_app(p))}, setup=_has_app, session=_verified
    ),
    # Administrators: only they have the commune among the filters.
    "audit:list": Plan("admin", data=_audit_filters),
    "audit:export": Plan("admin", data=_audit_filters),
    # System administration (issue 13); the accounts import is also the commune's own
    # administrator's (chutich), the same endpoints.
    "system_admin:home": Plan("admin", data=lambda p, f: {"trang": "1"}),
    "system_admin:commune_create": Plan("admin", data=_commune_form),
    "system_admin:accounts_import": Plan(
        "admin", _commune, _accounts_sheet, session=_import_preview
    ),
    "system_admin:accounts_template": Plan("admin", _commune),
    "system_admin:accounts_import_confirm": Plan(
        "admin", _commune, lambda p, f: {"token": IMPORT_TOKEN}, session=_import_preview
    ),
    # -- issue 14 B: the city's appraisers (sonoivu) on Nghi Dương's submission --
    "appraise:list": Plan(APPRAISER, data=lambda p, f: {"cua-toi": "1", "trang": "1"}),
    "appraise:submission": Plan(
        APPRAISER, _submission, lambda p, f: {"cua-toi": "1"}, setup=_with_submission
    ),
    "appraise:evidence_file": Plan(
        APPRAISER, _submission, lambda p, f: {"xem": "1"}, setup=_with_submission
    ),
    "appraise:score": Plan(APPRAISER, _submission, _appraise_data, setup=_with_submission),
    "appraise:assign": Plan(APPRAISER, _submission, _assign_data, setup=_with_submission),
    "appraise:adjustment": Plan(
        APPRAISER,
        _submission,
        lambda p, f: {"cases": "1", "note": "Quyết định kỷ luật số 12."},
        setup=_with_submission,
    ),
    "appraise:request": Plan(APPRAISER, _submission, _request_data, setup=_with_submission),
    # Issue 14 C: rounds, the council's sessions and votes, the recognition decision.
    "council:rounds": Plan("quantritp", _city),
    "council:round_add": Plan("quantritp", _city, _round_data, setup=_council_round),
    "council:round_edit": Plan("quantritp", _round_kwargs, _round_edit_data, setup=_council_round),
    "council:sessions": Plan("chutichhd", _city, setup=_council_round),
    "council:session_add": Plan(
        "chutichhd", _round_kwargs, _session_data, setup=lambda p: _appraised(p, "An Lão")
    ),
    "council:session": Plan("chutichhd", _session_kwargs, setup=_with_council_session),
    "council:session_items": Plan(
        "chutichhd",
        _session_kwargs,
        lambda p, f: {"submissions": _appraised(p, "An Lão").pk},
        setup=_with_council_session,
    ),
    "council:session_close": Plan("chutichhd", _session_kwargs, setup=_with_council_session),
    "council:vote": Plan(
        "hoidong1",
        _council_item_kwargs,
        lambda p, f: {"choice": "against", "note": "Chưa đủ minh chứng."},
        setup=_with_council_session,
    ),
    "council:item_remove": Plan("chutichhd", _council_item_kwargs, setup=_with_council_session),
    "council:recognition": Plan(
        "quantritp", _round_kwargs, _recognition_data, setup=_with_concluded
    ),
    # The city's documents issued and signed in the portal (the office issues and seals, the
    # leader named signs).
    "city_documents:round": Plan(
        "quantritp", _city_document_kwargs, setup=lambda p: _appraised(p, "An Lão")
    ),
    "city_documents:issue": Plan(
        "quantritp", _city_document_kwargs, _issue_data, setup=_with_decision_to_issue
    ),
    "city_documents:sign": Plan(
        "giamdocso", _city_document_kwargs, _sign_data("giamdocso"), setup=_issued_decision
    ),
    "city_documents:seal": Plan(
        "quantritp",
        _city_document_kwargs,
        _sign_data(None),
        setup=lambda p: _issued_decision(p, CityDocument.Status.SIGNED),
    ),
    "city_documents:issued_pdf": Plan(
        "sonoivu",
        _city_document_kwargs,
        lambda p, f: {"buoc": "unsigned", "xem": "1"},
        setup=_issued_decision,
    ),
    # The city's people, managed by the city's administrator.
    "appraisal:people": Plan("quantritp", _city),
    "appraisal:person_add": Plan("quantritp", _city, _city_person_data),
    "appraisal:person_edit": Plan(
        "quantritp", _city_person, _city_person_data, setup=_city_person_has_app
    ),
    "appraisal:person_active": Plan("quantritp", _city_person, lambda p, f: {"active": "0"}),
    "appraisal:person_password": Plan("quantritp", _city_person),
    "appraisal:person_two_factor": Plan("quantritp", _city_person, setup=_city_person_has_app),
    "appraisal:person_unlock": Plan("quantritp", _city_person),
}


# -- checks -----------------------------------------------------------------------------------


# Written by our accounts views: the authenticator apps and recovery codes (django-otp).
DEVICE_APPS = ("otp_totp", "otp_static")


def _our_models():
    labels = {*OUR_APPS, *DEVICE_APPS}
    return [m for config in apps.get_app_configs() if config.label in labels
            for m in config.get_models()]  # fmt: skip


def row_counts() -> dict[str, int]:
    """Rows per table of our apps, in one query."""
    tables = [m._meta.db_table for m in _our_models()]
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _text_fields(model) -> list:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField))
    ]


def stored_in(value: str) -> list[str]:
    """Models of our apps with `value` in a text column."""
    where = []
    for model in _our_models():
        if text := [f.name for f in _text_fields(model)]:
            match = reduce(or_, [models.Q(**{f"{name}__contains": value}) for name in text])
            if model.objects.filter(match).exists():
                where.append(model._meta.label)
    return where


def nul_stored_in() -> list[str]:
    """Tables of our apps with a NUL character in a text column. SQLite only: PostgreSQL
    cannot hold one, and SQLite's LIKE stops at a NUL, so this asks instr()."""
    quote = connection.ops.quote_name
    where = []
    with connection.cursor() as cursor:
        for model in _our_models():
            if columns := [f.column for f in _text_fields(model)]:
                test = " OR ".join(f"instr({quote(c)}, char(0)) > 0" for c in columns)
                cursor.execute(f"SELECT COUNT(*) FROM {quote(model._meta.db_table)} WHERE {test}")
                if cursor.fetchone()[0]:
                    where.append(model._meta.db_table)
    return where


def refused(response) -> bool:
    if response.status_code >= 400:
        return True
    if any(m.level >= messages.ERROR for m in get_messages(response.wsgi_request)):
        return True
    contexts = response.context or []
    for context in [contexts] if isinstance(contexts, Context) else contexts:
        for value in context.flatten().values():
            if isinstance(value, forms.BaseForm) and value.is_bound and value.errors:
                return True
        if context.get("error"):
            return True
    return False


# Rows a refused request may still write, on purpose.
LOGGED_WHEN_REFUSED = {
    # Anonymous verification failures are recorded (issue 9 point 5 bounds them).
    "verify:upload": {"reports_documentevent"},
    "verify:document": {"reports_documentevent"},
    # A wrong passphrase counts towards the key's limit of tries (issue 9 point 4).
    "reports:sign": {"reports_signingattempt"},
    "city_documents:sign": {"reports_signingattempt"},
    "city_documents:seal": {"reports_signingattempt"},
    # A failed login is in the audit trail (issue 9 point 7).
    "login": {"audit_auditentry"},
}


def _kwargs(route: Route, plan: Plan, portal: Portal, name) -> dict:
    return {k: v for k, v in plan.kwargs(portal, name).items() if k in route.converters}


def log_in(client, portal: Portal, username: str) -> None:
    """`client` as `username`, with the session their login made when the module began: each
    test's writes (that session's included) are rolled back, so each starts from it as it was.
    (Logging in anew for each of the thousands of cases cost a sixth of the module's time on
    PostgreSQL.)"""
    client.cookies = copy.deepcopy(portal.logins[username])


def _prepare(client, plan: Plan, portal: Portal) -> None:
    """The state the plan's endpoint works in, then its session (which may name that state),
    for the persona already logged in."""
    if plan.setup is not None:
        plan.setup(portal)
    if plan.session is not None:
        session = client.session
        session.update(plan.session(portal))
        session.save()


def _request(client, route: Route, plan: Plan, portal: Portal, method, name, kind, value):
    kwargs = _kwargs(route, plan, portal, name)
    data = plan.data(portal, name)
    if kind == "kwargs":
        kwargs = {k: ("9" * 400 if isinstance(route.converters[k], IntConverter) else v)
                  for k, v in kwargs.items()}  # fmt: skip
    elif kind == "path" and not isinstance(route.converters[name], UUIDConverter):
        kwargs[name] = "PLACEHOLDER"
    elif kind == "file":
        data[name] = _pdf(f"{value}.pdf")
    else:
        data[name] = value
    url = reverse(route.name, kwargs=kwargs)
    if kind == "path":  # what a client may send, whether or not the route's converter takes it
        # A UUID's pattern takes no placeholder: the real one (unique in the URL) is replaced.
        url = url.replace(str(kwargs[name]), quote(value, safe=""))
    headers = {"HX-Request": "true"} if plan.htmx else {}
    read_from = {}
    for m, n, _k in route.fields:
        read_from.setdefault(n, set()).add(m)
    if method == "GET" and "GET" in route.methods:
        query = {k: v for k, v in data.items() if "GET" in read_from.get(k, ())}
        return client.get(url, query, headers=headers)
    # A POST view that also reads the query string (e.g. `phan` through the panel it renders).
    query = {k: data.pop(k) for k in list(data) if read_from.get(k) == {"GET"}}
    if query:
        url += "?" + urlencode(query)
    return client.post(url, data, headers=headers)


@pytest.mark.parametrize("url_name,method,name,kind,value_kind", list(cases()))
def test_hostile_value_is_refused_or_stored_clean(
    client, db, portal, url_name, method, name, kind, value_kind
):
    route = routes()[url_name]
    plan = PLANS.get(url_name)
    assert plan is not None, f"{url_name}: add who uses it and its valid values to PLANS"
    value = HOSTILE[value_kind]
    if plan.persona:
        log_in(client, portal, plan.persona)
    _prepare(client, plan, portal)
    before = row_counts()

    response = _request(client, route, plan, portal, method, name, kind, value)

    assert response.status_code < 500
    # A rate limit or a lockout answered before the code saw the value: nothing was tried.
    # (tests/conftest.py empties their counters before each test; one request each.)
    assert response.status_code != 429
    if kind == "kwargs":
        assert response.status_code == 404
    if refused(response):
        after = row_counts()
        changed = {t for t in before if before[t] != after[t]} - LOGGED_WHEN_REFUSED.get(
            url_name, set()
        )
        assert not changed, f"refused, yet rows were written to {sorted(changed)}"
    if value_kind == "nfd":
        assert stored_in(value) == [], "text is stored in NFC"
    if value_kind == "nul" and connection.vendor != "postgresql":  # PostgreSQL cannot hold it
        assert nul_stored_in() == [], "a NUL character was stored"


def test_every_route_has_a_plan():
    assert sorted(set(routes()) - set(PLANS)) == []
    assert sorted(set(PLANS) - set(routes())) == []


def test_the_discovery_finds_what_the_views_read():
    """The fields above come from reading the views' code; a few known ones prove it does."""
    fields = {name: {(m, n) for m, n, _k in route.fields} for name, route in routes().items()}
    assert ("POST", "cases") in fields["assessments:adjustment"]  # AdjustmentForm
    assert ("POST", "next") in fields["evidence:delete"]  # through next_url
    assert ("GET", "tieu-chi") in fields["evidence:overview"]  # through id_param
    assert ("GET", "phan") in fields["evidence:link"]  # through the panel it renders
    assert ("POST", "save_settings") in fields["reports:edit"]  # "..." in request.POST
    assert ("POST", "new_password2") in fields["password_change"]  # Django's form_class
    assert routes()["evidence:unlink"].methods == {"POST"}
    assert ("GET", "don-vi") in fields["audit:list"]  # EntryFilterForm's name for `unit`
    assert ("POST", "code") in fields["accounts:reset"]  # through _confirm_with_code
    # `_next(request, "accounts:security")` names a page, not a field.
    assert fields["accounts:codes"] == {("GET", "next"), ("POST", "next")}
    assert ("POST", "usable_password") in fields["admin:auth_user_password_change"]


@pytest.mark.parametrize(
    "url_name",
    [name for name, route in routes().items() if "POST" in route.methods and route.fields],
)
def test_the_valid_values_are_accepted(client, db, portal, url_name):
    """Each hostile value replaces one field of a request that is otherwise accepted, so it
    gets as far into the code as a value can."""
    route, plan = routes()[url_name], PLANS[url_name]
    if plan.persona:
        log_in(client, portal, plan.persona)
    _prepare(client, plan, portal)
    data = plan.data(portal, None)
    url = reverse(url_name, kwargs=_kwargs(route, plan, portal, None))
    response = client.post(url, data, headers={"HX-Request": "true"} if plan.htmx else {})
    assert response.status_code < 400
    assert not refused(response), [str(m) for m in get_messages(response.wsgi_request)]


# -- the pages' forms are all covered ---------------------------------------------------------


class _Forms(HTMLParser):
    """Every form (action, method, the names of its fields) and every named input that htmx
    sends on its own. Submit buttons count only when the code reads them: a button whose
    name nobody reads carries nothing in."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "form":
            posts = (attrs.get("method") or "get").lower() == "post" or "hx-post" in attrs
            self._open = {
                "action": attrs.get("hx-post") or attrs.get("action") or "",
                "method": "POST" if posts else "GET",
                "fields": set(),
                "buttons": set(),
            }
            self.forms.append(self._open)
        elif tag in ("input", "select", "textarea", "button") and name:
            button = tag == "button" or attrs.get("type") == "submit"
            if attrs.get("hx-get"):
                action, _, query = attrs["hx-get"].partition("?")
                names = {name, *(part.partition("=")[0] for part in query.split("&") if part)}
                self.forms.append(
                    {"action": action, "method": "GET", "fields": names, "buttons": set()}
                )
            elif self._open is not None:
                self._open["buttons" if button else "fields"].add(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def _page_forms(client, portal, persona, url_name, kwargs, query=None, htmx=False, plan=None):
    """(target endpoint, method, field names) of every form on one page; with the page's
    plan, in its state and with the valid values of its query string."""
    client.logout()
    if persona:
        client.force_login(portal.users[persona])
    if plan is not None:
        _prepare(client, plan, portal)
        get_fields = {n for m, n, _k in routes()[url_name].fields if m == "GET"}
        query = {k: v for k, v in plan.data(portal, None).items() if k in get_fields}
    url = reverse(url_name, kwargs=kwargs)
    response = client.get(url, query or {}, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 200, (url_name, persona, response.status_code)
    parser = _Forms()
    parser.feed(response.content.decode())
    for form in parser.forms:
        target = resolve(urlsplit(form["action"]).path or url)
        name = f"{target.namespace}:{target.url_name}".lstrip(":")
        yield name, form["method"], form["fields"]


def _crawl(portal):
    """Each HTML page as the persona its plan names, in the state its plan sets up (the
    states add up: plans share a persona only where their states agree), then pages whose
    forms depend on who looks or on the state of things."""
    for url_name, route in routes().items():
        plan = PLANS[url_name]
        if "GET" in route.methods and url_name not in FILES | FROZEN_ONLY | REDIRECTS:
            kwargs = _kwargs(route, plan, portal, None)
            yield plan.persona, url_name, kwargs, None, plan.htmx, plan
    yield "lanhdao", "assessments:criterion", _crit("submitted")(portal, None), None, False, None
    yield "vhxh", "evidence:panel", _crit("linked")(portal, None), None, True, None
    yield "vanthu", "reports:issued", _report("issued")(portal, None), None, False, None
    # the previous period's evidence offered for reuse in the next period
    yield "vhxh", "evidence:panel", _next_crit(portal, None), None, True, None
    yield "lanhdao", "reports:edit", _report("draft")(portal, None), None, False, None
    # with a general task: its edit, delete and move forms
    _with_task(portal)
    yield "vanthu", "reports:edit", _report("draft")(portal, None), None, False, None
    # a remote signing refused on the phone: "Thử lại", and the signer's form on the report
    kwargs = _remote_signing(portal, None)
    RemoteSigning.objects.filter(pk=kwargs["signing_pk"]).update(
        status=RemoteSigning.Status.REFUSED
    )
    yield "lanhdao", "reports:remote_signing", kwargs, None, False, None
    yield "lanhdao", "reports:issued", _report("issued")(portal, None), None, False, None
    # the city's decision issued: its signer's form, then (signed) the office's seal form
    kwargs = _round_kwargs(portal)
    _issued_decision(portal)
    yield "giamdocso", "city_documents:round", kwargs, None, False, None
    _issued_decision(portal, CityDocument.Status.SIGNED)
    yield "quantritp", "city_documents:round", kwargs, None, False, None


# GETs that answer with a redirect, not a page: remembering a chosen period, opening a notice
# (which goes to its page), a city person's landing (their city's dashboard).
REDIRECTS = {"assessments:choose", "notifications:open", "appraisal:home"}

# Pages whose state (a frozen assessment) would hide the other pages' forms: looked at last.
FROZEN_ONLY = {"reports:reopen"}

FILES = {
    "evidence:archive", "evidence:download", "evidence:thumbnail", "reports:units_xlsx",
    "reports:pdf", "reports:docx", "reports:appendix_pdf", "reports:appendix_xlsx",
    "reports:appendix_docx", "reports:issued_file", "reports:latest", "reports:dossier_download",
    "admin:criteria_criteriaset_xlsx", "admin:criteria_criterion_template",
    "admin:criteria_criterion_import", "accounts:qr", "accounts:codes_download", "audit:export",
    "system_admin:accounts_template", "appraise:evidence_file", "appraisal:ranking_xlsx",
    "appraisal:results_xlsx", "city_documents:pdf", "city_documents:issued_pdf",
    "jobs:download",
}  # fmt: skip


def test_every_form_on_the_pages_is_fuzzed(client, db, portal):
    """Every field of every form on the pages is one the fuzz sends to that form's endpoint,
    and every endpoint that takes a POST is the target of some form."""
    seen, unknown = set(), []

    def look(pages):
        for persona, url_name, kwargs, query, htmx, plan in pages:
            for target, method, names in _page_forms(
                client, portal, persona, url_name, kwargs, query, htmx, plan
            ):
                if target.startswith("admin:") and target not in routes():
                    continue  # Django's own admin pages
                seen.add((target, method))
                known = {n for m, n, _k in routes()[target].fields if m == method}
                unknown.extend(
                    (url_name, target, n) for n in names - known - {"csrfmiddlewaretoken"}
                )

    look(_crawl(portal))
    # The reopen form shows on a locked assessment, "create a draft" while there is none.
    Assessment.objects.filter(pk=portal.assessment.pk).update(status=Assessment.Status.LOCKED)
    Report.objects.filter(pk=portal.draft.pk).delete()
    look([("lanhdao", "reports:dashboard", _a(portal), None, False, None),
          ("vanthu", "reports:home", _a(portal), None, False, None)])  # fmt: skip
    # The reopening form shows on the issued report that froze the assessment.
    look([("lanhdao", name, _kwargs(routes()[name], PLANS[name], portal, None), None, False,
           PLANS[name]) for name in FROZEN_ONLY])  # fmt: skip
    # The secretary's "send to the city" shows while a signed report froze the assessment.
    _sendable(portal)
    look([("vanthu", "submission:detail", _a(portal), None, False, None)])

    assert unknown == []
    posting = {(name, "POST") for name, route in routes().items() if "POST" in route.methods}
    assert posting - seen == set()
