"""Write actions on reports: create one pre-filled from what the portal knows, edit it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.levels import level_statement
from assessments.models import Assessment, Membership
from assessments.selectors import ResultNode, Results, assessment_results
from audit.services import Action, audit_record
from criteria.rules import fmt_points
from reports.models import Report, ReportSection, ReportSectionRevision

DEFAULT_RECIPIENTS = """TTĐU (để b/c);
TT HĐND (để b/c);
CT, các PCT UBND xã;
Các phòng, đơn vị sự nghiệp thuộc xã;
Ủy ban MTTQ Việt Nam xã;
Các thôn dân cư trên địa bàn xã;
Lưu: VT, VHXX."""
MODEL = "mô hình “Chính quyền thân thiện”"


def period_words(assessment: Assessment) -> dict[str, str]:
    year = assessment.year
    if assessment.period == Assessment.Period.FIRST_HALF:
        return {
            "kind": Report.Kind.SIX_MONTH,
            "done": f"6 THÁNG ĐẦU NĂM {year}",
            "next": f"6 THÁNG CUỐI NĂM {year}",
            "summary": (
                f"Kết quả thực hiện {MODEL} 6 tháng đầu năm, phương hướng, nhiệm vụ "
                f"6 tháng cuối năm {year}"
            ),
            "span": f"6 tháng đầu năm {year}",
        }
    return {
        "kind": Report.Kind.ANNUAL,
        "done": f"NĂM {year}",
        "next": f"NĂM {year + 1}",
        "summary": (f"Kết quả thực hiện {MODEL} năm {year}, phương hướng, nhiệm vụ năm {year + 1}"),
        "span": f"năm {year}",
    }


def _date(value: date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else "…"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def _directives(assessment: Assessment, results: Results) -> str:
    commune = assessment.commune
    criteria_set = assessment.criteria_set
    kind = commune.get_kind_display().lower()
    lines = [f"Căn cứ {criteria_set.decision_reference} ban hành {criteria_set.title}:"]
    roots = results.roots
    if assessment.plan_number:
        lines.append(
            f"- Ngày {_date(assessment.plan_date)}, Ủy ban nhân dân {kind} đã ban hành Kế hoạch "
            f"số {assessment.plan_number} về việc triển khai thực hiện {MODEL} trên địa bàn "
            f"{kind} {commune.name} năm {assessment.year}. Kế hoạch phân công rõ các nhiệm vụ cụ "
            "thể cho các cơ quan, đơn vị trên cơ sở Bảng tiêu chí chấm điểm theo thang điểm "
            f"{fmt_points(criteria_set.scale)} gồm {len(roots)} tiêu chí:"
        )
    for index, root in enumerate(roots):
        end = "." if index == len(roots) - 1 else ";"
        lines.append(f"+ {root.criterion.title}: {fmt_points(root.criterion.max_points)} điểm{end}")
    level = assessment.target_level
    if assessment.registration_number and level is not None:
        lines.append(
            f"- Ngày {_date(assessment.registration_date)}, Ủy ban nhân dân {kind} đã ban hành "
            f"Công văn số {assessment.registration_number} về đăng ký đơn vị đạt chuẩn "
            f"“Chính quyền thân thiện” năm {assessment.year} gửi "
            f"{assessment.registration_recipient or 'Sở Nội vụ thành phố'}, trong đó đăng ký đơn "
            f"vị đạt chuẩn “Chính quyền thân thiện” năm {assessment.year} {level.name} "
            f"({level.range_label})."
        )
    return "\n".join(lines)


def _criterion_account(root: ResultNode) -> str:
    """The sub-criteria that earned points, grouped as the seed report writes them."""
    lines = []
    for child in root.children:
        if child.is_leaf:
            if (child.current_points or 0) > 0:
                lines.append(f"- {_sentence(child.criterion.title)}")
            continue
        done = [
            leaf.criterion.title.rstrip(".")
            for leaf in child.walk()
            if leaf.is_leaf and (leaf.current_points or 0) > 0
        ]
        if done:
            lines.append(f"- {child.criterion.title.rstrip('.')}: {'; '.join(done)}.")
    return "\n".join(lines) or "- …"


def _positives(assessment: Assessment, results: Results, span: str) -> str:
    total = results.approved if results.approved.scored else results.proposed
    statement = level_statement(results, total)
    level_text = f", {statement.text}" if statement.text else ""
    return (
        f"Việc triển khai thực hiện {MODEL} được xác định là một trong những nhiệm vụ trọng tâm, "
        "xuyên suốt; được lãnh đạo xã quan tâm lãnh đạo, chỉ đạo, thống nhất triển khai đồng bộ, "
        "bám sát theo các Chương trình, Kế hoạch của thành phố và xã. Trong "
        f"{span}, các phòng, đơn vị được giao chủ trì thực hiện các nhiệm vụ đã chủ động tham "
        "mưu, triển khai có hiệu quả, trước và trong thời hạn quy định. Kết quả tự đánh giá đạt "
        f"{fmt_points(total.final)}/{fmt_points(total.scale)} điểm{level_text}."
    )


def _tasks(assessment: Assessment, results: Results) -> str:
    commune = assessment.commune
    kind = commune.get_kind_display().lower()
    tasks = [
        f"Đẩy mạnh công tác thông tin, tuyên truyền triển khai thực hiện {MODEL} trên địa bàn "
        f"{kind} {commune.name} năm {assessment.year}."
    ]
    unmet = sorted(results.losing, key=lambda leaf: leaf.criterion.order)
    tasks += [_sentence(leaf.criterion.title) for leaf in unmet]
    return "\n".join(f"{number}. {task}" for number, task in enumerate(tasks, start=1))


def default_sections(assessment: Assessment, results: Results) -> list[dict]:
    words = period_words(assessment)
    commune = assessment.commune
    kind = commune.get_kind_display().lower()
    sections = [
        {"key": "p1", "level": 0, "heading": f"PHẦN I: KẾT QUẢ THỰC HIỆN {words['done']}"},
        {"key": "p1.I", "level": 1, "heading": "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH"},
        {
            "key": "p1.I.1",
            "level": 2,
            "heading": "1. Việc ban hành Kế hoạch và đăng ký đơn vị đạt chuẩn “Chính quyền thân "
            f"thiện” năm {assessment.year}",
            "body": _directives(assessment, results),
        },
        {
            "key": "p1.I.2",
            "level": 2,
            "heading": "2. Việc triển khai thực hiện",
            "body": (
                f"Ủy ban nhân dân {kind} đã chỉ đạo các cơ quan, đơn vị căn cứ chức năng, nhiệm vụ "
                "được giao thực hiện có hiệu quả các Tiêu chí, chuẩn bị đầy đủ các tài liệu minh "
                f"chứng để tổng hợp báo cáo Ủy ban nhân dân {kind} và Sở Nội vụ thành phố theo quy "
                "định."
            ),
        },
        {"key": "p1.II", "level": 1, "heading": "II. KẾT QUẢ THỰC HIỆN CÁC TIÊU CHÍ"},
    ]
    for index, root in enumerate(results.roots, start=1):
        body = _criterion_account(root)
        if index == len(results.roots):
            body += "\n*(Kết quả cụ thể của các Tiêu chí tại Phụ lục gửi kèm)*"
        sections.append(
            {
                "key": f"p1.II.{root.criterion.code}",
                "level": 2,
                "heading": f"{index}. {root.criterion.title}",
                "body": body,
            }
        )
    sections += [
        {"key": "p1.III", "level": 1, "heading": "III. ĐÁNH GIÁ CHUNG"},
        {
            "key": "p1.III.1",
            "level": 2,
            "heading": "1. Mặt tích cực",
            "body": _positives(assessment, results, words["span"]),
        },
        {
            "key": "p1.III.2",
            "level": 2,
            "heading": "2. Tồn tại, hạn chế",
            "body": (
                f"Bên cạnh những kết quả đã đạt được, việc triển khai thực hiện {MODEL} còn một số "
                "tồn tại, hạn chế dẫn đến một số Tiêu chí thành phần chưa đảm bảo điểm số theo quy "
                "định, cụ thể:"
            ),
            "table": ReportSection.Table.SHORTFALLS,
        },
        {"key": "p2", "level": 0, "heading": f"PHẦN II: PHƯƠNG HƯỚNG, NHIỆM VỤ {words['next']}"},
        {
            "key": "p2.I",
            "level": 1,
            "heading": "I. PHƯƠNG HƯỚNG",
            "body": (
                "Tập trung chỉ đạo, đôn đốc và tổ chức thực hiện hoàn thành các mục tiêu, nhiệm vụ "
                f"đã được xác định tại Kế hoạch triển khai thực hiện {MODEL} trên địa bàn {kind} "
                f"{commune.name} năm {assessment.year} và các Tiêu chí/Tiêu chí thành phần theo "
                "Bảng tiêu chí chấm điểm."
            ),
        },
        {
            "key": "p2.II",
            "level": 1,
            "heading": "II. NHIỆM VỤ",
            "body": _tasks(assessment, results),
        },
        {
            "key": "closing",
            "level": 3,
            "heading": "",
            "body": (
                f"Trên đây là Báo cáo kết quả thực hiện {MODEL} {words['span']}, phương hướng, "
                f"nhiệm vụ {words['next'].lower()} của Ủy ban nhân dân {kind} {commune.name}./."
            ),
        },
    ]
    return sections


def _default_signer(assessment: Assessment) -> tuple[User | None, str]:
    leaders = list(
        Membership.objects.filter(commune=assessment.commune, role=Membership.Role.LEADER)
        .select_related("user")
        .order_by("id")
    )
    deputy = next((m for m in leaders if m.title.lower().startswith("phó")), None)
    if deputy is not None:
        return deputy.user, Report.Authority.DEPUTY
    if leaders:
        return leaders[0].user, Report.Authority.CHAIRMAN
    return None, Report.Authority.CHAIRMAN


@transaction.atomic
def report_create(*, assessment: Assessment, by: User) -> Report:
    """A draft report pre-filled from the criteria, scores and registration of `assessment`."""
    if Report.objects.filter(assessment=assessment, status=Report.Status.DRAFT).exists():
        raise ValidationError("Kỳ đánh giá này đã có một báo cáo dự thảo.")
    results = assessment_results(assessment)
    words = period_words(assessment)
    signer, authority = _default_signer(assessment)
    # An issued report is never edited: a new one corrects it and says which it replaces.
    replaces = (
        Report.objects.filter(assessment=assessment, status=Report.Status.ISSUED)
        .order_by("-issued_at")
        .first()
    )
    report = Report.objects.create(
        assessment=assessment,
        replaces=replaces,
        kind=words["kind"],
        summary=words["summary"],
        signer=signer,
        authority=authority,
        signer_name=signer.get_full_name() if signer else "",
        recipients=DEFAULT_RECIPIENTS,
        created_by=by,
    )
    ReportSection.objects.bulk_create(
        ReportSection(report=report, order=order, updated_by=by, **spec)
        for order, spec in enumerate(default_sections(assessment, results), start=1)
    )
    report_audit(report, Action.REPORT_CREATE, by, f"Tạo dự thảo: {report.summary}")
    return report


def report_audit(report: Report, action: str, by: User, summary: str, **details: Any) -> None:
    """One entry of the audit trail about `report` (drafting, issuing, signing, files)."""
    audit_record(
        action=action,
        user=by,
        commune=report.assessment.commune,
        target=report,
        target_label=report_label(report),
        summary=summary,
        details=details,
    )


def report_label(report: Report) -> str:
    """'Báo cáo số 01/BC-UBND' once issued, 'Dự thảo báo cáo 6 tháng 2026' before."""
    if report.number is not None:
        return f"Báo cáo số {report.number:02d}/{report.symbol}"
    return f"Dự thảo {report.get_kind_display().lower()} {report.assessment.year}"


def ensure_draft(report: Report) -> None:
    if report.status != Report.Status.DRAFT:
        raise ValidationError("Báo cáo đã ban hành: không sửa được nữa.")


@transaction.atomic
def report_section_save(
    *, section: ReportSection, body: str, by: User, expected_version: int
) -> ReportSection:
    """Save a section's text; refused if someone saved it since `expected_version`."""
    section = ReportSection.objects.select_for_update().select_related("report").get(pk=section.pk)
    ensure_draft(section.report)
    if section.version != expected_version:
        who = section.updated_by.get_full_name() if section.updated_by else "người khác"
        when = f"{timezone.localtime(section.updated_at):%H:%M %d/%m/%Y}"
        raise ValidationError(
            f"Mục “{section.heading or section.key}” vừa được {who} sửa lúc {when}. Nội dung của "
            "bạn chưa được lưu; hãy xem bản mới rồi sửa lại.",
            code="stale",
        )
    body = "\n".join(line.rstrip() for line in body.replace("\r\n", "\n").split("\n")).strip()
    if body == section.body:
        return section
    ReportSectionRevision.objects.create(
        section=section, body=section.body, user=section.updated_by or by
    )
    section.body = body
    section.version += 1
    section.updated_by = by
    section.save(update_fields=["body", "version", "updated_by", "updated_at"])
    report_audit(
        section.report,
        Action.REPORT_EDIT,
        by,
        f"Sửa mục “{section.heading or section.key}”",
        section=section.key,
        version=section.version,
    )
    return section


@transaction.atomic
def report_update(
    *,
    report: Report,
    by: User,
    summary: str,
    recipients: str,
    signer: User | None,
    authority: str,
    signer_name: str,
) -> Report:
    report = Report.objects.select_for_update().get(pk=report.pk)
    ensure_draft(report)
    if not summary.strip():
        raise ValidationError("Trích yếu không được để trống.")
    report.summary = " ".join(summary.split())
    report.recipients = "\n".join(
        line.strip().lstrip("-").strip() for line in recipients.splitlines() if line.strip()
    )
    report.signer = signer
    report.authority = authority
    report.signer_name = signer_name.strip() or (signer.get_full_name() if signer else "")
    report.version += 1
    report.save()
    report_audit(
        report, Action.REPORT_EDIT, by, "Sửa thông tin chung (trích yếu, nơi nhận, người ký)"
    )
    return report
