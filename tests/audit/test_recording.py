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


def propose(demo, by, code="2.2.b", submit=True, points=D(1)) -> Score:
    score = score_of(demo, code)
    return score_propose(
        score=score,
        by=by,
        expected_version=score.version,
        submit=submit,
        points=points,
        result_text="Đã thực hiện.",
    )


def upload(demo, by, code="2.2.b", data=None, name="bien-ban.pdf") -> Evidence:
    score = score_of(demo, code)
    outcome = evidence_upload(
        assessment=demo.assessment,
        criterion=score.criterion,
        upload=SimpleUploadedFile(name, data or pdf_bytes()),
        by=by,
    )
    assert outcome.status == "stored", outcome.message
    return outcome.evidence


@dataclass
class Case:
    """`prepare(demo, who)` sets the stage (not recorded against the case; `who("leader")` is
    that persona), `act(demo, state, by)` does the one action as the `actor` persona; the
    entry must show the actor acting on `target` (its label)."""

    action: str
    actor: str
    target: str
    act: Callable
    prepare: Callable = lambda demo, who: None
    unit: str = ""
    target_type: str = ""


def _proposed(demo, who):
    return propose(demo, who("own_staff"))


def _uploaded(demo, who):
    return upload(demo, who("own_staff"))


def _returned(demo, who):
    score = _proposed(demo, who)
    return score_return(
        score=score, by=who("leader"), expected_version=score.version, comment="Thiếu."
    )


def _report(demo, by):
    return report_create(assessment=demo.assessment, by=by)


def _linked(demo, who):
    evidence = _uploaded(demo, who)
    evidence_link(
        evidence=evidence, criterion=score_of(demo, "2.2.c").criterion, by=evidence.created_by
    )
    return evidence


CASES = [
    Case(
        A.SCORE_SAVE,
        "own_staff",
        "Tiêu chí 2.2.b",
        lambda demo, _, by: propose(demo, by, submit=False),
        unit=VHXH,
        target_type="assessments.score",
    ),
    Case(
        A.SCORE_SUBMIT,
        "own_staff",
        "Tiêu chí 2.2.b",
        lambda demo, _, by: propose(demo, by),
        unit=VHXH,
    ),
    Case(
        A.SCORE_RESUBMIT,
        "own_staff",
        "Tiêu chí 2.2.b",
        lambda demo, _, by: propose(demo, by),
        prepare=_returned,
        unit=VHXH,
    ),
    Case(
        A.SCORE_APPROVE,
        "leader",
        "Tiêu chí 2.2.b",
        lambda demo, score, by: score_approve(score=score, by=by, expected_version=score.version),
        prepare=_proposed,
    ),
    Case(
        A.SCORE_RETURN,
        "leader",
        "Tiêu chí 2.2.b",
        lambda demo, score, by: score_return(
            score=score, by=by, expected_version=score.version, comment="Sửa."
        ),
        prepare=_proposed,
    ),
    Case(
        A.SCORE_ADJUST,
        "chairman",
        "Tiêu chí 2.2.b",
        lambda demo, score, by: score_adjust(
            score=score,
            by=by,
            expected_version=score.version,
            points=D(0),
            reason="Chưa đủ hồ sơ.",
        ),
        prepare=_proposed,
    ),
    Case(
        A.SCORE_COMMENT,
        "other_staff",
        "Tiêu chí 2.2.b",
        lambda demo, _, by: score_comment(
            score=score_of(demo, "2.2.b"), by=by, comment="Đã gửi số liệu."
        ),
        unit="Phòng Kinh tế",
    ),
    Case(
        A.ASSESSMENT_LOCK,
        "leader",
        "Xã Nghi Dương – 6 tháng đầu năm 2026",
        lambda demo, _, by: assessment_lock(assessment=demo.assessment, by=by, reason="Hết hạn."),
        target_type="assessments.assessment",
    ),
    Case(
        A.ASSESSMENT_REOPEN,
        "leader",
        "Xã Nghi Dương – 6 tháng đầu năm 2026",
        lambda demo, _, by: assessment_reopen(
            assessment=demo.assessment, by=by, reason="Bổ sung minh chứng."
        ),
        prepare=lambda demo, who: assessment_lock(assessment=demo.assessment, by=who("leader")),
    ),
    Case(
        A.ADJUSTMENT_RECORD,
        "chairman",
        "Xã Nghi Dương – 6 tháng đầu năm 2026",
        lambda demo, rule, by: adjustment_record(
            assessment=demo.assessment, adjustment=rule, cases=2, note="", by=by
        ),
        prepare=lambda demo, who: Adjustment.objects.filter(
            criteria_set=demo.assessment.criteria_set
        ).first(),
    ),
    Case(
        A.ASSIGNMENT_CHANGE,
        "leader",
        "Tiêu chí 2.2.b",
        lambda demo, assignment, by: assignment_update(
            assignment=assignment,
            lead_unit=Unit.objects.get(commune=demo.commune, name="Phòng Kinh tế"),
            supporting_units=[Unit.objects.get(commune=demo.commune, name=VHXH)],
            by=by,
        ),
        prepare=lambda demo, who: Assignment.objects.select_related("criterion", "lead_unit").get(
            assessment=demo.assessment, criterion__code="2.2.b"
        ),
        target_type="assessments.assignment",
    ),
    Case(
        A.ACCOUNT_CREATE,
        "administrator",
        "Tài khoản moi",
        lambda demo, _, by: user_create(
            username="moi",
            password="mat-khau-dai-9137",
            full_name="Ngô Văn Mới",
            commune=demo.commune,
            role="staff",
            unit=Unit.objects.get(commune=demo.commune, name=VHXH),
            by=by,
        ),
        target_type="auth.user",
    ),
    Case(
        A.EVIDENCE_UPLOAD,
        "own_staff",
        "Minh chứng MC-2.2.b-01",
        lambda demo, _, by: upload(demo, by),
        unit=VHXH,
        target_type="evidence.evidence",
    ),
    Case(
        A.EVIDENCE_REPLACE,
        "own_staff",
        "Minh chứng MC-2.2.b-01",
        lambda demo, evidence, by: evidence_replace(
            evidence=evidence,
            upload=SimpleUploadedFile("anh.png", image_bytes("PNG")),
            by=by,
        ),
        prepare=_uploaded,
        unit=VHXH,
    ),
    Case(
        A.EVIDENCE_DESCRIBE,
        "own_staff",
        "Minh chứng MC-2.2.b-01",
        lambda demo, evidence, by: evidence_describe(
            evidence=evidence, by=by, title="Biên bản họp", issuer="UBND xã"
        ),
        prepare=_uploaded,
        unit=VHXH,
    ),
    Case(
        A.EVIDENCE_DELETE,
        "leader",
        "Minh chứng MC-2.2.b-01",
        lambda demo, evidence, by: evidence_delete(evidence=evidence, by=by),
        prepare=_uploaded,
    ),
    Case(
        A.EVIDENCE_RESTORE,
        "leader",
        "Minh chứng MC-2.2.b-01",
        lambda demo, evidence, by: evidence_restore(evidence=evidence, by=by),
        prepare=lambda demo, who: (
            evidence := _uploaded(demo, who),
            evidence_delete(evidence=evidence, by=who("own_staff")),
        )[0],
    ),
    Case(
        A.EVIDENCE_LINK,
        "own_staff",
        "Minh chứng MC-2.2.b-01",
        lambda demo, evidence, by: evidence_link(
            evidence=evidence, criterion=score_of(demo, "2.2.c").criterion, by=by
        ),
        prepare=_uploaded,
        unit=VHXH,
    ),
    Case(
        A.EVIDENCE_UNLINK,
        "own_staff",
        "Minh chứng MC-2.2.b-01",
        lambda demo, evidence, by: evidence_unlink(
            evidence=evidence, criterion=score_of(demo, "2.2.c").criterion, by=by
        ),
        prepare=_linked,
        unit=VHXH,
    ),
    Case(
        A.REPORT_CREATE,
        "secretary",
        "Dự thảo báo cáo 6 tháng 2026",
        lambda demo, _, by: _report(demo, by),
        unit="Văn phòng HĐND và UBND",
        target_type="reports.report",
    ),
    Case(
        A.REPORT_EDIT,
        "leader",
        "Dự thảo báo cáo 6 tháng 2026",
        lambda demo, section, by: report_section_save(
            section=section, body="Nội dung mới.", by=by, expected_version=0
        ),
        prepare=lambda demo, who: ReportSection.objects.filter(
            report=_report(demo, who("secretary"))
        ).last(),
    ),
    Case(
        A.REPORT_EDIT,
        "leader",
        "Dự thảo báo cáo 6 tháng 2026",
        lambda demo, state, by: report_update(
            report=state[0],
            by=by,
            summary="Trích yếu mới",
            recipients="Sở Nội vụ",
            signer=state[1],
            authority="chairman",
            signer_name="",
        ),
        prepare=lambda demo, who: (_report(demo, who("secretary")), who("chairman")),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.action}-{i}" for i, c in enumerate(CASES)])
def test_each_action_writes_exactly_one_entry(demo, case, request):
    who = request.getfixturevalue
    state = case.prepare(demo, who)
    user = who(case.actor)
    start = mark()
    with bound(Origin(ip="203.0.113.7", user_agent="Firefox/140")):
        case.act(demo, state, user)
    entry = only_entry(start)
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


def test_score_entry_reads_in_vietnamese(demo, own_staff):
    start = mark()
    propose(demo, own_staff, code="1.1.j", points=D(3))
    entry = only_entry(start)
    assert entry.get_action_display() == "Gửi điểm"
    assert entry.summary == "Gửi tiêu chí 1.1.j: 3 điểm"
    assert entry.details == {"status": "submitted", "points": "3", "version": 1}


def test_submitting_a_units_scores_at_once_writes_one_entry_per_score(demo, own_staff):
    for code, points in (("2.2.b", D(1)), ("1.1.j", D(3))):
        propose(demo, own_staff, code=code, submit=False, points=points)
    scores = [score_of(demo, "2.2.b"), score_of(demo, "1.1.j")]
    start = mark()
    submitted, _skipped = score_submit_many(scores=scores, by=own_staff)
    assert len(submitted) == 2
    entries = since(start)
    assert [(e.action, e.target_label) for e in entries] == [
        (A.SCORE_SUBMIT, "Tiêu chí 2.2.b"),
        (A.SCORE_SUBMIT, "Tiêu chí 1.1.j"),
    ]


def test_an_action_rolled_back_leaves_no_entry(demo, own_staff, leader):
    score = propose(demo, own_staff)
    start = mark()
    with pytest.raises(RuntimeError), transaction.atomic():
        score_approve(score=score, by=leader, expected_version=score.version)
        assert len(since(start)) == 1  # written inside the action's transaction…
        raise RuntimeError("the action fails after its record")
    assert since(start) == []  # …and gone with it
    score.refresh_from_db()
    assert score.status == Score.Status.SUBMITTED
    # The chain did not move either: the next entry follows on directly.
    score_approve(score=score, by=leader, expected_version=score.version)
    assert only_entry(start).id == start + 1
    assert chain_verify().ok


def test_a_refused_action_writes_nothing(demo, own_staff, leader):
    score = score_of(demo, "2.2.b")
    start = mark()
    with pytest.raises(ValidationError):
        score_propose(score=score, by=own_staff, expected_version=score.version, submit=True)
    with pytest.raises(ValidationError):
        assessment_reopen(assessment=demo.assessment, by=leader, reason=" ")
    assert since(start) == []


def test_issuing_that_fails_while_rendering_leaves_no_entry(demo_scored, secretary, monkeypatch):
    report = _report(demo_scored, secretary)

    def broken(report, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(documents, "render_pdfs", broken)
    start = mark()
    with pytest.raises(OSError):
        report_issue(report=report, by=secretary)
    assert since(start) == []


def test_issue_sign_and_dossier_each_write_one_entry(demo_scored, signing, secretary):
    person, organisation = signing
    report = _report(demo_scored, secretary)

    start = mark()
    report = report_issue(report=report, by=secretary)
    issued = only_entry(start)
    assert (issued.action, issued.target_label) == (A.REPORT_ISSUE, "Báo cáo số 01/BC-UBND")
    assert issued.summary.startswith("Ban hành Số: 01/BC-UBND ngày ")

    start = mark()
    report_sign_person(report=report, key=person, secret=DEMO_PASSPHRASE, by=person.owner)
    signed = only_entry(start)
    assert (signed.action, signed.details["role"]) == (A.REPORT_SIGN, "person")
    assert signed.username == "lanhdao" and "ký số Số: 01/BC-UBND" in signed.summary

    start = mark()
    report_sign_organisation(report=report, key=organisation, secret=DEMO_PASSPHRASE, by=secretary)
    sealed = only_entry(start)
    assert (sealed.action, sealed.details["role"]) == (A.REPORT_SIGN, "organisation")

    start = mark()
    dossier = dossier_build(report=report, by=secretary)
    built = only_entry(start)
    assert (built.action, built.target_type, built.target_id) == (
        A.DOSSIER_BUILD,
        "reports.dossier",
        str(dossier.pk),
    )
    assert built.details == {"sha256": dossier.sha256}
    assert chain_verify().ok


def test_wrong_passphrase_signs_nothing_and_records_nothing(demo_scored, signing, secretary):
    person, _organisation = signing
    report = report_issue(report=_report(demo_scored, secretary), by=secretary)
    start = mark()
    with pytest.raises(ValidationError):
        report_sign_person(report=report, key=person, secret="sai-mat-khau", by=person.owner)
    assert since(start) == []


def test_an_administrator_acting_on_a_commune_is_recorded_under_that_commune(
    demo, own_staff, administrator
):
    score = propose(demo, own_staff)
    start = mark()
    score_approve(score=score, by=administrator, expected_version=score.version)
    entry = only_entry(start)
    assert (entry.username, entry.commune_name, entry.unit_name) == (
        "admin",
        "Xã Nghi Dương",
        "",
    )
