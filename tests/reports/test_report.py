"""The report and its appendix: content from the demo, Nghị định 30 format, XLSX, access."""

import io
import re
import subprocess
from decimal import Decimal as D

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from assessments.selectors import assessment_results
from reports import content, markup, rendering
from reports.documents import appendix_pdf, render_pdfs, report_context, report_pdf
from reports.models import Report
from reports.services import report_create, report_section_save
from tests.jobs.follow import through_job
from tests.queries import at_most

MM = 72 / 25.4  # points per millimetre


# The seed report's Nơi nhận: the commune's own list (Commune.report_recipients), not code.
SEED_RECIPIENTS = """TTĐU (để b/c);
TT HĐND (để b/c);
CT, các PCT UBND xã;
Các phòng, đơn vị sự nghiệp thuộc xã;
Ủy ban MTTQ Việt Nam xã;
Các thôn dân cư trên địa bàn xã;
Lưu: VT, VHXX."""


@pytest.fixture
def report(demo_scored, secretary):
    demo_scored.commune.report_recipients = SEED_RECIPIENTS
    demo_scored.commune.save(update_fields=["report_recipients"])
    return report_create(assessment=demo_scored.assessment, by=secretary)


@pytest.fixture
def report_file(report, tmp_path):
    path = tmp_path / "bao-cao.pdf"
    path.write_bytes(report_pdf(report))
    return path


@pytest.fixture
def appendix_file(report, tmp_path):
    path = tmp_path / "phu-luc.pdf"
    path.write_bytes(appendix_pdf(report))
    return path


def pdf_text(path) -> str:
    reader = PdfReader(path)
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Whitespace folded; a symbol broken at its hyphen across lines ("62/KH-⏎UBND") rejoined."""
    return re.sub(r"(?<=[A-ZĐ0-9])- (?=[A-ZĐ])", "-", " ".join(text.split()))


def words(path, page: int) -> list[tuple[float, float, float, float, str]]:
    """(xMin, yMin, xMax, yMax, word) of one page, from Poppler's pdftotext -bbox."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pattern = (
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    )
    return [
        (float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(pattern, html)
    ]


# -- content ----------------------------------------------------------------------------------


SEED_LINES = [
    "ỦY BAN NHÂN DÂN",
    "XÃ NGHI DƯƠNG",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "BÁO CÁO",
    "Kết quả thực hiện mô hình “Chính quyền thân thiện” 6 tháng đầu năm, phương hướng, nhiệm vụ 6 tháng cuối năm 2026",
    "PHẦN I: KẾT QUẢ THỰC HIỆN 6 THÁNG ĐẦU NĂM 2026",
    "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH",
    "1. Việc ban hành Kế hoạch và đăng ký đơn vị đạt chuẩn “Chính quyền thân thiện” năm 2026",
    "Căn cứ Quyết định số 5049/QĐ-UBND ngày 11/12/2025 của Ủy ban nhân dân thành phố Hải Phòng",
    "Kế hoạch số 62/KH-UBND",
    "+ Chính quyền công khai minh bạch: 24 điểm;",
    "+ Chính quyền thân thiện, hành động, vì nhân dân phục vụ: 24 điểm;",
    "+ Chính quyền có đội ngũ cán bộ, công chức chuyên nghiệp, trách nhiệm, gương mẫu, thân thiện: 26 điểm;",
    "+ Chính quyền xanh, văn minh, hiện đại: 26 điểm.",
    "Công văn số 343/UBND-VHXXH",
    "mức 2 (Đạt từ 85 đến dưới 90 điểm)",
    "2. Việc triển khai thực hiện",
    "II. KẾT QUẢ THỰC HIỆN CÁC TIÊU CHÍ",
    "1. Chính quyền công khai minh bạch",
    "2. Chính quyền thân thiện, hành động, vì nhân dân phục vụ",
    "3. Chính quyền có đội ngũ cán bộ, công chức chuyên nghiệp, trách nhiệm, gương mẫu, thân thiện",
    "4. Chính quyền xanh, văn minh, hiện đại",
    "(Kết quả cụ thể của các Tiêu chí tại Phụ lục gửi kèm)",
    "III. ĐÁNH GIÁ CHUNG",
    "1. Mặt tích cực",
    "2. Tồn tại, hạn chế",
    "PHẦN II: PHƯƠNG HƯỚNG, NHIỆM VỤ 6 THÁNG CUỐI NĂM 2026",
    "I. PHƯƠNG HƯỚNG",
    "II. NHIỆM VỤ",
    "Nơi nhận:",
    "- Lưu: VT, VHXX.",
    "TM. ỦY BAN NHÂN DÂN",
    "KT. CHỦ TỊCH",
    "PHÓ CHỦ TỊCH",
    "Lưu Thị Tươi",
    "Số: /BC-UBND",
    "Nghi Dương, ngày tháng năm 2026",
]

# The seed report's "Tồn tại, hạn chế" table, row by row.
SEED_TABLE = [
    (
        "1",
        "Vận hành App trên thiết bị thông minh để tiếp nhận ý kiến phản ánh, góp ý của người dân, tổ chức và doanh nghiệp.",
        "2",
        "Trung tâm Phục vụ hành chính công",
        "Chưa có kinh phí triển khai thực hiện.",
    ),
    (
        "2",
        "Đảm bảo 100% các thủ tục hành chính của người dân, tổ chức thuộc thẩm quyền của cấp xã được giải quyết xong trước và trong thời gian quy định",
        "5",
        "Các cơ quan, đơn vị",
        "Có 04 hồ sơ TTHC giải quyết quá hạn (bao gồm: 02 hồ sơ đất đai; 01 hồ sơ bảo trợ xã hội; 01 hồ sơ lĩnh vực hộ tịch).",
    ),
    (
        "3",
        "Gửi thư biểu dương đối với công dân có sáng kiến ở cộng đồng dân cư đã được Ủy ban nhân dân cấp xã công nhận.",
        "1",
        "Phòng Văn hóa - Xã hội",
        "Không có công dân ở cộng đồng dân cư có sáng kiến kinh nghiệm đề nghị công nhận",
    ),
    (
        "4",
        "Tỷ lệ người dân cài đặt ứng dụng Hải Phòng Smart trên số hộ gia đình đạt 100%",
        "2",
        "Phòng Văn hóa - Xã hội",
        "Không có phương thức trích xuất chính xác kết quả. Dự kiến chưa đảm bảo 100%.",
    ),
]


def test_pdf_reproduces_the_seed_structure(report_file):
    text = flat(pdf_text(report_file))
    for line in SEED_LINES:
        assert flat(line) in text, line
    # In the order of the seed.
    positions = [text.index(flat(line)) for line in SEED_LINES[4:31]]
    assert positions == sorted(positions)


def test_pdf_has_the_shortfall_table_row_by_row(report_file):
    text = flat(pdf_text(report_file))
    table = text[
        text.index("Stt Tiêu chí thành phần Điểm tối đa Đơn vị chủ trì Lý do chưa thực hiện") :
    ]
    cursor = 0
    for row in SEED_TABLE:
        for cell in row:
            found = table.find(flat(cell), cursor)
            assert found >= 0, cell
            cursor = found
    assert "Các cơ quan, đơn vị" in table


def expanded(report, key: str) -> list[str]:
    """A section's paragraphs as the documents print them (live fields substituted)."""
    section = next(s for s in report_context(report, for_pdf=True)["sections"] if s.key == key)
    return section.expanded.splitlines()


def test_tasks_gather_the_unmet_subcriteria(report):
    # The text is a live field: the tasks are read from the data when the report is shown
    # (reports.content.report_tasks, in the secretary's order), numbered from 1.
    assert report.sections.get(key="p2.II").body == "{nhiệm vụ}"
    tasks = expanded(report, "p2.II")
    assert [task.split(". ", 1)[0] for task in tasks] == [str(n) for n in range(1, len(tasks) + 1)]
    texts = [task.split(". ", 1)[1] for task in tasks]
    for unmet in [
        "Vận hành App trên thiết bị thông minh để tiếp nhận ý kiến phản ánh, góp ý của người dân, tổ chức và doanh nghiệp.",
        # the unit's own next task, worded by the unit, stands for its unmet sub-criterion
        "Đảm bảo tỷ lệ người dân cài đặt ứng dụng Hải Phòng Smart trên số hộ gia đình đạt 100%.",
    ]:
        assert any(unmet.rstrip(".") in text for text in texts), unmet


def test_each_criterion_section_lists_what_was_done(report):
    # Section II is the units' own accounts (reports.content.criterion_accounts), live.
    assert report.sections.get(key="p1.II.1").body == "{kết quả thực hiện}"
    results = assessment_results(report.assessment)
    root = next(r for r in results.roots if r.criterion.code == "1")
    accounts = content.criterion_accounts(results, root)
    assert accounts and expanded(report, "p1.II.1") == accounts
    # What lost its points is not claimed as done.
    assert not any("Vận hành App" in line for line in accounts)


# -- Nghị định 30 format --------------------------------------------------------------------


def test_report_is_a4_portrait_with_the_decree_margins(report_file):
    reader = PdfReader(report_file)
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    body = [w for w in words(report_file, 2) if w[1] > 25 * MM]
    left = min(w[0] for w in body)
    right = max(w[2] for w in body)
    assert 30 * MM - 1 <= left <= 35 * MM  # left margin 30–35 mm
    assert 595 - 20 * MM <= right <= 595 - 15 * MM + 1  # right margin 15–20 mm
    last = words(report_file, len(reader.pages))
    assert max(w[3] for w in last) <= 842 - 20 * MM + 1  # bottom margin at least 20 mm


def test_page_number_absent_on_page_one_and_centred_in_the_top_margin_after(report_file):
    top_of = lambda page: [w for w in words(report_file, page) if w[3] < 20 * MM]  # noqa: E731
    assert top_of(1) == []
    (number,) = top_of(2)
    assert number[4] == "2"
    centre = (number[0] + number[2]) / 2
    content_centre = (30 * MM + 595 - 15 * MM) / 2
    assert abs(centre - content_centre) < 3


def test_fonts_are_embedded_liberation_serif(report_file):
    result = subprocess.run(
        ["pdffonts", str(report_file)], capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()[2:]
    assert lines and all("Liberation-Serif" in line for line in lines)
    assert all(line.split()[-5:-3] == ["yes", "yes"] for line in lines)  # embedded, subset
    assert "\ufffd" not in pdf_text(report_file)


def test_appendix_is_landscape_with_its_own_page_numbers(appendix_file, report):
    reader = PdfReader(appendix_file)
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    assert [w for w in words(appendix_file, 1) if w[3] < 20 * MM] == []
    assert [w[4] for w in words(appendix_file, 2) if w[3] < 20 * MM] == ["2"]
    text = flat(pdf_text(appendix_file).replace("DỰ THẢO", ""))  # the draft's watermark
    assert text.startswith("Phụ lục KẾT QUẢ CỤ THỂ CỦA CÁC TIÊU CHÍ (Kèm theo Báo cáo số /BC-UBND")
    # 80: the seed's four shortfalls and the second half's six tasks not done yet
    assert "TỔNG CỘNG 100 80 80" in text
    assert (
        "MỨC ĐẠT Chưa đạt mức đã đăng ký (mức 2: Đạt từ 85 đến dưới 90 điểm), còn thiếu 5 điểm."
        in text
    )
    assert "Mức 1" not in text and "Mức 3" not in text
    assert "1.2.d Vận hành App" in text


# -- XLSX -----------------------------------------------------------------------------------


def test_appendix_xlsx_has_numbers_and_sum_formulas(client, report, login_as, secretary):
    login_as(secretary)
    response = client.get(reverse("reports:appendix_xlsx", args=[report.assessment_id, report.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "Phụ lục"
    assert [c.value for c in sheet[5]] == [
        "Mã",
        "Tiêu chí, tiêu chí thành phần",
        "Điểm tối đa",
        "Điểm tự chấm",
        "Điểm duyệt",
        "Đơn vị chủ trì",
        "Tài liệu minh chứng",
        "Ghi chú",
    ]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=6) if row[0].value}
    assert rows["1.2.d"][4].value == 0 and rows["1.2.d"][2].value == 2
    assert rows["1.2.d"][7].value == "Chưa có kinh phí triển khai thực hiện."
    assert rows["1.1.a"][4].value == 2
    assert rows["1"][3].value.startswith("=SUM(D") and rows["1.1"][4].value.startswith("=SUM(E")
    total = next(row for row in sheet.iter_rows(min_row=6) if row[1].value == "TỔNG CỘNG")
    assert total[2].value.startswith("=SUM(C")
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$5:$5"


# -- preview, editing, access ---------------------------------------------------------------


def test_preview_and_pdf_share_their_content(client, report, report_file, login_as, secretary):
    login_as(secretary)
    html = client.get(
        reverse("reports:preview", args=[report.assessment_id, report.pk])
    ).content.decode()
    preview = flat(re.sub(r"<[^>]+>", " ", html).replace("&quot;", '"'))
    pdf = flat(pdf_text(report_file))
    for line in SEED_LINES[4:31]:
        assert flat(line) in preview and flat(line) in pdf, line


def test_edited_paragraph_appears_in_the_pdf_with_emphasis(report):
    section = report.sections.get(key="p1.I.2")
    report_section_save(
        section=section,
        body="Ngày 23/02/2026, **Ủy ban nhân dân xã** ban hành *Công văn số 403*.",
        by=report.created_by,
        expected_version=section.version,
    )
    report.refresh_from_db()
    assert "Ngày 23/02/2026, Ủy ban nhân dân xã ban hành Công văn số 403." in flat(
        pdf_text(io.BytesIO(report_pdf(report)))
    )
    assert section.revisions.count() == 1


def test_stale_section_save_is_refused(report):
    section = report.sections.get(key="p1.I.2")
    report_section_save(section=section, body="Bản A", by=report.created_by, expected_version=0)

    with pytest.raises(ValidationError, match="vừa được"):
        report_section_save(section=section, body="Bản B", by=report.created_by, expected_version=0)
    section.refresh_from_db()
    assert section.body == "Bản A"


def test_markup_escapes_html():
    assert str(markup.render("<script>x</script> **đậm** và *nghiêng*\n\n- ý")) == (
        "<p>&lt;script&gt;x&lt;/script&gt; <strong>đậm</strong> và <em>nghiêng</em></p><p>- ý</p>"
    )


def report_urls(report):
    args = [report.assessment_id, report.pk]
    return [
        reverse("reports:edit", args=args),
        reverse("reports:preview", args=args),
        reverse("reports:pdf", args=args),
        reverse("reports:appendix_preview", args=args),
        reverse("reports:appendix_xlsx", args=args),
        reverse("reports:docx", args=args),
        reverse("reports:appendix_docx", args=args),
    ]


@pytest.mark.parametrize("persona", ["secretary", "leader", "chairman", "administrator"])
def test_leaders_and_secretary_work_on_the_report(
    client, report, login_as, request, persona, django_capture_on_commit_callbacks
):
    login_as(request.getfixturevalue(persona))
    for url in report_urls(report):
        # The PDF is made by a job the first time (reports.job_kinds), then downloaded.
        response = through_job(client, url, django_capture_on_commit_callbacks)
        assert response.status_code == 200, url


@pytest.mark.parametrize("persona", ["own_staff", "centre_staff", "other_staff"])
def test_staff_cannot_open_the_report(client, report, login_as, request, persona):
    login_as(request.getfixturevalue(persona))
    for url in report_urls(report):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("reports:home", args=[report.assessment_id])).status_code == 403


@pytest.mark.parametrize("persona", ["outsider", "outsider_staff"])
def test_other_commune_gets_404(client, report, login_as, request, persona):
    login_as(request.getfixturevalue(persona))
    for url in report_urls(report):
        assert client.get(url).status_code == 404, url


def test_secretary_creates_the_report_in_the_browser(client, demo_scored, login_as, secretary):
    login_as(secretary)
    url = reverse("reports:home", args=[demo_scored.assessment.pk])
    response = client.post(url, follow=True)
    report = Report.objects.get(assessment=demo_scored.assessment)
    assert response.redirect_chain[-1][0] == reverse(
        "reports:edit", args=[demo_scored.assessment.pk, report.pk]
    )
    assert report.signer_name == "Lưu Thị Tươi" and report.authority == "deputy"
    # A second draft is refused.
    response = client.post(url, follow=True)
    assert "đã có một báo cáo dự thảo" in response.content.decode()


def test_section_saved_through_htmx(client, report, login_as, secretary):
    login_as(secretary)
    section = report.sections.get(key="p1.I.2")
    url = reverse("reports:section_save", args=[report.assessment_id, report.pk, section.pk])
    response = client.post(url, {"version": 0, "body": "Nội dung mới."}, HTTP_HX_REQUEST="true")
    assert "Đã lưu" in response.content.decode()
    response = client.post(url, {"version": 0, "body": "Bản cũ."}, HTTP_HX_REQUEST="true")
    assert "vừa được" in response.content.decode() and "Bản cũ." in response.content.decode()
    section.refresh_from_db()
    assert section.body == "Nội dung mới."


def test_report_page_query_count_is_bounded(client, report, login_as, secretary):
    login_as(secretary)
    # Expect at most 25 queries (17 today): session, user, membership, assessment, report,
    # sections, criteria, assignments, scores, levels, adjustments, the scores below their
    # maximum, commune, unit, the commune's leaders (the signers) and one membership each.
    with at_most(25, "session … unit, leaders, a membership per leader"):
        client.get(reverse("reports:edit", args=[report.assessment_id, report.pk]))


def test_totals_in_context(report):

    assert assessment_results(report.assessment).approved.final == D(80)


def test_pdf_cache_is_keyed_by_content(report, settings, monkeypatch):
    import weasyprint  # noqa: PLC0415 (slow import: paid by the PDF tests only)

    settings.CACHES = {
        **settings.CACHES,
        "documents": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    caches._settings = None  # let the handler read the new CACHES
    renders = []
    real_html = weasyprint.HTML
    monkeypatch.setattr(weasyprint, "HTML", lambda *a, **k: renders.append(1) or real_html(*a, **k))
    first = report_pdf(report)
    assert report_pdf(report) == first
    assert len(renders) == 1  # the second came from the cache
    section = report.sections.get(key="p1.I.2")
    report_section_save(
        section=section, body="Nội dung khác.", by=report.created_by, expected_version=0
    )
    changed = report_pdf(report)
    assert len(renders) == 2 and changed != first
    assert "Nội dung khác." in flat(pdf_text(io.BytesIO(changed)))


def test_docx_has_the_same_text_and_table(client, report, login_as, secretary):

    login_as(secretary)
    response = client.get(reverse("reports:docx", args=[report.assessment_id, report.pk]))
    document = Document(io.BytesIO(response.content))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.left_margin.mm), round(section.right_margin.mm)) == (30, 15)
    assert section.different_first_page_header_footer
    # U+2060: no line break around the slash of a document number (reports.docx.no_break)
    text = flat(" ".join(p.text for p in document.paragraphs).replace("\u2060", ""))
    for line in SEED_LINES[4:30]:
        assert flat(line) in text, line
    signature = flat(" ".join(cell.text for cell in document.tables[-1].rows[0].cells))
    for line in ["Nơi nhận:", "- Lưu: VT, VHXX.", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Lưu Thị Tươi"]:
        assert line in signature
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Stt")
    rows = [tuple(cell.text for cell in row.cells) for row in table.rows[1:]]
    # The seed's four rows, and the six tasks of the second half the demo scores 0
    later = [row for row in rows if "6 tháng cuối năm" in row[4] or "cuối năm" in row[4]]
    assert len(later) == 6
    assert [row[1:] for row in rows if row not in later] == [row[1:] for row in SEED_TABLE]
    assert [row[0] for row in rows] == [str(n) for n in range(1, 11)]


def test_appendix_docx_has_every_row(client, report, login_as, secretary):

    login_as(secretary)
    response = client.get(reverse("reports:appendix_docx", args=[report.assessment_id, report.pk]))
    document = Document(io.BytesIO(response.content))
    assert document.sections[0].page_width > document.sections[0].page_height  # landscape
    all_rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    rows = {cells[0]: cells for cells in all_rows if cells[0]}
    assert rows["1.2.d"][2:5] == ["2", "0", "0"]
    assert rows["1"][2:5] == ["24", "22", "22"]
    total = next(cells for cells in all_rows if cells[1] == "TỔNG CỘNG")
    assert total[2:5] == ["100", "80", "80"]
    level = next(cells for cells in all_rows if cells[1] == "MỨC ĐẠT")
    assert (
        level[2] == "Chưa đạt mức đã đăng ký (mức 2: Đạt từ 85 đến dưới 90 điểm), còn thiếu 5 điểm."
    )


def test_report_and_appendix_render_side_by_side_in_a_worker(report, settings):
    """With a worker process the two PDFs are the same as rendered one after the other."""

    settings.RENDER_WORKERS = 1
    try:
        together = [rendered.data for rendered in render_pdfs(report, cached=False)]
        assert rendering._pool is not None  # the worker really was used
    finally:
        if rendering._pool is not None:
            rendering._pool.shutdown()
            rendering._pool = None
    assert together[0] == report_pdf(report, cached=False)
    assert together[1] == appendix_pdf(report, cached=False)
