"""Every instrumented action writes exactly one entry, with who, where, what and on what;
an action that is rolled back writes none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from assessments.models import Assignment, Score, Unit
from assessments.services import (
    adjustment_record,
    assessment_lock,
    assessment_reopen,
    assignment_update,
    score_adjust,
    score_approve,
    score_comment,
    score_propose,
    score_return,
    score_submit_many,
    user_create,
)
from audit.context import Origin, bound
from audit.models import AuditEntry
from audit.services import chain_verify
from criteria.models import Adjustment
from evidence.models import Evidence
from evidence.services import (
    evidence_delete,
    evidence_describe,
    evidence_link,
    evidence_replace,
    evidence_restore,
    evidence_unlink,
    evidence_upload,
)
from reports import documents
from reports.demo.signing import DEMO_PASSPHRASE
from reports.models import ReportSection
from reports.services import report_create, report_section_save, report_update
from reports.services.dossier import dossier_build
from reports.services.issuing import report_issue
from reports.services.signing import report_sign_organisation, report_sign_person
from tests.audit.conftest import mark, only_entry, since
from tests.evidence.conftest import image_bytes, pdf_bytes

A = AuditEntry.Action
VHXH = "Phòng Văn hóa - Xã hội"


def score_of(demo, code) -> Score:
    return Score.objects.select_related("criterion").get(
        assessment=demo.assessment, criterion__code=code
    )


def propose(demo, code="2.2.b", user="vhxh", submit=True, points=D(1)) -> Score:
    score = score_of(demo, code)
    return score_propose(
        score=score,
        by=demo.user(user),
        expected_version=score.version,
        submit=submit,
        points=points,
        result_text="Đã thực hiện.",
    )


def upload(demo, code="2.2.b", user="vhxh", data=None, name="bien-ban.pdf") -> Evidence:
    score = score_of(demo, code)
    outcome = evidence_upload(
        assessment=demo.assessment,
        criterion=score.criterion,
        upload=SimpleUploadedFile(name, data or pdf_bytes()),
        by=demo.user(user),
    )
    assert outcome.status == "stored", outcome.message
    return outcome.evidence


@dataclass
class Case:
    """`prepare(demo)` sets the stage (not recorded against the case), `act(demo, state)`
    does the one action; the entry must show `user` acting on `target` (its label)."""

    action: str
    user: str
    target: str
    act: Callable
    prepare: Callable = lambda demo: None
    unit: str = ""
    target_type: str = ""


def _returned(demo):
    score = propose(demo)
    return score_return(
        score=score, by=demo.user("lanhdao"), expected_version=score.version, comment="Thiếu."
    )


def _report(demo):
    return report_create(assessment=demo.assessment, by=demo.user("vanthu"))


def _linked(demo):
    evidence = upload(demo)
    evidence_link(
        evidence=evidence, criterion=score_of(demo, "2.2.c").criterion, by=evidence.created_by
    )
    return evidence


CASES = [
    Case(
        A.SCORE_SAVE,
        "vhxh",
        "Tiêu chí 2.2.b",
        lambda demo, _: propose(demo, submit=False),
        unit=VHXH,
        target_type="assessments.score",
    ),
    Case(A.SCORE_SUBMIT, "vhxh", "Tiêu chí 2.2.b", lambda demo, _: propose(demo), unit=VHXH),
    Case(
        A.SCORE_RESUBMIT,
        "vhxh",
        "Tiêu chí 2.2.b",
        lambda demo, _: propose(demo),
        prepare=_returned,
        unit=VHXH,
    ),
    Case(
        A.SCORE_APPROVE,
        "lanhdao",
        "Tiêu chí 2.2.b",
        lambda demo, score: score_approve(
            score=score, by=demo.user("lanhdao"), expected_version=score.version
        ),
        prepare=propose,
    ),
    Case(
        A.SCORE_RETURN,
        "lanhdao",
        "Tiêu chí 2.2.b",
        lambda demo, score: score_return(
            score=score, by=demo.user("lanhdao"), expected_version=score.version, comment="Sửa."
        ),
        prepare=propose,
    ),
    Case(
        A.SCORE_ADJUST,
        "chutich",
        "Tiêu chí 2.2.b",
        lambda demo, score: score_adjust(
            score=score,
            by=demo.user("chutich"),
            expected_version=score.version,
            points=D(0),
            reason="Chưa đủ hồ sơ.",
        ),
        prepare=propose,
    ),
    Case(
        A.SCORE_COMMENT,
        "kinhte",
        "Tiêu chí 2.2.b",
        lambda demo, _: score_comment(
            score=score_of(demo, "2.2.b"), by=demo.user("kinhte"), comment="Đã gửi số liệu."
        ),
        unit="Phòng Kinh tế",
    ),
    Case(
        A.ASSESSMENT_LOCK,
        "lanhdao",
        "Xã Nghi Dương – 6 tháng đầu năm 2026",
        lambda demo, _: assessment_lock(
            assessment=demo.assessment, by=demo.user("lanhdao"), reason="Hết hạn."
        ),
        target_type="assessments.assessment",
    ),
    Case(
        A.ASSESSMENT_REOPEN,
        "lanhdao",
        "Xã Nghi Dương – 6 tháng đầu năm 2026",
        lambda demo, _: assessment_reopen(
            assessment=demo.assessment, by=demo.user("lanhdao"), reason="Bổ sung minh chứng."
        ),
        prepare=lambda demo: assessment_lock(assessment=demo.assessment, by=demo.user("lanhdao")),
    ),
    Case(
        A.ADJUSTMENT_RECORD,
        "chutich",
        "Xã Nghi Dương – 6 tháng đầu năm 2026",
        lambda demo, rule: adjustment_record(
            assessment=demo.assessment, adjustment=rule, cases=2, note="", by=demo.user("chutich")
        ),
        prepare=lambda demo: Adjustment.objects.filter(
            criteria_set=demo.assessment.criteria_set
        ).first(),
    ),
    Case(
        A.ASSIGNMENT_CHANGE,
        "lanhdao",
        "Tiêu chí 2.2.b",
        lambda demo, assignment: assignment_update(
            assignment=assignment,
            lead_unit=Unit.objects.get(commune=demo.commune, name="Phòng Kinh tế"),
            supporting_units=[Unit.objects.get(commune=demo.commune, name=VHXH)],
            by=demo.user("lanhdao"),
        ),
        prepare=lambda demo: Assignment.objects.select_related("criterion", "lead_unit").get(
            assessment=demo.assessment, criterion__code="2.2.b"
        ),
        target_type="assessments.assignment",
    ),
    Case(
        A.ACCOUNT_CREATE,
        "admin",
        "Tài khoản moi",
        lambda demo, _: user_create(
            username="moi",
            password="mat-khau-dai-9137",
            full_name="Ngô Văn Mới",
            commune=demo.commune,
            role="staff",
            unit=Unit.objects.get(commune=demo.commune, name=VHXH),
            by=demo.user("admin"),
        ),
        target_type="auth.user",
    ),
    Case(
        A.EVIDENCE_UPLOAD,
        "vhxh",
        "Minh chứng MC-2.2.b-01",
        lambda demo, _: upload(demo),
        unit=VHXH,
        target_type="evidence.evidence",
    ),
    Case(
        A.EVIDENCE_REPLACE,
        "vhxh",
        "Minh chứng MC-2.2.b-01",
        lambda demo, evidence: evidence_replace(
            evidence=evidence,
            upload=SimpleUploadedFile("anh.png", image_bytes("PNG")),
            by=demo.user("vhxh"),
        ),
        prepare=upload,
        unit=VHXH,
    ),
    Case(
        A.EVIDENCE_DESCRIBE,
        "vhxh",
        "Minh chứng MC-2.2.b-01",
        lambda demo, evidence: evidence_describe(
            evidence=evidence, by=demo.user("vhxh"), title="Biên bản họp", issuer="UBND xã"
        ),
        prepare=upload,
        unit=VHXH,
    ),
    Case(
        A.EVIDENCE_DELETE,
        "lanhdao",
        "Minh chứng MC-2.2.b-01",
        lambda demo, evidence: evidence_delete(evidence=evidence, by=demo.user("lanhdao")),
        prepare=upload,
    ),
    Case(
        A.EVIDENCE_RESTORE,
        "lanhdao",
        "Minh chứng MC-2.2.b-01",
        lambda demo, evidence: evidence_restore(evidence=evidence, by=demo.user("lanhdao")),
        prepare=lambda demo: (
            evidence := upload(demo),
            evidence_delete(evidence=evidence, by=demo.user("vhxh")),
        )[0],
    ),
    Case(
        A.EVIDENCE_LINK,
        "vhxh",
        "Minh chứng MC-2.2.b-01",
        lambda demo, evidence: evidence_link(
            evidence=evidence, criterion=score_of(demo, "2.2.c").criterion, by=demo.user("vhxh")
        ),
        prepare=upload,
        unit=VHXH,
    ),
    Case(
        A.EVIDENCE_UNLINK,
        "vhxh",
        "Minh chứng MC-2.2.b-01",
        lambda demo, evidence: evidence_unlink(
            evidence=evidence, criterion=score_of(demo, "2.2.c").criterion, by=demo.user("vhxh")
        ),
        prepare=_linked,
        unit=VHXH,
    ),
    Case(
        A.REPORT_CREATE,
        "vanthu",
        "Dự thảo báo cáo 6 tháng 2026",
        lambda demo, _: _report(demo),
        unit="Văn phòng HĐND và UBND",
        target_type="reports.report",
    ),
    Case(
        A.REPORT_EDIT,
        "lanhdao",
        "Dự thảo báo cáo 6 tháng 2026",
        lambda demo, section: report_section_save(
            section=section, body="Nội dung mới.", by=demo.user("lanhdao"), expected_version=0
        ),
        prepare=lambda demo: ReportSection.objects.filter(report=_report(demo)).last(),
    ),
    Case(
        A.REPORT_EDIT,
        "lanhdao",
        "Dự thảo báo cáo 6 tháng 2026",
        lambda demo, report: report_update(
            report=report,
            by=demo.user("lanhdao"),
            summary="Trích yếu mới",
            recipients="Sở Nội vụ",
            signer=demo.user("chutich"),
            authority="chairman",
            signer_name="",
        ),
        prepare=_report,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.action}-{i}" for i, c in enumerate(CASES)])
def test_each_action_writes_exactly_one_entry(demo, case):
    state = case.prepare(demo)
    start = mark()
    with bound(Origin(ip="203.0.113.7", user_agent="Firefox/140")):
        case.act(demo, state)
    entry = only_entry(start)
    user = demo.user(case.user)
    assert entry.action == case.action
    assert (entry.user_id, entry.username, entry.full_name) == (
        user.pk,
        user.username,
        user.get_full_name(),
    )
    assert (entry.commune_id, entry.commune_name) == (demo.commune.pk, "Xã Nghi Dương")
    assert entry.unit_name == case.unit
    assert entry.target_label == case.target
    if case.target_type:
        assert entry.target_type == case.target_type
    assert entry.target_id
    assert (entry.ip, entry.user_agent) == ("203.0.113.7", "Firefox/140")
    assert entry.summary
    assert entry.hash == entry.compute_hash() and len(entry.hash) == 64
    assert chain_verify().ok


def test_score_entry_reads_in_vietnamese(demo):
    start = mark()
    propose(demo, code="1.1.j", points=D(3))
    entry = only_entry(start)
    assert entry.get_action_display() == "Gửi điểm"
    assert entry.summary == "Gửi tiêu chí 1.1.j: 3 điểm"
    assert entry.details == {"status": "submitted", "points": "3", "version": 1}


def test_submitting_a_units_scores_at_once_writes_one_entry_per_score(demo):
    for code, points in (("2.2.b", D(1)), ("1.1.j", D(3))):
        propose(demo, code=code, submit=False, points=points)
    scores = [score_of(demo, "2.2.b"), score_of(demo, "1.1.j")]
    start = mark()
    submitted, _skipped = score_submit_many(scores=scores, by=demo.user("vhxh"))
    assert len(submitted) == 2
    entries = since(start)
    assert [(e.action, e.target_label) for e in entries] == [
        (A.SCORE_SUBMIT, "Tiêu chí 2.2.b"),
        (A.SCORE_SUBMIT, "Tiêu chí 1.1.j"),
    ]


def test_an_action_rolled_back_leaves_no_entry(demo):
    score = propose(demo)
    start = mark()
    with pytest.raises(RuntimeError), transaction.atomic():
        score_approve(score=score, by=demo.user("lanhdao"), expected_version=score.version)
        assert len(since(start)) == 1  # written inside the action's transaction…
        raise RuntimeError("the action fails after its record")
    assert since(start) == []  # …and gone with it
    score.refresh_from_db()
    assert score.status == Score.Status.SUBMITTED
    # The chain did not move either: the next entry follows on directly.
    score_approve(score=score, by=demo.user("lanhdao"), expected_version=score.version)
    assert only_entry(start).id == start + 1
    assert chain_verify().ok


def test_a_refused_action_writes_nothing(demo):
    score = score_of(demo, "2.2.b")
    start = mark()
    with pytest.raises(ValidationError):
        score_propose(
            score=score, by=demo.user("vhxh"), expected_version=score.version, submit=True
        )
    with pytest.raises(ValidationError):
        assessment_reopen(assessment=demo.assessment, by=demo.user("lanhdao"), reason=" ")
    assert since(start) == []


def test_issuing_that_fails_while_rendering_leaves_no_entry(demo_scored, monkeypatch):
    report = _report(demo_scored)

    def broken(report, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(documents, "render_pdfs", broken)
    start = mark()
    with pytest.raises(OSError):
        report_issue(report=report, by=demo_scored.user("vanthu"))
    assert since(start) == []


def test_issue_sign_and_dossier_each_write_one_entry(demo_scored, signing):
    person, organisation = signing
    vanthu = demo_scored.user("vanthu")
    report = _report(demo_scored)

    start = mark()
    report = report_issue(report=report, by=vanthu)
    issued = only_entry(start)
    assert (issued.action, issued.target_label) == (A.REPORT_ISSUE, "Báo cáo số 01/BC-UBND")
    assert issued.summary.startswith("Ban hành Số: 01/BC-UBND ngày ")

    start = mark()
    report_sign_person(report=report, key=person, secret=DEMO_PASSPHRASE, by=vanthu)
    signed = only_entry(start)
    assert (signed.action, signed.details["role"]) == (A.REPORT_SIGN, "person")
    assert signed.username == "vanthu" and "ký số Số: 01/BC-UBND" in signed.summary

    start = mark()
    report_sign_organisation(report=report, key=organisation, secret=DEMO_PASSPHRASE, by=vanthu)
    sealed = only_entry(start)
    assert (sealed.action, sealed.details["role"]) == (A.REPORT_SIGN, "organisation")

    start = mark()
    dossier = dossier_build(report=report, by=vanthu)
    built = only_entry(start)
    assert (built.action, built.target_type, built.target_id) == (
        A.DOSSIER_BUILD,
        "reports.dossier",
        str(dossier.pk),
    )
    assert built.details == {"sha256": dossier.sha256}
    assert chain_verify().ok


def test_wrong_passphrase_signs_nothing_and_records_nothing(demo_scored, signing):
    person, _organisation = signing
    vanthu = demo_scored.user("vanthu")
    report = report_issue(report=_report(demo_scored), by=vanthu)
    start = mark()
    with pytest.raises(ValidationError):
        report_sign_person(report=report, key=person, secret="sai-mat-khau", by=vanthu)
    assert since(start) == []


def test_an_administrator_acting_on_a_commune_is_recorded_under_that_commune(demo):
    score = propose(demo)
    start = mark()
    score_approve(score=score, by=demo.user("admin"), expected_version=score.version)
    entry = only_entry(start)
    assert (entry.username, entry.commune_name, entry.unit_name) == (
        "admin",
        "Xã Nghi Dương",
        "",
    )
