"""Every URL pattern of the project × every persona: the status each one gets.

The patterns come from the URL resolver, not from a hand-written list, and EXPECTED is keyed
by URL name: a URL name missing from it fails the test. A new view therefore needs its rule
in two places: `@rule(...)` above the view (assessments/access.py) and a row here.

GET for pages; a view that refuses GET (405) is sent an empty POST instead, which must not
succeed for a persona the rule forbids. Each request runs in a transaction that is rolled
back, so one persona's POST does not change what the next one sees.
"""

from __future__ import annotations

import copy
import re
import weakref
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from appraisal.models import (
    CityDocument,
    CityDocumentFile,
    CouncilSession,
    ExplanationRequest,
    Round,
    Submission,
)
from criteria.models import Adjustment
from evidence.services import evidence_upload
from jobs.models import Job
from notifications.services import notify
from reports.models import RegisteredNumber, RemoteSigning, SigningKey
from tests.evidence.conftest import pdf_bytes

pytestmark = pytest.mark.django_db

PERSONAS = [
    "anonymous",
    "outsider",
    "other_staff",
    "supporting_staff",
    "own_staff",
    "secretary",
    "leader",
    "commune_admin",  # a leader who is also the commune's administrator (the Chủ tịch)
    "administrator",
    # The city's side (issue 14): Hải Phòng's people, and an appraiser of another city.
    "appraiser",
    "council_member",
    "city_admin",
    "other_city",
]
CITY_PERSONAS = ("appraiser", "council_member", "city_admin", "other_city")

OK = "ok"  # 2xx, or a redirect that is not to a login page
LOGIN = "login"  # sent to the login page
DENIED = 403
MISSING = 404


def _rule(
    *allowed: str,
    anonymous=LOGIN,
    outsider=MISSING,
    refused=DENIED,
    commune_admin=None,
    city=None,
) -> dict:
    """The outcome per persona: OK for `allowed`, `refused` for the commune's other members.
    The commune's administrator is a leader: the leader's outcome unless told otherwise.
    The city's people are outsiders to a commune's pages unless `city` or `allowed` says."""
    table = {persona: refused for persona in PERSONAS}
    table.update(anonymous=anonymous, outsider=outsider)
    table.update({persona: outsider if city is None else city for persona in CITY_PERSONAS})
    table.update({persona: OK for persona in allowed})
    if commune_admin is not None:
        table["commune_admin"] = commune_admin
    elif "commune_admin" not in allowed:
        table["commune_admin"] = table["leader"]
    return table


STAFF = ("other_staff", "supporting_staff", "own_staff")
# Rules (the names of `@rule(...)` in assessments/access.py, narrowed where a view narrows).
PUBLIC = _rule(*PERSONAS, anonymous=OK, outsider=OK)
SIGNED_IN = _rule(*PERSONAS[1:], outsider=OK)
MEMBER = _rule(*STAFF, "secretary", "leader", "administrator")
REVIEWER = _rule("secretary", "leader", "administrator")
LEADER = _rule("leader", "administrator")
SECRETARY = _rule("secretary", "administrator")
# Unit rules, about `own_criterion` (2.2.e, led by own_staff's unit, supported by
# supporting_staff's) and an evidence own_staff uploaded to it.
PROPOSE = _rule("own_staff", "leader", "administrator")
UPLOAD = _rule("own_staff", "supporting_staff", "secretary", "leader", "administrator")
UPLOADER = _rule("own_staff", "leader", "administrator")
SUBMIT_UNIT = _rule(*STAFF, "leader", "administrator")  # staff send their own unit's
# Not every score is approved: only a leader may issue, with a reason.
ISSUE_EARLY = _rule("leader", "administrator")
# The report's named signer only (the Phó Chủ tịch `leader`): not the secretary, not an
# administrator (a person's signature is personal).
SIGNER = _rule("leader", commune_admin=DENIED)  # the Chủ tịch is not the named signer
# The audit trail: leaders read their own commune's (the outsider is An Lão's leader).
AUDIT = _rule("leader", "administrator", outsider=OK, city=DENIED)
# System administration (issue 13): superusers only; the outsider is refused like the rest.
SYSTEM_ADMIN = _rule("administrator", outsider=DENIED)
# A commune's accounts import: system administrators, and the commune's own administrator
# (the "commune_admin" persona, chutich); its other members are refused, another commune's
# people (administrator included) get 404.
COMMUNE_ADMIN_IMPORT = _rule("commune_admin", "administrator")
# Signing out sends everyone to the login page.
SIGN_OUT = _rule(anonymous=LOGIN, outsider=LOGIN, refused=LOGIN)
# Signed in, but only during one's own set-up of the second factor: 404 for the personas,
# who have none under way (tests/accounts/ cover the set-up itself).
OWN_SETUP = _rule(outsider=MISSING, refused=MISSING)
# One's own notice (own_staff's here): everyone else, administrators included, gets 404.
OWN_NOTICE = _rule("own_staff", outsider=MISSING, refused=MISSING)
# Quản trị xã (issue 13): the commune's administrator and system administrators; the outsider
# (xã An Lão's administrator) gets 404 for Nghi Dương's pages and lands on their own from /.
COMMUNE_ADMIN = _rule("commune_admin", "administrator")
# The city's pages: commune people are refused (they are not the city's), another city's
# people find no such city; `city_home` lands every city person on their own city.
CITY_HOME = _rule(
    "appraiser", "council_member", "city_admin", "other_city", "administrator", outsider=DENIED
)
CITY = _rule(
    "appraiser", "council_member", "city_admin", "administrator", outsider=DENIED, city=MISSING
)
APPRAISE = {
    **_rule("appraiser", "city_admin", "administrator", outsider=DENIED, city=MISSING),
    "council_member": DENIED,
}
# Issue 14 C: the council's pages. Another city's people find no such city (404); commune
# people are refused (403), as on every city page.
C_CITY_ADMIN = {
    **_rule("city_admin", "administrator", outsider=DENIED, city=DENIED),
    "other_city": MISSING,
}
C_COUNCIL = {
    **_rule("council_member", "city_admin", "administrator", outsider=DENIED, city=DENIED),
    "other_city": MISSING,
}
C_PREPARE = C_CITY_ADMIN  # the chair (not a persona here) too: tests/appraisal/test_council.py
C_VOTE = {**_rule("council_member", outsider=DENIED, city=DENIED), "other_city": MISSING}
COMMUNE_ADMIN_HOME = _rule("commune_admin", "administrator", outsider=OK, city=DENIED)

EXPECTED = {
    # The portal
    "home": SIGNED_IN,
    "login": PUBLIC,
    "logout": SIGN_OUT,
    "password_change": SIGNED_IN,
    "password_change_done": SIGNED_IN,
    "accounts:security": SIGNED_IN,
    "accounts:enrol": SIGNED_IN,
    "accounts:qr": OWN_SETUP,
    "accounts:verify": SIGNED_IN,
    "accounts:codes": SIGNED_IN,
    "accounts:codes_download": OWN_SETUP,
    "accounts:codes_regenerate": SIGNED_IN,
    "accounts:reset": SIGNED_IN,
    "criteria:set_list": SIGNED_IN,
    "criteria:set_detail": SIGNED_IN,
    "audit:list": AUDIT,
    "audit:export": AUDIT,
    "verify:upload": PUBLIC,
    "verify:document": PUBLIC,
    "health": PUBLIC,  # for the load balancer (chinhquyen/health.py)
    # An assessment
    "assessments:detail": MEMBER,
    "assessments:criterion": MEMBER,
    "assessments:score_propose": PROPOSE,
    "assessments:score_review": LEADER,
    "assessments:score_comment": MEMBER,
    "assessments:submit_unit": SUBMIT_UNIT,
    "assessments:submit_unit_confirm": SUBMIT_UNIT,  # the list "send all" would send
    "assessments:missing_evidence": MEMBER,  # staff see their unit's rows
    "assessments:lock": LEADER,
    "assessments:adjustment": LEADER,
    "assessments:reopen": LEADER,
    "assessments:assignment_edit": LEADER,
    "assessments:queue": LEADER,  # the review queue: deciding is the leaders'
    "assessments:queue_approve": LEADER,
    # Periods (issue 12): the list is each person's own commune's (the outsider sees An Lão's)
    "assessments:periods": SIGNED_IN,
    "assessments:choose": MEMBER,
    "assessments:period_create": LEADER,
    "assessments:compare": REVIEWER,
    "assessments:deadlines": LEADER,
    "assessments:unit_deadline": LEADER,
    "assessments:unit_deadline_remove": LEADER,
    # A person's notices (issue 12)
    "notifications:list": SIGNED_IN,
    "notifications:open": OWN_NOTICE,
    # A job (issue 15): its page, progress and result are the starter's (own_staff's) only.
    "jobs:detail": OWN_NOTICE,
    "jobs:progress": OWN_NOTICE,
    "jobs:download": OWN_NOTICE,
    "notifications:read_all": SIGNED_IN,
    "notifications:settings": SIGNED_IN,
    # Its evidence
    "evidence:overview": MEMBER,
    "evidence:search": MEMBER,
    "evidence:archive": MEMBER,
    "evidence:history": LEADER,
    "evidence:panel": MEMBER,
    "evidence:upload": UPLOAD,
    "evidence:link": UPLOAD,
    "evidence:reuse": UPLOAD,
    "evidence:unlink": UPLOAD,
    "evidence:detail": MEMBER,
    "evidence:replace": UPLOADER,
    "evidence:delete": UPLOADER,
    "evidence:restore": UPLOADER,
    "evidence:download": MEMBER,
    "evidence:thumbnail": MEMBER,
    # Its dashboards and reports
    "reports:dashboard": REVIEWER,
    "reports:units": REVIEWER,
    "reports:units_xlsx": REVIEWER,
    "reports:home": REVIEWER,
    "reports:edit": REVIEWER,
    "reports:section_save": REVIEWER,
    "reports:section_refresh": REVIEWER,
    "reports:section_keep": REVIEWER,
    "reports:section_history": REVIEWER,
    "reports:preview": REVIEWER,
    "reports:pdf": REVIEWER,
    "reports:docx": REVIEWER,
    "reports:appendix_preview": REVIEWER,
    "reports:appendix_pdf": REVIEWER,
    "reports:appendix_xlsx": REVIEWER,
    "reports:appendix_docx": REVIEWER,
    "reports:issue": ISSUE_EARLY,
    "reports:issued": REVIEWER,
    # The leader is the signer; the secretary and admin seal; the Chủ tịch, who is neither, not.
    "reports:sign": _rule("secretary", "leader", "administrator", commune_admin=DENIED),
    "reports:reopen": LEADER,  # reopens the assessment the issued report froze
    # Remote signing: only the report's named signer (`leader`), who alone follows the request.
    "reports:remote_start": SIGNER,
    "reports:remote_signing": SIGNER,
    "reports:remote_status": SIGNER,
    "reports:issued_file": REVIEWER,
    "reports:latest": REVIEWER,
    "reports:dossier": SECRETARY,
    "reports:dossier_download": REVIEWER,
    "reports:task_add": REVIEWER,
    "reports:task_move": REVIEWER,
    "reports:task_edit": REVIEWER,
    "reports:task_delete": REVIEWER,
    "reports:documents": REVIEWER,
    "reports:document_edit": REVIEWER,
    "reports:document_delete": REVIEWER,
    # Quản trị xã: units, people, the report's defaults, the first assessment
    "commune_admin:index": COMMUNE_ADMIN_HOME,
    "commune_admin:home": COMMUNE_ADMIN,
    "commune_admin:units": COMMUNE_ADMIN,
    "commune_admin:unit_add": COMMUNE_ADMIN,
    "commune_admin:unit_edit": COMMUNE_ADMIN,
    "commune_admin:unit_delete": COMMUNE_ADMIN,
    "commune_admin:users": COMMUNE_ADMIN,
    "commune_admin:user_add": COMMUNE_ADMIN,
    "commune_admin:user_edit": COMMUNE_ADMIN,
    "commune_admin:user_password": COMMUNE_ADMIN,
    "commune_admin:user_active": COMMUNE_ADMIN,
    "commune_admin:user_two_factor": COMMUNE_ADMIN,
    "commune_admin:user_unlock": COMMUNE_ADMIN,
    "commune_admin:report_settings": COMMUNE_ADMIN,
    "commune_admin:assessment_create": COMMUNE_ADMIN,
    # System administration (issue 13)
    "system_admin:home": SYSTEM_ADMIN,
    "system_admin:commune_create": SYSTEM_ADMIN,
    "system_admin:accounts_import": COMMUNE_ADMIN_IMPORT,
    "system_admin:accounts_template": COMMUNE_ADMIN_IMPORT,
    "system_admin:accounts_import_confirm": COMMUNE_ADMIN_IMPORT,
    # The city's side (issue 14): another city's people find nothing (404).
    "appraisal:home": CITY_HOME,
    "appraisal:dashboard": CITY,
    # -- issue 14 A: the commune sends its dossier and answers the city (submission:) --
    # The dossier's page and a request's page: the commune's leaders and secretary; sending
    # is the secretary's, answering the leaders'. The city's people find no such assessment.
    "submission:detail": REVIEWER,
    "submission:send": SECRETARY,
    "submission:request": REVIEWER,
    "submission:request_send": LEADER,
    "submission:item_answer": LEADER,
    "submission:item_upload": LEADER,
    # -- issue 14 B: appraisal per sub-criterion (appraise:) --
    # The appraisers' list: each city person of an appraising role sees their own city's (the
    # other city's appraiser an empty one); council members and commune people are refused.
    "appraise:list": _rule(
        "appraiser", "city_admin", "other_city", "administrator", outsider=DENIED
    ),
    # A submission and its evidence: every person of its city reads them.
    "appraise:submission": CITY,
    "appraise:evidence_file": CITY,
    # Scoring, splitting, findings and requests to explain: appraisers and the city's
    # administrators; council members read but are refused (403).
    "appraise:score": APPRAISE,
    "appraise:assign": APPRAISE,
    "appraise:adjustment": APPRAISE,
    "appraise:request": APPRAISE,
    # -- issue 14 C: rounds, council sessions and votes (council:) --
    # Rounds: every city person reads them; the city's administrators make and change them and
    # record the recognition decision. The council's pages are the council's (members, chair)
    # and the city's administrators'; appraisers are not the council. Opening, listing, taking
    # off and closing are the chair's and the administrators' (hoidong1, a member, is refused);
    # a vote is personal: only a member named for the session (hoidong1 is), never an
    # administrator.
    "council:rounds": CITY,
    "council:round_add": C_CITY_ADMIN,
    "council:round_edit": C_CITY_ADMIN,
    "council:recognition": C_CITY_ADMIN,
    "council:sessions": C_COUNCIL,
    "council:session": C_COUNCIL,
    "council:session_add": C_PREPARE,
    "council:session_items": C_PREPARE,
    "council:session_close": C_PREPARE,
    "council:item_remove": C_PREPARE,
    "council:vote": C_VOTE,
    # -- issue 14 D: the city's dashboard, ranking and exports (appraisal:) --
    "appraisal:communes": CITY,
    "appraisal:ranking": CITY,
    "appraisal:ranking_xlsx": CITY,
    "appraisal:results_xlsx": CITY,
    # The city's people: the city's administrators manage them; appraisers and the council
    # are refused (403), commune people too, another city's people find no such city (404).
    "appraisal:people": C_CITY_ADMIN,
    "appraisal:person_add": C_CITY_ADMIN,
    "appraisal:person_edit": C_CITY_ADMIN,
    "appraisal:person_active": C_CITY_ADMIN,
    "appraisal:person_password": C_CITY_ADMIN,
    "appraisal:person_two_factor": C_CITY_ADMIN,
    "appraisal:person_unlock": C_CITY_ADMIN,
    # The city's draft documents (report of the appraisal, recognition decision)
    "city_documents:preview": CITY,
    "city_documents:pdf": CITY,
    # Issued through the portal: the city's office (its administrators) issues and seals;
    # only the leader named as the signer signs (nobody among the personas: a signature is
    # personal, an administrator does not sign for them).
    "city_documents:round": CITY,
    "city_documents:issue": C_CITY_ADMIN,
    "city_documents:seal": C_CITY_ADMIN,
    "city_documents:sign": {**_rule(outsider=DENIED, city=DENIED), "other_city": MISSING},
    "city_documents:issued_pdf": CITY,
}
# The Django admin's own pages are covered by one check (test_the_admin_is_for_administrators).
ADMIN_NAMESPACE = "admin:"
# Function views of these apps must declare their rule with @rule (the criteria sets' pages
# live in assessments; the class-based login and password views are Django's, configured in
# chinhquyen/).
RULED_APPS = (
    "accounts",
    "administration",
    "appraisal",
    "assessments",
    "evidence",
    "reports",
    "notifications",
    "jobs",
)
# Reports whose views act on an issued report; the others act on a draft.
ON_ISSUED = {"issued", "sign", "reopen", "issued_file", "latest", "dossier", "dossier_download"}
ON_ISSUED |= {"remote_start", "remote_signing", "remote_status"}


def _params(pattern) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))


def url_patterns(patterns=None, namespace: str = "", params: tuple = ()):
    """(name, route parameter names, view) of every named URL pattern, includes followed."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, inner, (*params, *_params(pattern)))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", [*params, *_params(pattern)], pattern.callback


def _outcome(response) -> str | int:
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        if location.startswith((reverse("login"), reverse("admin:login"))):
            return LOGIN
        return OK
    if response.status_code < 300:
        return OK
    return response.status_code


# Per test client, the cookies each person's login gave it (None: anonymous). A person logs
# in once per test; each of their requests starts again from those cookies, and the request's
# own writes are rolled back (see `_request`), so a request that logs out or turns the session
# over changes nothing for the next. (Logging in again before each request cost half of it.)
_logins: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _as(client, user) -> None:
    """`client` as `user` (None: anonymous), as right after their login."""
    logins = _logins.setdefault(client, {})
    key = None if user is None else user.pk
    if key not in logins:
        client.cookies = SimpleCookie()  # a new session; the others stay valid
        if user is not None:
            client.force_login(user)
        logins[key] = copy.deepcopy(client.cookies)
    client.cookies = copy.deepcopy(logins[key])


def _request(client, user, method: str, url: str) -> str | int:
    """One request as `user` (None: anonymous), rolled back; a streamed body is read inside."""
    _as(client, user)
    cache.clear()  # rate limits of the public pages start afresh
    with transaction.atomic():
        response = getattr(client, method)(url)
        if getattr(response, "streaming", False):
            # Reading to the end closes the response (and its file) the way the test client
            # does; closing it here would close the database connection in the transaction.
            b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return _outcome(response)


@pytest.fixture
def people(
    own_staff,
    other_staff,
    supporting_staff,
    leader,
    chairman,
    secretary,
    administrator,
    outsider,
    appraiser,
    council_member,
    city_admin,
    other_city_appraiser,
) -> dict:
    return {
        "appraiser": appraiser,
        "council_member": council_member,
        "city_admin": city_admin,
        "other_city": other_city_appraiser,
        "anonymous": None,
        "outsider": outsider,
        "other_staff": other_staff,
        "supporting_staff": supporting_staff,
        "own_staff": own_staff,
        "secretary": secretary,
        "leader": leader,
        "commune_admin": chairman,
        "administrator": administrator,
    }


@pytest.fixture
def objects(
    client, demo, own_criterion, own_staff, leader, secretary, django_capture_on_commit_callbacks
) -> dict:
    """Real ids for every path parameter: an evidence of `own_criterion`, an issued report
    with a dossier, and a draft report (made through the pages, as people make them)."""
    with django_capture_on_commit_callbacks(execute=True):  # its preview is drawn at the commit
        outcome = evidence_upload(
            assessment=demo.assessment,
            criterion=own_criterion.criterion,
            upload=SimpleUploadedFile("Biên bản.pdf", pdf_bytes(), "application/pdf"),
            by=own_staff,
        )
    assert outcome.status == "stored", outcome.message
    evidence = outcome.evidence
    home = reverse("reports:home", args=[demo.assessment.pk])
    client.force_login(secretary)
    assert client.post(home).status_code == 302
    issued = demo.assessment.reports.get()
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=True):  # the issuing job runs at the commit
        client.post(
            reverse("reports:issue", args=[demo.assessment.pk, issued.pk]),
            {"override_reason": "Kiểm tra quyền truy cập."},
        )
    issued.refresh_from_db()
    assert issued.verify_token, "the report was not issued"
    # Issuing froze the assessment; a leader reopens it, so that the rules below are those of
    # an open assessment (tests/reports/test_freeze.py covers the frozen one).
    response = client.post(
        reverse("reports:reopen", args=[demo.assessment.pk, issued.pk]),
        {"reason": "Kiểm tra quyền truy cập."},
    )
    assert response.status_code == 302
    demo.assessment.refresh_from_db()
    assert demo.assessment.status == "open"
    dossier = issued.dossiers.create(
        file=ContentFile(b"PK", name="ho-so.zip"), sha256="0" * 64, size=2, created_by=secretary
    )
    client.force_login(secretary)
    assert client.post(home).status_code == 302
    draft = demo.assessment.reports.exclude(pk=issued.pk).get()
    task = draft.tasks.create(text="Nhiệm vụ chung", created_by=secretary)
    document = demo.assessment.implementing_documents.create(
        number="403/UBND-VHXX", summary="đôn đốc", created_by=secretary
    )
    notice = notify(user=own_staff, kind="other", title="Thông báo thử", key="matrix", url="/")
    job = Job.objects.create(
        kind="matrix",
        user=own_staff,
        title="Xuất tệp",
        state=Job.State.DONE,
        result_file=ContentFile(b"a;b", name="bang.csv"),
        result_name="bang.csv",
    )
    client.logout()
    city = _city_objects(demo, issued, own_criterion, secretary)
    signing = _remote_signing(issued, leader)
    return {
        "signing_pk": signing.pk,
        "assessment": demo.assessment,
        "unit_pk": own_staff.membership.unit_id,
        "user_pk": own_staff.pk,
        "notification_pk": notice.pk,
        "job_id": job.pk,
        "criterion_pk": own_criterion.criterion_id,
        "adjustment_pk": Adjustment.objects.filter(criteria_set=demo.assessment.criteria_set)
        .values_list("pk", flat=True)
        .first(),
        "evidence_pk": evidence.pk,
        "evidence_file_pk": evidence.current_file_id,
        "issued": issued,
        "draft": draft,
        "section_pk": draft.sections.values_list("pk", flat=True).first(),
        "issued_file_pk": issued.files.values_list("pk", flat=True).first(),
        "dossier_pk": dossier.pk,
        "task_pk": task.pk,
        "document_pk": document.pk,
        "kind": "report",
        "token": issued.verify_token,
        "set_pk": demo.assessment.criteria_set_id,
        **city,
    }


def _city_objects(demo, issued, own_criterion, secretary) -> dict:
    """The city's side: a round of Hải Phòng, Nghi Dương's submission under appraisal with a
    request to explain `own_criterion`, and a council session listing it. Made as rows (the
    services are tested in tests/appraisal); the matrix needs ids."""
    assessment = demo.assessment
    round_ = Round.objects.create(
        city=assessment.commune.city,
        criteria_set=assessment.criteria_set,
        year=assessment.year,
        period=assessment.period,
        submission_deadline=timezone.localdate() + timedelta(days=10),
    )
    submission = Submission.objects.create(
        round=round_,
        assessment=assessment,
        report=issued,
        stage=Submission.Stage.EXPLAINING,
        submitted_by=secretary,
        submitted_at=timezone.now(),
    )
    request = ExplanationRequest.objects.create(
        submission=submission,
        message="Đề nghị bổ sung minh chứng.",
        deadline=timezone.localdate() + timedelta(days=5),
        created_by=demo.user("sonoivu"),
    )
    item = request.items.create(criterion=own_criterion.criterion, question="Bổ sung biên bản.")
    session = CouncilSession.objects.create(
        round=round_,
        title="Phiên họp thử",
        held_on=timezone.localdate(),
        chair=demo.user("chutichhd"),
        created_by=demo.user("chutichhd"),
    )
    session.members.set([demo.user(name) for name in ("chutichhd", "hoidong1", "hoidong2")])
    council_item = session.items.create(submission=submission)
    # The round's recognition decision, issued (its number and frozen file as rows), waiting
    # for its signer (giamdocso, a leader of the city, not a persona here).
    registration = RegisteredNumber.objects.create(
        city=round_.city, book="UBND", year=round_.year, number=1, symbol="QĐ-UBND"
    )
    document = CityDocument.objects.create(
        round=round_,
        kind=CityDocument.Kind.DECISION,
        registration=registration,
        number_text="01/QĐ-UBND",
        issue_date=timezone.localdate(),
        signer=demo.user("giamdocso"),
        signer_name="Ngô Thị Lan",
        issued_by=demo.user("quantritp"),
    )
    frozen = CityDocumentFile(
        document=document, stage="unsigned", sha256="0" * 64, size=8, created_by=document.issued_by
    )
    frozen.file.save("unsigned.pdf", ContentFile(b"%PDF-1.4"), save=False)
    frozen.save()
    return {
        "round_pk": round_.pk,
        "submission_pk": submission.pk,
        "request_pk": request.pk,
        "item_pk": item.pk,
        "session_pk": session.pk,
        "council_item_pk": council_item.pk,
        "person_pk": demo.user("hoidong1").pk,  # a person of the city (appraisal:person_*)
    }


def _remote_signing(report, signer) -> RemoteSigning:
    """A remote signing request of the report's signer, waiting for their phone."""
    key = SigningKey.objects.create(
        commune=report.assessment.commune,
        owner=signer,
        label="Ký số từ xa",
        kind=SigningKey.Kind.CSC,
        csc_credential_id="cqtt-01",
    )
    now = timezone.now()
    return RemoteSigning.objects.create(
        report=report,
        key=key,
        user=signer,
        started_at=now,
        expires_at=now + timedelta(minutes=5),
        transaction="t-01",
    )


def _kwargs(name: str, params: list[str], objects: dict, assessment) -> dict:
    app, _, view = name.rpartition(":")
    values = {
        "pk": objects["set_pk"] if app == "criteria" else assessment.pk,
        "criterion_pk": objects["criterion_pk"],
        "adjustment_pk": objects["adjustment_pk"],
        "evidence_pk": objects["evidence_pk"],
        "file_pk": objects["issued_file_pk" if app == "reports" else "evidence_file_pk"],
        "report_pk": objects["issued" if view in ON_ISSUED else "draft"].pk,
        "section_pk": objects["section_pk"],
        "dossier_pk": objects["dossier_pk"],
        "task_pk": objects["task_pk"],
        "document_pk": objects["document_pk"],
        "kind": "quyet-dinh" if app == "city_documents" else objects["kind"],
        "token": objects["token"],
        "signing_pk": objects["signing_pk"],
        "unit_pk": objects["unit_pk"],
        "user_pk": objects["user_pk"],
        "notification_pk": objects["notification_pk"],
        "job_id": objects["job_id"],
        "commune_pk": assessment.commune_id,
        "city": assessment.commune.city_id,
        **{
            key: objects[key]
            for key in (
                "round_pk",
                "submission_pk",
                "request_pk",
                "item_pk",
                "session_pk",
                "council_item_pk",
                "person_pk",
            )
        },
    }
    return {param: values[param] for param in params}


def _method(client, url: str, administrator) -> str:
    """ "post" for views that refuse GET (asked as the administrator, who may do anything)."""
    return "post" if _request(client, administrator, "get", url) == 405 else "get"


def test_every_url_has_a_rule_for_every_persona(client, demo, people, objects):
    mismatches = []
    for name, params, view in url_patterns():
        if name.startswith(ADMIN_NAMESPACE):
            continue
        if name not in EXPECTED:
            mismatches.append(f"{name}: no rule in EXPECTED (a new view without a rule?)")
            continue
        function_view = not hasattr(view, "view_class")  # Django's auth views are classes
        ruled_app = view.__module__.split(".")[0] in RULED_APPS
        if function_view and ruled_app and not hasattr(view, "access_rule"):
            mismatches.append(f"{name}: the view does not declare @rule(...)")
        url = reverse(name, kwargs=_kwargs(name, params, objects, demo.assessment))
        method = _method(client, url, people["administrator"])
        for persona in PERSONAS:
            got = _request(client, people[persona], method, url)
            if got != EXPECTED[name][persona]:
                mismatches.append(
                    f"{name} {method.upper()} {url} as {persona}: "
                    f"expected {EXPECTED[name][persona]}, got {got}"
                )
    assert not mismatches, "\n".join(mismatches)


def test_another_communes_pages_are_404_to_every_member(client, demo, people):
    """The pages of xã An Lão's assessment (all their parameters exist there) are 404 to
    every person of xã Nghi Dương, whatever their role."""
    criterion_pk = demo.other_assessment.assignments.values_list("criterion_id", flat=True).first()
    adjustment_pk = (
        Adjustment.objects.filter(criteria_set=demo.other_assessment.criteria_set)
        .values_list("pk", flat=True)
        .first()
    )
    available = {
        "pk": demo.other_assessment.pk,
        "criterion_pk": criterion_pk,
        "unit_pk": demo.other_commune.units.values_list("pk", flat=True).first(),
    }
    if adjustment_pk is not None:
        available["adjustment_pk"] = adjustment_pk
    checked, mismatches = 0, []
    for name, params, _view in url_patterns():
        app = name.rpartition(":")[0]
        if app not in ("assessments", "evidence", "reports") or not set(params) <= set(available):
            continue
        if not params:  # "Các kỳ đánh giá" lists each person's own commune: no other's data
            continue
        url = reverse(name, kwargs={param: available[param] for param in params})
        method = _method(client, url, people["administrator"])
        checked += 1
        for persona in ("other_staff", "supporting_staff", "own_staff", "secretary", "leader"):
            got = _request(client, people[persona], method, url)
            if got != MISSING:
                mismatches.append(f"{name} {url} as {persona}: expected 404, got {got}")
    assert checked >= 20
    assert not mismatches, "\n".join(mismatches)


def test_the_admin_is_for_administrators(client, people):
    """The Django admin's own URLs: everyone but administrators is sent to its login page."""
    url = reverse("admin:index")
    for persona in PERSONAS:
        got = _request(client, people[persona], "get", url)
        assert got == (OK if persona == "administrator" else LOGIN), persona
    assert (
        _request(client, people["administrator"], "get", reverse("admin:auth_user_changelist"))
        == OK
    )


def test_the_table_has_no_rule_for_a_url_that_is_gone():
    names = {name for name, _params, _view in url_patterns()}
    assert set(EXPECTED) <= names, set(EXPECTED) - names
