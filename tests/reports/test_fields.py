"""Live fields in the report (issue 11, items 1, 4, 7): every figure, list and name is read
from the data when the report is shown or issued, never captured as text."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from docx import Document

from assessments.levels import level_statement
from assessments.models import Commune, Score
from assessments.selectors import assessment_results
from assessments.services import (
    assessment_create,
    city_get_or_create,
    score_adjust,
    score_approve,
    score_propose,
)
from audit.models import AuditEntry
from criteria.models import CriteriaSet, Level
from criteria.services import criteria_set_replace_tree
from criteria.tree import NodeRow
from reports import content
from reports.documents import report_context, report_pdf, shortfall_rows
from reports.docx import report_docx
from reports.fields import FIELDS, LiveData, body_problems, report_problems
from reports.models import IssuedFile, ReportSection, ReportTask
from reports.services import (
    default_sections,
    report_create,
    report_section_refresh,
    report_section_save,
)
from reports.services.issuing import report_issue

DEMO_NAMES = ["Nghi Dương", "NGHI DƯƠNG", "An Lão", "AN LÃO"]


@pytest.fixture
def report(demo_scored_90, secretary):
    report = report_create(assessment=demo_scored_90.assessment, by=secretary)
    # A general task, as the secretary adds it: section "Nhiệm vụ" is never empty.
    ReportTask.objects.create(
        report=report, text="Đẩy mạnh công tác thông tin, tuyên truyền.", created_by=secretary
    )
    return report


def value(report, name: str, key: str = "p1.I.1") -> str | None:
    return LiveData(report).value(name, key)


def section(report, key: str) -> ReportSection:
    return report.sections.get(key=key)


def pdftext(data: bytes) -> str:
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(text.split())


def full_leaf(assessment, root_code: str = "1") -> Score:
    """An approved sub-criterion of criterion `root_code` that has all its points."""
    for score in Score.objects.filter(
        assessment=assessment, criterion__code__startswith=f"{root_code}."
    ).select_related("criterion"):
        if score.is_approved and score.leader_points == score.criterion.max_points >= 1:
            return score
    raise AssertionError("no full sub-criterion")


# -- each field ---------------------------------------------------------------------------------


def test_each_scalar_field_reads_the_data(report):
    assessment = report.assessment
    results = assessment_results(assessment)
    criteria_set = assessment.criteria_set
    expected = {
        "đơn vị hành chính": "xã Nghi Dương",
        "cấp": "xã",
        "năm": "2026",
        "kỳ báo cáo": "6 tháng đầu năm 2026",
        "kỳ tới": "6 tháng cuối năm 2026",
        "văn bản căn cứ": criteria_set.decision_reference,
        "tên bộ tiêu chí": criteria_set.title,
        "thang điểm": "100",
        "số tiêu chí": "4",
        "số tiêu chí thành phần": str(len(results.leaves)),
        "số tiêu chí thành phần chưa đạt": "4",
        "tổng điểm": "90",
        "mức đăng ký": "mức 2 (Đạt từ 85 đến dưới 90 điểm)",
        "kết luận mức": level_statement(results, results.approved).text,
        "số kế hoạch": "62/KH-UBND",
        "ngày kế hoạch": "10/02/2026",
        "số văn bản đăng ký": "343/UBND-VHXXH",
        "ngày đăng ký": "10/02/2026",
        "nơi nhận đăng ký": "Sở Nội vụ thành phố",
    }
    assert expected["văn bản căn cứ"].startswith("Quyết định số 5049/QĐ-UBND ngày 11/12/2025")
    assert set(expected) == {name for name, f in FIELDS.items() if not f.block}
    data = LiveData(report)
    for name, text in expected.items():
        assert data.value(name, "p1.I.1") == text, name
        rendered = data.render(f"Trước {{{name}}} sau.", "p1.I.1")
        assert rendered.expanded == f"Trước {text} sau." and rendered.missing == []


def test_block_fields_expand_to_paragraphs(report):
    results = assessment_results(report.assessment)
    data = LiveData(report)
    lines = data.render("Gồm:\n{danh sách tiêu chí}\nHết.", "p1.I.1").expanded.splitlines()
    assert lines == [
        "Gồm:",
        "+ Chính quyền công khai minh bạch: 24 điểm;",
        "+ Chính quyền thân thiện, hành động, vì nhân dân phục vụ: 24 điểm;",
        "+ Chính quyền có đội ngũ cán bộ, công chức chuyên nghiệp, trách nhiệm, gương mẫu, "
        "thân thiện: 26 điểm;",
        "+ Chính quyền xanh, văn minh, hiện đại: 26 điểm.",
        "Hết.",
    ]
    for root in results.roots:
        key = f"p1.II.{root.criterion.code}"
        accounts = content.criterion_accounts(results, root)
        assert data.render("{kết quả thực hiện}", key).expanded.splitlines() == accounts
    tasks = content.report_tasks(report, results)
    assert data.render("{nhiệm vụ}", "p2.II").expanded.splitlines() == [
        f"{n}. {task.text}" for n, task in enumerate(tasks, start=1)
    ]
    assert data.render("{văn bản triển khai}", "p1.I.2").expanded.splitlines() == (
        content.implementing_paragraphs(report, results)
    )


def test_the_documents_print_the_expanded_text_and_highlight_it_on_screen(report):
    screen = report_context(report, for_pdf=False)
    paper = report_context(report, for_pdf=True)
    first = next(s for s in paper["sections"] if s.key == "p1.I.1")
    assert "{" not in first.expanded and "Kế hoạch số 62/KH-UBND" in first.expanded
    assert "live-field" not in str(first.html)
    on_screen = next(s for s in screen["sections"] if s.key == "p1.I.1")
    assert '<span class="live-field" title="số kế hoạch">' in str(on_screen.html)


def test_unknown_or_misplaced_fields_are_refused_on_save(report, secretary):
    target = section(report, "p1.III.1")
    with pytest.raises(ValidationError, match=r"Không có trường \{tổng điểmm\}"):
        report_section_save(
            section=target, body="Đạt {tổng điểmm}.", by=secretary, expected_version=0
        )
    with pytest.raises(ValidationError, match="phải đứng riêng trên một dòng"):
        report_section_save(
            section=target, body="Gồm {danh sách tiêu chí}.", by=secretary, expected_version=0
        )
    with pytest.raises(ValidationError, match="chỉ dùng được trong các mục của phần II"):
        report_section_save(
            section=target, body="{kết quả thực hiện}", by=secretary, expected_version=0
        )
    target.refresh_from_db()
    assert target.version == 0 and "{tổng điểm}" in target.body
    assert body_problems("Đạt {tổng điểm}/{thang điểm} điểm.", "p1.III.1") == []


def test_unknown_field_message_through_the_editor(client, report, login_as, secretary):
    login_as(secretary)
    target = section(report, "p1.III.1")
    url = reverse("reports:section_save", args=[report.assessment_id, report.pk, target.pk])
    response = client.post(url, {"version": 0, "body": "Đạt {diem}."}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "Không có trường {diem}" in page and "Đạt {diem}." in page


def test_a_field_without_data_is_shown_listed_and_blocks_issuing(
    client, report, login_as, secretary
):
    assessment = report.assessment
    assessment.plan_number = ""
    assessment.save(update_fields=["plan_number"])
    rendered = LiveData(report).section(section(report, "p1.I.1"))
    assert rendered.missing == ["số kế hoạch"]
    assert "Kế hoạch số [chưa có: số kế hoạch]" in rendered.expanded
    login_as(secretary)
    page = client.get(reverse("reports:edit", args=[assessment.pk, report.pk])).content.decode()
    assert "trường {số kế hoạch} chưa có dữ liệu" in page  # the issue box
    assert "chưa có dữ liệu: số kế hoạch" in page  # the section's preview
    with pytest.raises(ValidationError, match=r"trường \{số kế hoạch\} chưa có dữ liệu"):
        report_issue(report=report, by=secretary)
    report.refresh_from_db()
    assert report.number is None


def test_the_editor_lists_the_usable_fields_with_todays_values(client, report, login_as, secretary):
    login_as(secretary)
    page = client.get(reverse("reports:edit", args=[report.assessment_id, report.pk]))
    html = page.content.decode()
    assert 'data-insert-field="{tổng điểm}"' in html
    assert 'data-insert-field="{kết quả thực hiện}"' in html  # in the sections of part II
    assert html.count('data-testid="section-preview"') >= 10
    assert "<script" not in html.split('data-testid="issue-box"')[0].split("<main")[-1]


# -- default sections: nothing captured, nothing commune-specific --------------------------------


def test_default_sections_hold_fields_not_figures(report):
    for item in report.sections.exclude(body=""):
        body = re.sub(r"\{[^}]*\}", "", item.body)
        assert not re.search(r"\d", body.replace("“Chính quyền thân thiện”", "")), item.key
        assert "Nghi Dương" not in item.body and " xã" not in item.body, item.key
    assert section(report, "p1.II.1").body == "{kết quả thực hiện}"
    assert section(report, "p2.II").body == "{nhiệm vụ}"
    assert "{nơi nhận đăng ký}" in section(report, "p1.I.1").body


def test_positive_assessment_has_the_level_clause_only_when_the_statement_says_one(report):
    # the clause names a level only on a verified set (assessments.levels); on the draft set
    # it says how the total stands against the registered level
    results = assessment_results(report.assessment)
    statement = level_statement(results, results.approved)
    body = section(report, "p1.III.1").body
    assert ("{kết luận mức}" in body) == bool(statement.text)


def test_recipients_come_from_the_commune_or_the_default_for_its_kind(demo_scored_90, secretary):
    commune = demo_scored_90.assessment.commune
    commune.report_recipients = ""  # the demo commune has its real report's list
    commune.save()
    report = report_create(assessment=demo_scored_90.assessment, by=secretary)
    assert report.recipient_lines[-2:] == ["Các thôn dân cư trên địa bàn xã;", "Lưu: VT."]
    report.delete()
    commune.report_recipients = "Thường trực Đảng ủy;\nLưu: VT, VP."
    commune.save()
    report = report_create(assessment=demo_scored_90.assessment, by=secretary)
    assert report.recipient_lines == ["Thường trực Đảng ủy;", "Lưu: VT, VP."]


# -- stale narrative ------------------------------------------------------------------------------


def test_a_changed_score_marks_the_sections_that_depend_on_it(
    client, report, leader, secretary, login_as
):
    score = full_leaf(report.assessment)
    score_adjust(
        score=score,
        by=leader,
        expected_version=score.version,
        points=score.leader_points - 1,
        reason="Minh chứng chưa đủ.",
    )
    data = LiveData(report)
    positives = data.changes(section(report, "p1.III.1"))
    assert [(c.name, c.old, c.new) for c in positives if c.name == "tổng điểm"] == [
        ("tổng điểm", "90", "89")
    ]
    assert any(c.name == "điểm của tiêu chí" for c in data.changes(section(report, "p1.II.1")))
    assert data.changes(section(report, "p1.II.2")) == []
    assert any(c.name == "bảng tồn tại, hạn chế" for c in data.changes(section(report, "p1.III.2")))
    login_as(secretary)
    page = client.get(reverse("reports:edit", args=[report.assessment_id, report.pk]))
    html = page.content.decode()
    assert "Dữ liệu đã thay đổi" in html and "90 → 89" in html
    assert "Làm mới từ dữ liệu" in html and "Giữ nguyên lời văn" in html


def test_keep_the_text_after_a_change(client, report, leader, secretary, login_as):
    score = full_leaf(report.assessment)
    score_adjust(
        score=score, by=leader, expected_version=score.version, points=D(0), reason="Không có."
    )
    target = section(report, "p1.III.1")
    body = target.body
    login_as(secretary)
    url = reverse("reports:section_keep", args=[report.assessment_id, report.pk, target.pk])
    response = client.post(url, {"version": target.version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Dữ liệu đã thay đổi" not in response.content.decode()
    target.refresh_from_db()
    assert target.body == body and target.version == 1
    assert LiveData(report).changes(target) == []
    # A second click with the old version is refused, like a stale save.
    response = client.post(url, {"version": 0}, HTTP_HX_REQUEST="true")
    assert "vừa được" in response.content.decode()


def test_refresh_rewrites_the_text_from_today_keeping_a_revision(report, leader, secretary):
    target = section(report, "p1.III.1")
    default = target.body
    report_section_save(
        section=target,
        body="Kết quả tự đánh giá đạt {tổng điểm} điểm, vượt kế hoạch.",
        by=secretary,
        expected_version=0,
    )
    score = full_leaf(report.assessment)
    score_adjust(
        score=score, by=leader, expected_version=score.version, points=D(0), reason="Không có."
    )
    target.refresh_from_db()
    assert LiveData(report).changes(target)
    report_section_refresh(section=target, by=secretary, expected_version=target.version)
    target.refresh_from_db()
    assert target.body == default and target.version == 2
    assert target.revisions.count() == 2
    assert LiveData(report).changes(target) == []
    assert AuditEntry.objects.filter(summary__startswith="Làm mới mục “1. Mặt tích cực”").exists()


# -- issuing refuses what the data does not support ------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["Kết quả tự đánh giá đạt 92,5/100 điểm.", "Xã đạt 92,5 điểm.", "Tổng điểm là 92,5 điểm."],
)
def test_issuing_refuses_a_typed_total_that_contradicts_the_data(report, secretary, typed):
    target = section(report, "p1.III.1")
    report_section_save(section=target, body=typed, by=secretary, expected_version=0)
    problems = report_problems(report)
    assert len(problems) == 1 and "92,5" in problems[0] and "90/100" in problems[0]
    with pytest.raises(ValidationError, match="92,5"):
        report_issue(report=report, by=secretary)


def test_typed_figures_that_are_not_the_total_are_not_refused(report, secretary):
    target = section(report, "p1.III.1")
    body = (
        "Có 3/5 hồ sơ đúng hạn; đạt 90 điểm; ngày 10/02/2026; mức 2 (Đạt từ 85 đến dưới 90 điểm)."
    )
    report_section_save(section=target, body=body, by=secretary, expected_version=0)
    assert report_problems(report) == []


def test_changed_after_drafting_both_issued_pdfs_print_the_new_total(report, leader, secretary):
    # Drafted at 90; a leader then lowers one sub-criterion by a point.
    drafted = report_context(report, for_pdf=True)["sections"]
    assert "đạt 90/100 điểm" in next(s for s in drafted if s.key == "p1.III.1").expanded
    score = full_leaf(report.assessment)
    score_adjust(
        score=score,
        by=leader,
        expected_version=score.version,
        points=score.leader_points - 1,
        reason="Lãnh đạo: minh chứng chưa đầy đủ.",
    )
    issued = report_issue(report=report, by=secretary)
    files = {f.kind: f.file.open("rb").read() for f in issued.files.all()}
    report_text = pdftext(files[IssuedFile.Kind.REPORT])
    appendix_text = pdftext(files[IssuedFile.Kind.APPENDIX])
    assert "đạt 89/100 điểm" in report_text
    assert "90/100" not in report_text and "đạt 90" not in report_text
    # The appendix's total row: maximum, units' total (80: demo_scored_90's leader raised six
    # scores the units left at 0), approved total.
    assert re.search(r"TỔNG CỘNG 100 80 89\b", appendix_text), appendix_text[-600:]
    # The leader's reason is the table's reason for that sub-criterion.
    assert "Lãnh đạo: minh chứng chưa đầy đủ." in report_text


# -- the shortfall table ----------------------------------------------------------------------------


def test_shortfall_reason_is_the_leaders_when_the_leader_changed_the_points(report, leader):
    score = full_leaf(report.assessment)
    score.shortfall_reason = "Lý do của đơn vị."
    score.save(update_fields=["shortfall_reason"])
    score_adjust(
        score=score,
        by=leader,
        expected_version=score.version,
        points=score.leader_points - 1,
        reason="Lý do của lãnh đạo.",
    )
    rows = {row.code: row for row in shortfall_rows(assessment_results(report.assessment))}
    assert rows[score.criterion.code].reason == "Lý do của lãnh đạo."
    # Unchanged by the leader: the unit's own reason.
    unit_row = next(row for code, row in rows.items() if code != score.criterion.code)
    unit_score = Score.objects.get(assessment=report.assessment, criterion__code=unit_row.code)
    assert unit_score.leader_points == unit_score.proposed_points
    assert unit_row.reason == unit_score.shortfall_reason != ""


def test_the_points_column_is_an_option_of_the_section(client, report, secretary, login_as):
    def table_header() -> str:
        html = render_to_string(
            "reports/report_document.html", report_context(report, for_pdf=True)
        )
        return html.split('data-testid="shortfalls"')[1].split("</thead>")[0]

    assert "Điểm đạt" not in table_header()
    target = section(report, "p1.III.2")
    login_as(secretary)
    url = reverse("reports:section_save", args=[report.assessment_id, report.pk, target.pk])
    client.post(url, {"version": 0, "body": target.body, "show_points": "on"})
    target.refresh_from_db()
    assert target.show_points and target.version == 1
    assert "<th>Điểm tối đa</th><th>Điểm đạt</th>" in table_header()
    # the Word file has the same column, with the points that count now
    document = Document(io.BytesIO(report_docx(report)))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Stt")
    assert [c.text for c in table.rows[0].cells][2:4] == ["Điểm tối đa", "Điểm đạt"]
    app_row = next(r for r in table.rows if r.cells[1].text.startswith("Vận hành App"))
    assert [c.text for c in app_row.cells][2:4] == ["2", "0"]


# -- a phường with other names ----------------------------------------------------------------------


@pytest.fixture
def ward_report(demo, leader, secretary):
    commune = Commune.objects.create(
        kind=Commune.Kind.PHUONG,
        name="Hòa Bình",
        city=city_get_or_create("Thành phố Mẫu"),
        address="Số 1 Đường A",
    )
    criteria_set = CriteriaSet.objects.create(
        title="Bộ tiêu chí “Chính quyền thân thiện” của thành phố Mẫu",
        decision_number="12/QĐ-UBND",
        decision_date=dt.date(2025, 12, 1),
        issuing_body="Ủy ban nhân dân thành phố Mẫu",
        scale=D(10),
    )
    rows, n = [], 2
    for i in (1, 2):
        rows.append(NodeRow(n, f"{i}", f"Nhóm tiêu chí {i}", D(5)))
        n += 1
        for k in range(1, 6):
            rows.append(NodeRow(n, f"{i}.{k}", f"Nội dung {i}.{k}", D(1)))
            n += 1
    criteria_set_replace_tree(criteria_set=criteria_set, rows=rows)
    level = Level.objects.create(
        criteria_set=criteria_set, name="mức 1", min_points=D(8), label="Đạt từ 8 điểm"
    )
    assessment = assessment_create(
        commune=commune,
        criteria_set=criteria_set,
        year=2026,
        period="h1",
        target_level=level,
        registration_number="7/UBND-VP",
        registration_date=dt.date(2026, 2, 1),
        plan_number="5/KH-UBND",
        plan_date=dt.date(2026, 1, 20),
    )
    assessment.registration_recipient = "Sở Nội vụ tỉnh Mẫu"
    assessment.save()
    for index, score in enumerate(
        Score.objects.filter(assessment=assessment).select_related("criterion")
    ):
        points = D(0) if index == 3 else D(1)
        score = score_propose(
            score=score,
            by=leader,
            expected_version=0,
            points=points,
            result_text=f"Đã làm nội dung {score.criterion.code}.",
            shortfall_reason="Chưa bố trí được kinh phí." if points == 0 else "",
            submit=True,
        )
        score_approve(score=score, by=leader, expected_version=score.version)
    report = report_create(assessment=assessment, by=secretary)
    ReportTask.objects.create(report=report, text="Hoàn thành nội dung 1.4.", created_by=secretary)
    return report


def no_commune_word(text: str) -> list[str]:
    """Occurrences of the word "xã" that are not "xã hội"."""
    return re.findall(r"(?<!\w)xã(?!\w)(?! hội)", text, flags=re.IGNORECASE)


def test_a_ward_report_names_the_ward_and_never_the_demo_or_xa(ward_report):
    html = render_to_string(
        "reports/report_document.html", report_context(ward_report, for_pdf=False)
    )
    text = pdftext(report_pdf(ward_report))
    for document in (html, text):
        for name in DEMO_NAMES:
            assert name not in document
        assert no_commune_word(document) == []
    assert "PHƯỜNG HÒA BÌNH" in text
    assert "trên địa bàn phường Hòa Bình năm 2026" in text
    assert "gửi Sở Nội vụ tỉnh Mẫu" in text
    assert "Các tổ dân phố trên địa bàn phường;" in text and "Lưu: VT." in text
    assert "Căn cứ Quyết định số 12/QĐ-UBND ngày 01/12/2025 của Ủy ban nhân dân thành phố Mẫu" in (
        text
    )
    assert report_problems(ward_report) == []


def test_the_screen_preview_explains_why_no_level_is_stated_never_the_pdf(report, monkeypatch):
    from assessments import levels  # noqa: PLC0415 (the module patched below)
    from reports import fields  # noqa: PLC0415

    def unverified(results, total=None):
        return levels.LevelStatement(None, "đạt mức đã đăng ký", "bộ tiêu chí chưa được xác minh")

    monkeypatch.setattr(fields, "level_statement", unverified)
    screen = render_to_string("reports/report_document.html", report_context(report, for_pdf=False))
    paper = render_to_string("reports/report_document.html", report_context(report, for_pdf=True))
    assert "bộ tiêu chí chưa được xác minh" in screen
    assert "bộ tiêu chí chưa được xác minh" not in paper


def test_an_empty_list_is_left_out_of_the_documents_and_shown_on_screen(report, monkeypatch):
    monkeypatch.setattr(content, "report_tasks", lambda report, results: [])  # nothing to do
    data = LiveData(report)
    tasks = section(report, "p2.II")
    paper = data.section(tasks)
    screen = data.section(tasks, highlight=True)
    assert paper.expanded == "" and paper.missing == [] and paper.empty == ["nhiệm vụ"]
    assert "[chưa có: nhiệm vụ]" in str(screen.html)
    assert "“II. NHIỆM VỤ”: trường {nhiệm vụ}" in " ".join(data.warnings([tasks]))


def test_implementing_documents_recorded_later_mark_section_i2(report, monkeypatch):
    target = section(report, "p1.I.2")
    assert "{văn bản triển khai}" not in target.body  # none recorded when drafted
    monkeypatch.setattr(
        content,
        "implementing_paragraphs",
        lambda report, results: ["Ngày 23/02/2026, ban hành Công văn số 403/UBND-VP."],
    )
    data = LiveData(report)
    assert [c.name for c in data.changes(target)] == ["văn bản triển khai"]
    default = next(s for s in default_sections(report, data) if s["key"] == "p1.I.2")
    assert default["body"] == "{văn bản triển khai}"
