"""Data versions (guards/versions.py): every write a result or a report's PDF reads changes the
version; reading pages does not; bulk writes that send no signal bump by hand."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from administration.commune_services import unit_save
from assessments.models import Assessment, Membership, Score
from assessments.selectors import assessment_results
from assessments.services import score_adjust, score_approve, score_propose, score_return
from criteria.models import Criterion
from evidence.services import evidence_delete, evidence_upload
from guards import versions
from reports.services import report_create, report_section_save
from reports.services.drafting import report_update
from tests.evidence.conftest import pdf_bytes
from tests.queries import exactly

REAL_VERSIONS = True  # no bump on bulk writes but the services' own (tests/conftest.py)

ROOT = Path(settings.BASE_DIR)
# The apps whose rows are watched (not the logs: guards.versions.UNWATCHED_APPS).
APPS = ("administration", "appraisal", "assessments", "criteria", "evidence", "reports", "ops")
APPS += ("guards", "chinhquyen")

# Bulk writes that need no bump, and why.
UNBUMPED = {
    ("reports/services/verifying.py", "verification_failure_record"): "a tally of failures",
    ("reports/services/remote_signing.py", "remote_sign_poll"): "a lease, read by no document",
    ("reports/services/remote_signing.py", "_release"): "a lease, read by no document",
    ("reports/demo/workflow.py", "demo_review"): "notifications read (unwatched app)",
}
BULK = {"update", "bulk_create", "bulk_update"}


def _queryset_like(node: ast.expr) -> bool:
    """`X.objects...`, `x.filter(...)`, `qs.select_for_update()...`: not a dict or a hash."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Attribute) and inner.attr in (
            "objects",
            "filter",
            "exclude",
            "select_for_update",
            "_base_manager",
        ):
            return True
    return False


def bulk_writes_without_bump() -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)]
                bulk = [
                    c
                    for c in calls
                    if isinstance(c.func, ast.Attribute)
                    and c.func.attr in BULK
                    and _queryset_like(c.func.value)
                ]
                bumps = any(
                    isinstance(c.func, ast.Name | ast.Attribute)
                    and (c.func.id if isinstance(c.func, ast.Name) else c.func.attr).startswith(
                        "bump"
                    )
                    for c in calls
                )
                if bulk and not bumps and (relative, function.name) not in UNBUMPED:
                    found.append(f"{relative}:{bulk[0].lineno} {function.name}")
    return found


def test_every_bulk_write_bumps_the_version_or_says_why_not():
    """Queryset .update(), bulk_create() and bulk_update() send no signal: a function that
    uses one calls guards.versions.bump_* itself (or is listed above with the reason)."""
    assert bulk_writes_without_bump() == []


def test_the_scan_finds_an_unbumped_update(tmp_path, monkeypatch):
    (tmp_path / "reports").mkdir(parents=True)
    (tmp_path / "reports" / "services.py").write_text(
        "def score_wipe(a):\n    Score.objects.filter(assessment=a).update(points=None)\n"
        "def fine(a):\n    d = {}\n    d.update(x=1)\n"
    )
    monkeypatch.setattr("tests.guards.test_versions.ROOT", tmp_path)
    monkeypatch.setattr("tests.guards.test_versions.APPS", ("reports",))
    assert bulk_writes_without_bump() == ["reports/services.py:2 score_wipe"]


# -- which writes change the version -------------------------------------------------------------


@pytest.fixture
def report(demo_scored, secretary):
    return report_create(assessment=demo_scored.assessment, by=secretary)


def pdf_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("bien-ban.pdf", pdf_bytes())


def score(demo, code: str) -> Score:
    return Score.objects.select_related("criterion", "assessment").get(
        assessment=demo.assessment, criterion__code=code
    )


def _propose(demo, report, who):
    s = score(demo, "2.2.e")
    score_propose(
        score=s,
        by=who("vhxh"),
        expected_version=s.version,
        points=D(0),
        result_text="Chưa làm.",
        shortfall_reason="Thiếu kinh phí.",
        submit=True,
        confirm_missing_evidence=True,
    )


def _return(demo, report, who):
    s = score(demo, "2.2.e")
    score_return(score=s, by=who("lanhdao"), expected_version=s.version, comment="Làm lại.")


def _return_and_propose(demo, report, who):
    _return(demo, report, who)
    _propose(demo, report, who)


def _approve(demo, report, who):
    s = score(demo, "2.2.e")
    score_approve(
        score=s, by=who("lanhdao"), expected_version=s.version, confirm_missing_evidence=True
    )


def _upload(demo, report, who):
    s = score(demo, "2.2.e")
    outcome = evidence_upload(
        assessment=demo.assessment, criterion=s.criterion, upload=pdf_upload(), by=who("vhxh")
    )
    assert outcome.status == "stored", outcome.message


def _delete_evidence(demo, report, who):
    evidence = demo.assessment.evidence.filter(deleted_at=None).first()
    evidence_delete(evidence=evidence, by=who("vanthu"))


def _section(demo, report, who):
    section = report.sections.order_by("order").first()
    report_section_save(
        section=section, body="Đoạn mới.", by=who("vanthu"), expected_version=section.version
    )


def _criterion_max(demo, report, who):
    criterion = Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code="2.2.e")
    criterion.max_points += 1
    criterion.save()


def _unit_rename(demo, report, who):
    unit = demo.commune.units.order_by("order").first()
    unit_save(commune=demo.commune, by=who("chutich"), name="Phòng Mới", unit=unit)


def _commune_rename(demo, report, who):
    demo.commune.name = "Nghi Dương Mới"
    demo.commune.save()


def _signer(demo, report, who):
    other = who("lanhdao")
    report_update(
        report=report,
        by=who("vanthu"),
        summary=report.summary,
        recipients=report.recipients,
        signer=other,
        authority=report.authority,
        signer_name=other.get_full_name(),
    )


def _person_rename(demo, report, who):
    user = report.signer or who("chutich")
    user.last_name = "Tên Khác"
    user.save()


def _membership(demo, report, who):
    membership = Membership.objects.filter(commune=demo.commune).first()
    membership.save()


def _assessment_field(demo, report, who):
    Assessment.objects.get(pk=demo.assessment.pk).save()


@dataclass
class Write:
    name: str
    act: Callable
    prepare: Callable = lambda demo, report, who: None


WRITES = [
    Write("score returned", _return),
    Write("score proposed", _propose, prepare=_return),
    Write("score approved", _approve, prepare=_return_and_propose),
    Write("evidence uploaded", _upload),
    Write("evidence deleted", _delete_evidence, prepare=_upload),
    Write("report section edited", _section),
    Write("criterion maximum changed", _criterion_max),
    Write("unit renamed", _unit_rename),
    Write("commune renamed", _commune_rename),
    Write("report signer changed", _signer),
    Write("person renamed", _person_rename),
    Write("membership saved", _membership),
    Write("assessment saved", _assessment_field),
]


@pytest.mark.parametrize("write", WRITES, ids=[w.name for w in WRITES])
def test_a_write_changes_the_version(
    write, demo_scored, report, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    write.prepare(demo_scored, report, demo_scored.user)
    before = versions.report_version(report, demo_scored.assessment)
    with django_capture_on_commit_callbacks(execute=True):
        write.act(demo_scored, report, demo_scored.user)
        during = versions.report_version(report, demo_scored.assessment)
    after = versions.report_version(report, demo_scored.assessment)
    assert during != before
    # Bumped again at the commit: a reader between the write and the commit cached the old
    # rows under `during`, which nobody asks for any more.
    assert after not in (before, during)


def test_only_the_writes_scope_changes(demo_scored, report):
    other = demo_scored.other_assessment
    mine, theirs = versions.data_version(demo_scored.assessment), versions.data_version(other)
    _section(demo_scored, report, demo_scored.user)
    assert versions.data_version(demo_scored.assessment) == mine  # the report's own counter
    assert versions.report_version(report, demo_scored.assessment) != mine
    _return(demo_scored, report, demo_scored.user)
    assert versions.data_version(demo_scored.assessment) != mine
    assert versions.data_version(other) == theirs


def test_a_lost_counter_is_a_new_version(demo):
    before = versions.data_version(demo.assessment)
    cache.delete(f"dv:a:{demo.assessment.pk}")
    assert versions.data_version(demo.assessment) != before


def test_a_log_in_changes_nothing(client, demo):
    before = versions.data_version(demo.assessment)
    client.force_login(demo.user("vanthu"))  # writes last_login, a session, an audit entry
    assert versions.data_version(demo.assessment) == before


def test_reading_pages_changes_nothing(
    client, demo_scored, report, django_capture_on_commit_callbacks
):
    client.force_login(demo_scored.user("vanthu"))
    pk, args = demo_scored.assessment.pk, [demo_scored.assessment.pk, report.pk]
    urls = [
        reverse("assessments:detail", args=[pk]),
        reverse("reports:dashboard", args=[pk]),
        reverse("reports:units", args=[pk]),
        reverse("reports:edit", args=args),
        reverse("reports:preview", args=args),
        reverse("reports:appendix_preview", args=args),
        reverse("reports:appendix_xlsx", args=args),
        reverse("reports:docx", args=args),
        reverse("reports:pdf", args=args),
    ]
    before = versions.report_version(report, demo_scored.assessment)
    for url in urls:
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(url).status_code in (200, 302), url
    assert versions.report_version(report, demo_scored.assessment) == before


# -- results computed once per change ------------------------------------------------------------


def test_results_are_computed_once_per_change(demo_scored, leader):
    first = assessment_results(demo_scored.assessment)
    with exactly(0, "results from the cache: no query"):
        again = assessment_results(demo_scored.assessment)
    assert again.approved.final == first.approved.final
    assert again.assessment is demo_scored.assessment

    s = score(demo_scored, "4.3")
    score_adjust(
        score=s, by=leader, expected_version=s.version, points=s.criterion.max_points, reason="Đủ."
    )
    changed = assessment_results(demo_scored.assessment)
    assert changed.approved.final > first.approved.final


def test_a_caller_that_changes_its_results_does_not_change_the_cached_ones(demo_scored):
    first = assessment_results(demo_scored.assessment)
    total = first.approved.final
    first.leaves.clear()
    first.roots[0].children.clear()
    again = assessment_results(demo_scored.assessment)
    assert again.leaves and again.roots[0].children
    assert again.approved.final == total


def test_a_row_is_tied_to_its_assessment_or_report_through_its_foreign_keys(
    demo_scored, report, django_assert_num_queries
):
    from evidence.models import EvidenceLink  # noqa: PLC0415
    from reports.models import ReportSectionRevision  # noqa: PLC0415

    _upload(demo_scored, report, demo_scored.user)
    evidence = demo_scored.assessment.evidence.get()
    section = report.sections.first()
    with django_assert_num_queries(1):  # the evidence's assessment, by id
        assert versions.key_of(EvidenceLink(evidence_id=evidence.pk)) == (
            f"dv:e:{demo_scored.assessment.pk}"  # the assessment's evidence counter
        )
    with django_assert_num_queries(0):  # the section is in hand: no query
        assert versions.key_of(ReportSectionRevision(section=section)) == f"dv:r:{report.pk}"
    assert versions.key_of(demo_scored.user("vanthu")) == versions.GLOBAL
    assert versions.key_of(demo_scored.commune) == f"dv:c:{demo_scored.commune.pk}"


# -- each counter bumped once per transaction --------------------------------------------------


@pytest.fixture
def bumps(monkeypatch):
    """The keys of every write to the cache's counters, in order."""
    calls: list[list[str]] = []
    real = versions._bump_now

    def recording(keys):
        calls.append(list(keys))
        real(keys)

    monkeypatch.setattr(versions, "_bump_now", recording)
    return calls


@pytest.mark.django_db(transaction=True)  # a real commit, after the fixtures' own
def test_an_upload_bumps_its_counter_once_at_once_and_once_at_its_commit(
    demo_scored, report, bumps, settings, tmp_path, monkeypatch
):
    # Five rows tied to the assessment (the evidence, its file, the evidence again, its link,
    # its event): one bump at the first, one at the commit, not one at each and each again.
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr("evidence.services._preview_after_commit", lambda file_id: None)
    key = f"dv:e:{demo_scored.assessment.pk}"
    before = versions.report_version(report, demo_scored.assessment)
    bumps.clear()
    during = []
    real = versions.report_version
    monkeypatch.setattr(
        "evidence.services._audit",
        lambda *args, **kwargs: during.append(real(report, demo_scored.assessment)),
    )
    _upload(demo_scored, report, demo_scored.user)
    assert bumps == [[key], [key]]
    assert versions.report_version(report, demo_scored.assessment) not in (before, *during)


@pytest.mark.django_db(transaction=True)  # a real commit, after the fixtures' own
def test_an_upload_changes_the_documents_version_and_leaves_the_results_cached(
    demo_scored, report, settings, tmp_path
):
    """The report's documents list the evidence; the results (the dashboard's totals, the
    city's ranking) read none: a storm of uploads does not make them be computed again."""
    settings.MEDIA_ROOT = tmp_path
    assessment_results(demo_scored.assessment)
    results, documents = (
        versions.data_version(demo_scored.assessment),
        versions.report_version(report, demo_scored.assessment),
    )
    _upload(demo_scored, report, demo_scored.user)
    assert versions.report_version(report, demo_scored.assessment) != documents
    assert versions.data_version(demo_scored.assessment) == results
    with exactly(0, "results from the cache: no query"):
        assessment_results(demo_scored.assessment)


def test_a_writer_that_read_its_version_bumps_at_once_again(demo, bumps):
    assessment = Assessment.objects.get(pk=demo.assessment.pk)
    key = f"dv:a:{assessment.pk}"
    with transaction.atomic():
        first = versions.data_version(assessment)
        assessment.save()
        assessment.save()  # not read since the last bump: nothing to replace
        assert bumps == [[key]]
        second = versions.data_version(assessment)
        assessment.save()  # read since: what it cached must not be read back
        assert bumps == [[key], [key]]
        assert versions.data_version(assessment) not in (first, second)


@pytest.mark.django_db(transaction=True)
def test_a_transaction_rolled_back_leaves_nothing_to_the_next(bumps):
    from assessments.models import City, Commune  # noqa: PLC0415

    commune = Commune.objects.create(name="Thử", city=City.objects.create(name="Thử"))
    key = f"dv:c:{commune.pk}"
    bumps.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        commune.save()
        raise RuntimeError
    assert bumps == [[key]]  # at once; no commit
    with transaction.atomic():
        commune.save()
        assert bumps == [[key], [key]]  # a new transaction bumps at once again
    assert bumps == [[key], [key], [key]]  # and at its commit, once
    commune.save()  # no transaction: at once, nothing left for later
    assert bumps == [[key], [key], [key], [key]]
