"""Write actions on reports: create one pre-filled from what the portal knows, edit it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.models import Assessment, Commune, Membership
from audit.services import Action, audit_record
from guards.versions import bump_report
from reports.fields import (
    CRITERION_SECTION,
    IMPLEMENTING_SECTION,
    MODEL,
    LiveData,
    body_problems,
    period_words,
)
from reports.models import Report, ReportSection, ReportSectionRevision

__all__ = ["period_words"]  # re-exported: reports.services names it

RECIPIENTS = [
    "TTĐU (để b/c);",
    "TT HĐND (để b/c);",
    "CT, các PCT UBND {kind};",
    "Các phòng, đơn vị sự nghiệp thuộc {kind};",
    "Ủy ban MTTQ Việt Nam {kind};",
]
RESIDENTIAL: dict[str, str] = {
    Commune.Kind.XA: "Các thôn dân cư trên địa bàn xã;",
    Commune.Kind.PHUONG: "Các tổ dân phố trên địa bàn phường;",
    Commune.Kind.DAC_KHU: "Các thôn, tổ dân phố trên địa bàn đặc khu;",
}
# Kept for callers that want the default of a commune of kind "xã".
DEFAULT_RECIPIENTS = "\n".join(
    [*(line.format(kind="xã") for line in RECIPIENTS), RESIDENTIAL[Commune.Kind.XA], "Lưu: VT."]
)


def default_recipients(commune: Commune) -> str:
    """The Nơi nhận of a new report: the commune's own list, or the default for its kind."""
    if commune.report_recipients.strip():
        return commune.report_recipients.strip()
    kind = commune.get_kind_display().lower()
    lines = [line.format(kind=kind) for line in RECIPIENTS]
    lines.append(RESIDENTIAL.get(commune.kind, RESIDENTIAL[Commune.Kind.XA]))
    lines.append("Lưu: VT.")
    return "\n".join(lines)


DIRECTIVES = """Căn cứ {văn bản căn cứ} ban hành {tên bộ tiêu chí}:
- Ngày {ngày kế hoạch}, Ủy ban nhân dân {cấp} đã ban hành Kế hoạch số {số kế hoạch} về việc \
triển khai thực hiện mô hình “Chính quyền thân thiện” trên địa bàn {đơn vị hành chính} năm \
{năm}. Kế hoạch phân công rõ các nhiệm vụ cụ thể cho các cơ quan, đơn vị trên cơ sở Bảng tiêu \
chí chấm điểm theo thang điểm {thang điểm} gồm {số tiêu chí} tiêu chí:
{danh sách tiêu chí}
- Ngày {ngày đăng ký}, Ủy ban nhân dân {cấp} đã ban hành Công văn số {số văn bản đăng ký} về \
đăng ký đơn vị đạt chuẩn “Chính quyền thân thiện” năm {năm} gửi {nơi nhận đăng ký}, trong đó \
đăng ký đơn vị đạt chuẩn “Chính quyền thân thiện” năm {năm} {mức đăng ký}."""

IMPLEMENTING_GENERAL = (
    "Ủy ban nhân dân {cấp} đã chỉ đạo các cơ quan, đơn vị căn cứ chức năng, nhiệm vụ được giao "
    "thực hiện có hiệu quả các Tiêu chí, chuẩn bị đầy đủ các tài liệu minh chứng để tổng hợp báo "
    "cáo Ủy ban nhân dân {cấp} và {nơi nhận đăng ký} theo quy định."
)

POSITIVES = (
    f"Việc triển khai thực hiện {MODEL} được xác định là một trong những nhiệm vụ trọng tâm, "
    "xuyên suốt; được lãnh đạo {cấp} quan tâm lãnh đạo, chỉ đạo, thống nhất triển khai đồng bộ, "
    "bám sát theo các Chương trình, Kế hoạch của cấp trên và của {cấp}. Trong {kỳ báo cáo}, các "
    "phòng, đơn vị được giao chủ trì thực hiện các nhiệm vụ đã chủ động tham mưu, triển khai có "
    "hiệu quả, trước và trong thời hạn quy định. Kết quả tự đánh giá đạt {tổng điểm}/{thang điểm} "
    "điểm"
)

SHORTFALLS = (
    f"Bên cạnh những kết quả đã đạt được, việc triển khai thực hiện {MODEL} còn một số tồn tại, "
    "hạn chế dẫn đến một số Tiêu chí thành phần chưa đảm bảo điểm số theo quy định, cụ thể:"
)

DIRECTION = (
    "Tập trung chỉ đạo, đôn đốc và tổ chức thực hiện hoàn thành các mục tiêu, nhiệm vụ đã được xác "
    f"định tại Kế hoạch triển khai thực hiện {MODEL} trên địa bàn {{đơn vị hành chính}} năm {{năm}} "
    "và các Tiêu chí/Tiêu chí thành phần theo Bảng tiêu chí chấm điểm."
)

CLOSING = (
    f"Trên đây là Báo cáo kết quả thực hiện {MODEL} {{kỳ báo cáo}}, phương hướng, nhiệm vụ "
    "{kỳ tới} của Ủy ban nhân dân {đơn vị hành chính}./."
)


def default_sections(report: Report, data: LiveData) -> list[dict[str, Any]]:
    """The sections of a new report: narrative text with a live field for every figure, list
    and name (reports.fields); the wording that depends on data (is a level named, are
    implementing documents recorded) is chosen from `data` today."""
    words = period_words(report.assessment)
    results = data.results
    positives = POSITIVES + (", {kết luận mức}." if data.statement.text else ".")
    implementing = (
        "{văn bản triển khai}"
        if data.block("văn bản triển khai", IMPLEMENTING_SECTION)
        else IMPLEMENTING_GENERAL
    )
    sections: list[dict[str, Any]] = [
        {"key": "p1", "level": 0, "heading": f"PHẦN I: KẾT QUẢ THỰC HIỆN {words['done']}"},
        {"key": "p1.I", "level": 1, "heading": "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH"},
        {
            "key": "p1.I.1",
            "level": 2,
            "heading": "1. Việc ban hành Kế hoạch và đăng ký đơn vị đạt chuẩn “Chính quyền thân "
            f"thiện” năm {report.assessment.year}",
            "body": DIRECTIVES,
        },
        {
            "key": IMPLEMENTING_SECTION,
            "level": 2,
            "heading": "2. Việc triển khai thực hiện",
            "body": implementing,
        },
        {"key": "p1.II", "level": 1, "heading": "II. KẾT QUẢ THỰC HIỆN CÁC TIÊU CHÍ"},
    ]
    for index, root in enumerate(results.roots, start=1):
        body = "{kết quả thực hiện}"
        if index == len(results.roots):
            body += "\n*(Kết quả cụ thể của các Tiêu chí tại Phụ lục gửi kèm)*"
        sections.append(
            {
                "key": f"{CRITERION_SECTION}{root.criterion.code}",
                "level": 2,
                "heading": f"{index}. {root.criterion.title}",
                "body": body,
            }
        )
    sections += [
        {"key": "p1.III", "level": 1, "heading": "III. ĐÁNH GIÁ CHUNG"},
        {"key": "p1.III.1", "level": 2, "heading": "1. Mặt tích cực", "body": positives},
        {
            "key": "p1.III.2",
            "level": 2,
            "heading": "2. Tồn tại, hạn chế",
            "body": SHORTFALLS,
            "table": ReportSection.Table.SHORTFALLS,
        },
        {"key": "p2", "level": 0, "heading": f"PHẦN II: PHƯƠNG HƯỚNG, NHIỆM VỤ {words['next']}"},
        {"key": "p2.I", "level": 1, "heading": "I. PHƯƠNG HƯỚNG", "body": DIRECTION},
        {"key": "p2.II", "level": 1, "heading": "II. NHIỆM VỤ", "body": "{nhiệm vụ}"},
        {"key": "closing", "level": 3, "heading": "", "body": CLOSING},
    ]
    for spec in sections:
        spec.setdefault("body", "")
        spec["data_snapshot"] = data.snapshot(spec["body"], spec["key"], spec.get("table", ""))
    return sections


def _default_signer(assessment: Assessment) -> tuple[User | None, str]:
    """The signer the commune's administrator set (while still a leader of the commune);
    without one, a Phó Chủ tịch, else the first leader: the secretary checks it on the draft."""
    commune = assessment.commune
    if (
        commune.report_signer_id is not None
        and Membership.objects.filter(
            user_id=commune.report_signer_id, commune=commune, role=Membership.Role.LEADER
        ).exists()
    ):
        authority = commune.report_authority or Report.Authority.CHAIRMAN
        return commune.report_signer, authority
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
        recipients=default_recipients(assessment.commune),
        created_by=by,
    )
    ReportSection.objects.bulk_create(
        ReportSection(report=report, order=order, updated_by=by, **spec)
        for order, spec in enumerate(default_sections(report, LiveData(report)), start=1)
    )
    bump_report(report.pk)  # bulk_create sends no signal (guards/versions.py)
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


def _locked_section(section: ReportSection, expected_version: int) -> ReportSection:
    """The section under a row lock, refused if the report is issued or someone saved the
    section since `expected_version`."""
    section = (
        ReportSection.objects.select_for_update()
        .select_related("report__assessment__commune", "report__assessment__criteria_set")
        .get(pk=section.pk)
    )
    ensure_draft(section.report)
    if section.version != expected_version:
        who = section.updated_by.get_full_name() if section.updated_by else "người khác"
        when = f"{timezone.localtime(section.updated_at):%H:%M %d/%m/%Y}"
        raise ValidationError(
            f"Mục “{section.heading or section.key}” vừa được {who} sửa lúc {when}. Nội dung của "
            "bạn chưa được lưu; hãy xem bản mới rồi sửa lại.",
            code="stale",
        )
    return section


def _write_body(section: ReportSection, body: str, by: User, summary: str) -> None:
    """Keep the old text as a revision, store `body` with the data it was written against."""
    ReportSectionRevision.objects.create(
        section=section, body=section.body, user=section.updated_by or by
    )
    section.body = body
    section.data_snapshot = LiveData(section.report).snapshot(body, section.key, section.table)
    section.version += 1
    section.updated_by = by
    section.save(update_fields=["body", "data_snapshot", "version", "updated_by", "updated_at"])
    report_audit(
        section.report,
        Action.REPORT_EDIT,
        by,
        summary,
        section=section.key,
        version=section.version,
    )


@transaction.atomic
def report_section_save(
    *,
    section: ReportSection,
    body: str,
    by: User,
    expected_version: int,
    show_points: bool | None = None,
) -> ReportSection:
    """Save a section's text; refused if someone saved it since `expected_version`, or if it
    names a field that does not exist. `show_points` (sections with the shortfall table):
    print the points achieved next to the maximum."""
    section = _locked_section(section, expected_version)
    body = "\n".join(line.rstrip() for line in body.replace("\r\n", "\n").split("\n")).strip()
    problems = body_problems(body, section.key)
    if problems:
        raise ValidationError(" ".join(problems), code="fields")
    label = section.heading or section.key
    if show_points is not None and section.table and show_points != section.show_points:
        section.show_points = show_points
        section.version += 1
        section.updated_by = by
        section.save(update_fields=["show_points", "version", "updated_by", "updated_at"])
        report_audit(
            section.report,
            Action.REPORT_EDIT,
            by,
            f"Mục “{label}”: {'in' if show_points else 'bỏ'} cột “Điểm đạt” trong bảng",
            section=section.key,
            version=section.version,
        )
    if body != section.body:
        _write_body(section, body, by, f"Sửa mục “{label}”")
    return section


@transaction.atomic
def report_section_refresh(
    *, section: ReportSection, by: User, expected_version: int
) -> ReportSection:
    """ "Làm mới từ dữ liệu": the section's text becomes today's default text for its key
    (the old text is kept as a revision)."""
    section = _locked_section(section, expected_version)
    data = LiveData(section.report)
    spec = next(
        (s for s in default_sections(section.report, data) if s["key"] == section.key), None
    )
    if spec is None:
        raise ValidationError(
            f"Mục “{section.heading or section.key}” không có lời văn mặc định để làm mới."
        )
    if spec["body"] == section.body:
        section.data_snapshot = spec["data_snapshot"]
        section.version += 1
        section.updated_by = by
        section.save(update_fields=["data_snapshot", "version", "updated_by", "updated_at"])
    else:
        _write_body(
            section, spec["body"], by, f"Làm mới mục “{section.heading or section.key}” từ dữ liệu"
        )
    return section


@transaction.atomic
def report_section_keep(
    *, section: ReportSection, by: User, expected_version: int
) -> ReportSection:
    """ "Giữ nguyên lời văn": the secretary read the changes; the text stays as written and
    today's data becomes what it was written against."""
    section = _locked_section(section, expected_version)
    section.data_snapshot = LiveData(section.report).snapshot(
        section.body, section.key, section.table
    )
    section.version += 1
    section.updated_by = by
    section.save(update_fields=["data_snapshot", "version", "updated_by", "updated_at"])
    report_audit(
        section.report,
        Action.REPORT_EDIT,
        by,
        f"Giữ nguyên lời văn mục “{section.heading or section.key}” sau khi dữ liệu thay đổi",
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
