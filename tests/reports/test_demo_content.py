"""The demo reproduces the seed report (../shared/reference, copied as the REAL_* texts
below) from data: section II from the units' accounts, section "Nhiệm vụ" from their tasks
and the unmet sub-criteria, section I.2 from the implementing documents. The real report's
typos are corrected in our data, and here (TYPOS) before comparing."""

from __future__ import annotations

import re

import pytest

from assessments.selectors import assessment_results
from reports.content import criterion_accounts, implementing_paragraphs, report_tasks
from reports.demo.content import demo_documents, demo_draft_report

pytestmark = pytest.mark.django_db

TYPOS = {
    "đề tổ chức": "để tổ chức",
    "lễ nôi": "lề lối",
    "điện tử điện tử": "điện tử",
    "triển khai hiện": "triển khai thực hiện",
    "quy chế thực hiện dân chủ, quy chế thực hiện dân chủ": "quy chế thực hiện dân chủ",
}

REAL_I2 = """
Ngay khi Ủy ban nhân dân thành phố ban hành Quyết định số 5049/QĐ-UBND ngày 11/12/2025, Ủy ban nhân dân xã đã ban hành Công văn số 1381/UBND-VHXXH yêu cầu các cơ quan, đơn vị căn cứ chức năng, nhiệm vụ được giao thực hiện có hiệu quả các Tiêu chí, chuẩn bị đầy đủ các minh chứng để tổng hợp báo cáo Ủy ban nhân dân xã và Sở Nội vụ thành phố theo quy định.

Để đảm bảo việc triển khai thực hiện năm 2026 được hiệu quả, đến ngày 23/02/2026, Ủy ban nhân dân xã tiếp tục ban hành Công văn số 403/UBND-VHXX đôn đốc các cơ quan, đơn vị khẩn trương rà soát, thực hiện đầy đủ các nội dung chủ trì, nội dung phối hợp; chú trọng các tài liệu minh chứng để phục vụ công tác báo cáo và chấm điểm theo quy định.
"""  # noqa: E501

REAL_II = {
    "1": """
- Các phòng, đơn vị thuộc xã đã chủ động thực hiện đầy đủ các nội dung đề tổ chức, công dân biết, thực hiện: Công khai danh mục, nội dung, thời gian, quy trình giải quyết thủ tục hành chính; Công khai mức thu phí, lệ phí của từng thủ tục hành chính; Công khai số điện thoại của bí thư, phó bí thư đảng ủy; chủ tịch, phó chủ tịch Hội đồng nhân dân; chủ tịch, phó chủ tịch Ủy ban nhân dân và cán bộ, công chức cấp xã; Công khai nội quy tiếp công dân, lịch tiếp công dân định kỳ; Công khai lịch công tác của UBND, Chủ tịch UBND cấp xã hằng tuần; Số điện thoại đường dây nóng của Ủy ban nhân dân cấp xã; Công khai cam kết không gây phiền hà, sách nhiễu, tiêu cực trong thực hiện nhiệm vụ, công vụ; Công khai quy chế thực hiện dân chủ, quy chế thực hiện dân chủ; Công khai tình hình giải quyết thủ tục hành chính trực tuyến (tỷ lệ, số lượng) để thúc đẩy chuyển đổi số.

Hình thức công khai đa dạng: Niêm yết thường xuyên tại Trung tâm Phục vụ hành chính công cấp xã; Đăng tải trên Cổng thông tin điện tử xã; Đăng tải trên Fanpage Cổng thông tin điện tử xã và trên hệ thống loa phát thanh; Định kỳ cung cấp thông tin báo chí theo quy định của Luật Tiếp cận thông tin.

- Chính quyền tạo điều kiện để tổ chức, công dân giám sát hoạt động: Bố trí hòm thư góp ý tại trụ sở chính quyền xã; Bố trí công chức trực zalo page, facebook page, số điện thoại đường dây nóng; Xây dựng cơ chế tiếp nhận thông tin phản ánh, góp ý của người dân, tổ chức và doanh nghiệp.
""",
    "2": """
- Triển khai thực hiện mô hình "Ngày thứ 6 không hẹn" tại Trung tâm phục vụ hành chính công xã để giải quyết nhanh và trả kết quả thủ tục hành chính trong ngày cho người dân, tổ chức và doanh nghiệp.

- Thường xuyên bố trí, huy động sự tham gia của đoàn viên Đoàn TNCS Hồ Chí Minh xã để hỗ trợ, tiếp đón, hướng dẫn người dân đến làm thủ tục hành chính.

- Tổ chức trao tại Trung tâm Phục vụ hành chính công cấp xã: giấy chứng nhận kết hôn, thư chúc mừng kết hôn. Tổ chức thăm hỏi, phúng viếng hoặc gửi thư chia buồn đến gia đình công dân có người thân qua đời. Gửi thư cảm ơn người dân, tổ chức và doanh nghiệp có đóng góp xây dựng đảng, xây dựng chính quyền

và cộng đồng dân cư. Gửi thư xin lỗi người dân, tổ chức và doanh nghiệp về việc giải quyết thủ tục hành chính quá hạn.

- Đồng chí Chủ tịch UBND xã chúc mừng toàn thể Nhân dân dịp năm mới, các ngày lễ lớn... thông qua hệ thống truyền thanh, trang thông tin điện tử điện tử, mạng viễn thông, mạng xã hội...

- Tổ chức gặp gỡ, tiếp xúc với các tổ chức, cá nhân có nhiều hoạt động ủng hộ địa phương, những người có uy tín đang sinh sống tại địa phương.

- Thường xuyên khảo sát đánh giá việc thực hiện chính quyền thân thiện để rút kinh nghiệm, hoàn thiện các tiêu chí và nâng hạng mức độ đạt chuẩn.
""",
    "3": """
- Xây dựng hình ảnh người đứng đầu cấp ủy, chính quyền gương mẫu, trách nhiệm, thân thiện với Nhân dân: Gương mẫu đi đầu trong việc thực hiện nhiệm vụ và các chuẩn mực đạo đức, tác phong, lễ nôi làm việc. Thường xuyên xuống cơ sở thôn, tổ dân phố lắng nghe tâm tư, nguyện vọng và đối thoại, giải quyết đơn thư. Chỉ đạo, lãnh đạo triển khai và thực hiện tốt các nhiệm vụ. Chỉ đạo, lãnh đạo thực hiện các quy chế, quy định của pháp luật.

- Đội ngũ cán bộ, công chức chuyên nghiệp, trách nhiệm, gương mẫu, thân thiện: Cán bộ, công chức có trình độ chuyên môn, nghiệp vụ đảm bảo theo quy định. Có kỹ năng giao tiếp, ứng xử, tiếp dân, tiếp nhận và xử lý thông tin, xử lý tình huống với người dân, tổ chức, doanh nghiệp. Gương mẫu và thực hiện nghiêm các quy định, chuẩn mực về đạo đức, lối sống; quy tắc ứng xử của người làm việc tại Trung tâm Phục vụ hành chính công cấp xã; quy tắc ứng xử trên mạng xã hội. Thực hiện tốt "nụ cười công sở". Không có cán bộ, công chức bị xử lý kỷ luật, không có cán bộ công chức vi phạm nội quy, quy chế làm việc.
""",
    "4": """
- Xây dựng cảnh quan môi trường khu vực khuôn viên trụ sở UBND xã bảo đảm sáng, xanh, sạch, đẹp, thân thiện tạo ấn tượng tốt đối với công dân khi đến liên hệ, giao dịch.

- Sắp xếp các phòng làm việc gọn gàng, khoa học, thân thiện.

- Trung tâm Phục vụ hành chính công cấp xã được trang bị các máy móc, thiết bị để Nhân dân đến giao dịch thuận tiện.

- Có bảng khẩu hiệu, pano tuyên truyền các nội dung liên quan đến Chính quyền thân thiện.

- Đẩy mạnh ứng dụng công nghệ thông tin trong hoạt động chỉ đạo, điều hành của chính quyền.
""",
}

REAL_TASKS = """
1. Đẩy mạnh công tác thông tin, tuyên truyền triển khai hiện mô hình “Chính quyền thân thiện” trên địa bàn xã Nghi Dương năm 2026 tại Trung tâm phục vụ hành chính công xã, trên Cổng thông tin điện tử xã, Fanpage Cổng thông tin điện tử xã và trên hệ thống loa phát thanh xã.

2. Vận hành App trên thiết bị thông minh để tiếp nhận ý kiến phản ánh, góp ý của người dân, tổ chức và doanh nghiệp.

3. Thực hiện việc tiếp nhận và trả kết quả giải quyết thủ tục hành chính tại nhà cho các đối tượng (thương binh, bệnh binh nặng, người khuyết tật, người ốm đau, người mắc bệnh hiểm nghèo, người già yếu cô đơn không nơi nương tựa) không có khả năng đi lại.

4. Gửi thư biểu dương đối với công dân có sáng kiến ở cộng đồng dân cư đã được Ủy ban nhân dân cấp xã công nhận.

5. Người đứng đầu chính quyền chúc mừng toàn thể Nhân dân dịp năm mới, các ngày lễ lớn... thông qua hệ thống truyền thanh, trang thông tin điện tử điện tử, mạng viễn thông, mạng xã hội...

6. Đảm bảo 100% các thủ tục hành chính của người dân, tổ chức thuộc thẩm quyền của cấp xã được giải quyết xong trước và trong thời gian quy định.

7. Lập mã quét QR về các thủ tục hành chính và hướng dẫn việc thực hiện thủ tục hành chính.

8. Ứng dụng VNeID trong giải quyết một số thủ tục hành chính, thiết bị bấm số thứ tự giải quyết thủ tục hành chính tự động; ứng dụng công nghệ AI trong hướng dẫn, tra cứu, giải quyết một số thủ tục hành chính.

9. Đảm bảo tỷ lệ người dân cài đặt ứng dụng Hải Phòng Smart trên số hộ gia đình đạt 100%.

10. Hằng năm, đơn vị có mô hình sáng tạo và hiệu quả được công nhận.
"""  # noqa: E501


def corrected(text: str) -> str:
    for typo, fix in TYPOS.items():
        text = text.replace(typo, fix)
    return text


def paragraphs(text: str) -> list[str]:
    """The real text's paragraphs, typos corrected, a page break inside one joined."""
    found: list[str] = []
    for part in corrected(text).strip().split("\n\n"):
        part = " ".join(part.split())
        if found and part[:1].islower():
            found[-1] += f" {part}"
        elif part:
            found.append(part)
    return found


@pytest.fixture
def results(demo_scored):
    return assessment_results(demo_scored.assessment)


def _section_ii(results, code: str) -> list[str]:
    root = next(r for r in results.roots if r.criterion.code == code)
    return criterion_accounts(results, root)


@pytest.mark.parametrize("code", ["1", "2", "3"])
def test_section_ii_is_the_real_one_criterion_by_criterion(results, code):
    assert _section_ii(results, code) == paragraphs(REAL_II[code])


def test_section_ii_criterion_4_has_the_real_paragraphs_in_tree_order(results):
    """The real report writes 4.2.a's account before 4.1.c's; we print in the tree's order."""
    ours = _section_ii(results, "4")
    real = paragraphs(REAL_II["4"])
    assert sorted(ours) == sorted(real)
    assert ours == [real[0], real[1], real[3], real[2], real[4]]


def test_second_half_tasks_are_never_described_as_done(results):
    text = "\n".join(line for code in "1234" for line in _section_ii(results, code))
    for words in ("tại nhà", "mã quét QR", "VNeID", "công nghệ AI", "mô hình sáng tạo", "App"):
        assert words not in text


def test_tasks_are_the_real_ten_in_the_real_order(demo_scored):
    report = demo_draft_report()
    items = report_tasks(report, assessment_results(report.assessment))
    real = [re.sub(r"^\d+\. ", "", p) for p in paragraphs(REAL_TASKS)]
    assert [item.text for item in items] == real
    assert not report.tasks.exists()  # no general task: task 1 is the communication unit's


def test_section_i2_is_the_real_one(demo_scored):
    demo_documents()
    report = demo_draft_report()
    assert implementing_paragraphs(report, assessment_results(report.assessment)) == paragraphs(
        REAL_I2
    )


def test_the_90_fixture_is_the_total_the_seed_table_implies(demo_scored_90):
    results = assessment_results(demo_scored_90.assessment)
    assert results.approved.final == 90
    assert [leaf.criterion.code for leaf in results.losing] == ["2.1.a", "1.2.d", "4.2.f", "2.2.e"]
