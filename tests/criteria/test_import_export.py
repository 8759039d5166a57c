"""A criteria tree in and out of Excel: the reader, the import-export resource and the admin.

Every file here is a real XLSX made with openpyxl in memory. A bad file must be refused as a
whole, with Vietnamese messages that name the Excel row (header = row 1) or cell.
"""

import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils.html import escape
from openpyxl import Workbook, load_workbook

from criteria.models import CriteriaSet, Criterion
from criteria.resources import (
    CriteriaXLSX,
    CriterionResource,
    criteria_set_export_xlsx,
    import_result_messages,
)
from criteria.services import FIXTURE_5049, criteria_set_load_yaml, criteria_set_replace_tree
from criteria.tree import NodeRow
from criteria.xlsx import HEADERS, blank_template, criteria_set_import_xlsx, read_criteria_xlsx

pytestmark = pytest.mark.django_db
D = Decimal

CRITERIA_FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "criteria"
TEMPLATE_FILE = CRITERIA_FIXTURES / "mau-bo-tieu-chi.xlsx"
DRAFT_FILE = CRITERIA_FIXTURES / "hai-phong-5049-draft.xlsx"
IMPORT_URL = "/admin/criteria/criterion/import/"
PROCESS_URL = "/admin/criteria/criterion/process_import/"

# A scale-10 tree that uses every column: a child before its parent (row 5 before row 6),
# a parent given explicitly ("TD-b" under "2"), and "1,5" written the Vietnamese way.
# Columns: Mã, Mã cha, Tên, Điểm, Hướng dẫn, Đơn vị, Nguồn gốc, Nguồn gốc điểm, Nguồn gốc đơn vị
GOOD = [
    ["1", None, "Công khai minh bạch", 6, "Đủ: 6 điểm", "Văn phòng", "seed", "seed", "inferred"],
    ["1.1", None, "Niêm yết thủ tục hành chính", 4, None, "Trung tâm", "seed", None, None],
    ["1.2", None, "Đăng tải trên cổng thông tin", 2, None, None, None, None, None],
    ["2.a", None, "Hòm thư góp ý", 2.5, None, None, None, None, None],
    ["2", None, "Tiếp công dân", 4, None, None, None, None, None],
    ["TD-b", "2", "Sổ tiếp công dân", "1,5", None, None, None, None, None],
]


def xlsx(rows, headers=HEADERS, edit=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if headers:
        sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    if edit:
        edit(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def changed(row_index, column, value):
    rows = [list(row) for row in GOOD]
    rows[row_index][HEADERS.index(column)] = value
    return rows


def without_column(header):
    index = HEADERS.index(header)
    drop = lambda values: [v for i, v in enumerate(values) if i != index]  # noqa: E731
    return xlsx([drop(row) for row in GOOD], headers=drop(HEADERS))


def formula(workbook):
    workbook.active["D3"] = "=SUM(D4:D4)"


def not_a_workbook_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    return buffer.getvalue()


# (file, a message it must produce). Scale of the target set is 10.
BAD_FILES = [
    pytest.param(without_column("Mã"), "Thiếu cột bắt buộc: “Mã”", id="missing-code-column"),
    pytest.param(
        without_column("Tên tiêu chí"), "Thiếu cột bắt buộc: “Tên tiêu chí”", id="missing-title"
    ),
    pytest.param(
        without_column("Điểm tối đa"), "Thiếu cột bắt buộc: “Điểm tối đa”", id="missing-points"
    ),
    pytest.param(
        xlsx(changed(1, "Điểm tối đa", "hai")),
        "Dòng 3: Điểm tối đa “hai” không phải là số.",
        id="text-points",
    ),
    pytest.param(
        xlsx(changed(2, "Mã", "1.1")),
        "Dòng 4: Mã “1.1” trùng với mã ở dòng 3.",
        id="duplicate-code",
    ),
    pytest.param(
        xlsx(changed(3, "Mã", "3.a")),
        "Dòng 5: Mã “3.a” thuộc tiêu chí cha “3” nhưng không có tiêu chí mã “3” (mã mồ côi).",
        id="orphan-code",
    ),
    pytest.param(
        xlsx(changed(1, "Điểm tối đa", 5)),
        "Dòng 2: Điểm tối đa của “1” là 6 nhưng tổng điểm các tiêu chí con (1.1, 1.2) là 7.",
        id="parent-not-sum-of-children",
    ),
    pytest.param(
        xlsx([*changed(4, "Điểm tối đa", 5), ["2.c", None, "Thêm", 1]]),
        "Tổng điểm các tiêu chí cấp cao nhất là 11, khác thang điểm 10.",
        id="top-level-not-scale",
    ),
    pytest.param(
        xlsx(changed(5, "Mã", "1'+alert(origin)+'")),
        "Dòng 7: Mã “1'+alert(origin)+'” không hợp lệ: mã chỉ gồm chữ số, chữ cái không dấu "
        "(a–z, A–Z), dấu chấm và dấu gạch ngang",
        id="script-in-code",
    ),
    pytest.param(
        xlsx(changed(5, "Mã cha", "2 <b>")),
        "Dòng 7: Mã cha “2 <b>” không hợp lệ",
        id="unsafe-parent-code",
    ),
    pytest.param(
        xlsx(GOOD, edit=formula),
        "Ô D3 chứa công thức “=SUM(D4:D4)”",
        id="formula-cell",
    ),
    pytest.param(xlsx([], headers=None), "Trang tính đầu tiên trống", id="empty-sheet"),
    pytest.param(xlsx([]), "Tệp không có dòng tiêu chí nào", id="header-only"),
    pytest.param(
        "Mã,Tên tiêu chí,Điểm tối đa\n1,Công khai,10\n".encode(),
        "Tệp không phải là tệp Excel .xlsx hợp lệ",
        id="csv-renamed",
    ),
    pytest.param(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        "Tệp không phải là tệp Excel .xlsx hợp lệ",
        id="pdf-renamed",
    ),
    pytest.param(
        not_a_workbook_zip(), "Tệp không phải là tệp Excel .xlsx hợp lệ", id="zip-not-xlsx"
    ),
]


def tree(criteria_set):
    """Everything an import must carry over, in the stored order."""
    return [
        (
            node.order,
            node.code,
            node.parent.code if node.parent else None,
            node.title,
            node.max_points,
            node.scoring_guide,
            node.default_lead_unit,
            node.provenance,
            node.points_provenance,
            node.unit_provenance,
        )
        for node in criteria_set.criteria.select_related("parent").order_by("order")
    ]


@pytest.fixture
def target():
    """An editable scale-10 set that already has a tree, which a bad file must not touch."""
    criteria_set = CriteriaSet.objects.create(title="Bộ thử", scale=D("10"))
    criteria_set_replace_tree(
        criteria_set=criteria_set,
        rows=[
            NodeRow(row=1, code="A", title="Cũ", max_points=D("10")),
            NodeRow(row=2, code="A.1", title="Cũ con", max_points=D("10")),
        ],
    )
    return criteria_set


def resource_import(criteria_set, data, dry_run=False):
    dataset = CriteriaXLSX().create_dataset(data)
    return CriterionResource(criteria_set=criteria_set).import_data(dataset, dry_run=dry_run)


# -- reading and the service --------------------------------------------------------------


def test_good_file_replaces_the_tree_with_parents_order_and_every_column(target):
    criteria_set_import_xlsx(criteria_set=target, data=xlsx(GOOD))

    assert tree(target) == [
        (1, "1", None, "Công khai minh bạch", D("6"), "Đủ: 6 điểm", "Văn phòng", "seed", "seed",
         "inferred"),
        (2, "1.1", "1", "Niêm yết thủ tục hành chính", D("4"), "", "Trung tâm", "seed", "", ""),
        (3, "1.2", "1", "Đăng tải trên cổng thông tin", D("2"), "", "", "", "", ""),
        (4, "2.a", "2", "Hòm thư góp ý", D("2.5"), "", "", "", "", ""),
        (5, "2", None, "Tiếp công dân", D("4"), "", "", "", "", ""),
        (6, "TD-b", "2", "Sổ tiếp công dân", D("1.5"), "", "", "", "", ""),
    ]  # fmt: skip


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_service_refuses_bad_file_and_keeps_the_old_tree(target, data, message):
    before = tree(target)

    with pytest.raises(ValidationError) as refused:
        criteria_set_import_xlsx(criteria_set=target, data=data)

    assert any(message in line for line in refused.value.messages), refused.value.messages
    assert tree(target) == before


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_resource_refuses_bad_file_and_saves_nothing(target, data, message):
    before = tree(target)

    try:
        result = resource_import(target, data)
    except ValidationError as refused:  # file-level: the format cannot even make a dataset
        messages = refused.messages
    else:
        assert result.has_errors() or result.has_validation_errors()
        messages = import_result_messages(result)

    assert any(message in line for line in messages), messages
    assert tree(target) == before


def test_every_problem_of_a_file_is_reported_at_once(target):
    rows = changed(1, "Điểm tối đa", "hai")
    rows[5][HEADERS.index("Mã")] = "1.2"

    _, problems = read_criteria_xlsx(xlsx(rows), target.scale)

    assert problems.messages() == [
        "Dòng 3: Điểm tối đa “hai” không phải là số.",
        "Dòng 6: Điểm tối đa của “2” là 4 nhưng tổng điểm các tiêu chí con (2.a) là 2,5.",
        "Dòng 7: Mã “1.2” trùng với mã ở dòng 4.",
    ]


def test_resource_reports_problems_on_their_own_excel_rows(target):
    result = resource_import(target, xlsx(changed(1, "Điểm tối đa", "hai")))

    assert [(row.number + 1, row.error.messages) for row in result.invalid_rows] == [
        (3, ["Dòng 3: Điểm tối đa “hai” không phải là số."])
    ]


def test_blank_rows_are_ignored_and_row_numbers_stay_excel_rows(target):
    rows = [GOOD[0], [None] * 9, *changed(1, "Điểm tối đa", "hai")[1:], [None] * 9]

    with pytest.raises(ValidationError) as refused:
        criteria_set_import_xlsx(criteria_set=target, data=xlsx(rows))
    assert refused.value.messages == ["Dòng 4: Điểm tối đa “hai” không phải là số."]

    rows = [GOOD[0], [None] * 9, *GOOD[1:], [None] * 9]
    result = resource_import(target, xlsx(rows))
    assert not result.has_errors() and not result.has_validation_errors()
    assert [code for _, code, *_ in tree(target)] == ["1", "1.1", "1.2", "2.a", "2", "TD-b"]


def test_only_the_first_sheet_is_read_even_when_another_is_active(target):
    def instructions_active(workbook):
        notes = workbook.create_sheet("Hướng dẫn")
        notes.append(["Ghi chú", "không phải tiêu chí"])
        workbook.active = 1

    criteria_set_import_xlsx(criteria_set=target, data=xlsx(GOOD, edit=instructions_active))

    assert target.criteria.count() == len(GOOD)


def test_headers_are_matched_whatever_their_case_and_spacing(target):
    headers = [f"  {header.upper()} " for header in HEADERS]

    criteria_set_import_xlsx(criteria_set=target, data=xlsx(GOOD, headers=headers))

    assert target.criteria.count() == len(GOOD)


def test_unknown_column_is_refused_so_no_data_is_dropped_silently(target):
    data = xlsx([[*row, "x"] for row in GOOD], headers=[*HEADERS, "Huong dan"])

    with pytest.raises(ValidationError) as refused:
        criteria_set_import_xlsx(criteria_set=target, data=data)

    assert "Cột không thuộc mẫu: “Huong dan”" in refused.value.messages[0]


def test_set_used_by_an_assessment_is_refused(demo):
    locked = demo.assessment.criteria_set
    count = Criterion.objects.count()
    data = criteria_set_export_xlsx(locked)

    with pytest.raises(ValidationError, match="Tạo phiên bản mới"):
        criteria_set_import_xlsx(criteria_set=locked, data=data)
    result = resource_import(locked, data)

    assert "Tạo phiên bản mới" in import_result_messages(result)[0]
    assert Criterion.objects.count() == count


# -- round trip and the committed files ---------------------------------------------------


def test_export_then_import_gives_back_the_same_tree():
    source = criteria_set_load_yaml(path=FIXTURE_5049)
    copy = CriteriaSet.objects.create(title="Bản sao", scale=source.scale)

    result = resource_import(copy, criteria_set_export_xlsx(source))

    assert not result.has_errors() and not result.has_validation_errors()
    assert len(tree(source)) == 59
    assert tree(copy) == tree(source)
    assert rules(copy) == rules(source)
    assert ("2.1.a", "tiers", D("0.25"), "100:5; 0:0") == rules(copy)[("2.1.a")][:4]


def rules(criteria_set):
    """The scoring rule of every node, by code."""
    return {
        node.code: (
            node.code,
            node.rule,
            node.step,
            node.tiers,
            node.numerator_label,
            node.denominator_label,
            node.not_arising,
        )
        for node in criteria_set.criteria.all()
    }


RULE_HEADERS = [
    "Mã",
    "Tên tiêu chí",
    "Điểm tối đa",
    "Cách chấm",
    "Bước điểm",
    "Bậc điểm",
    "Tử số",
    "Mẫu số",
    "Khi không phát sinh",
]


def test_rule_columns_are_read_from_labels(target):
    rows = [
        ["1", "Tiêu chí", 10, None, None, None, None, None, None],
        ["1.1", "Tự do", 3, "trong khoảng", "0,5", None, None, None, None],
        ["1.2", "Đạt hay không", 2, "Đạt/không đạt", None, None, None, None, "Tính 0 điểm"],
        [
            "1.3",
            "Tỷ lệ",
            5,
            "Theo tỷ lệ",
            None,
            "100:5; 95:3; 0:0",
            "Hồ sơ đúng hạn",
            "Tổng hồ sơ",
            "Không tính, quy đổi",
        ],
    ]
    criteria_set_import_xlsx(criteria_set=target, data=xlsx(rows, headers=RULE_HEADERS))
    got = rules(target)
    assert got["1.1"][1:3] == ("free", D("0.5"))
    assert got["1.2"][1] == "pass_fail" and got["1.2"][6] == "zero"
    assert got["1.3"][1:] == (
        "tiers",
        D("0.25"),
        "100:5; 95:3; 0:0",
        "Hồ sơ đúng hạn",
        "Tổng hồ sơ",
        "exclude",
    )


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["Chấm tùy ý", None, None, None], "Dòng 3: Cách chấm “Chấm tùy ý” không hợp lệ"),
        (["Theo tỷ lệ", None, "", None], "Dòng 3: Cách chấm theo tỷ lệ cần ít nhất một bậc điểm"),
        (["Theo tỷ lệ", None, "100:9", None], "Dòng 3: Điểm 9 của bậc 100% phải từ 0 đến 3."),
        (["Trong khoảng", "hai", None, None], "Dòng 3: Bước điểm “hai” không phải là số."),
        (
            ["Trong khoảng", "2", None, None],
            "Dòng 3: Điểm tối đa 3 không phải bội số của bước điểm 2.",
        ),
        (["Trong khoảng", None, None, "Có lẽ"], "Dòng 3: Khi không phát sinh “Có lẽ” không hợp lệ"),
    ],
)
def test_bad_rule_cells_are_refused_with_a_row_message(target, cells, message):
    rule, step, tiers, arising = cells
    rows = [
        ["1", "Tiêu chí", 10, None, None, None, None, None, None],
        ["1.1", "Mục", 3, rule, step, tiers, None, None, arising],
        ["1.2", "Mục", 7, None, None, None, None, None, None],
    ]
    with pytest.raises(ValidationError) as error:
        criteria_set_import_xlsx(criteria_set=target, data=xlsx(rows, headers=RULE_HEADERS))
    assert any(m.startswith(message) for m in error.value.messages), error.value.messages
    assert [node.code for node in target.criteria.all()] == ["A", "A.1"]


def test_committed_template_is_blank_and_imports_as_no_rows(target):
    _, problems = read_criteria_xlsx(TEMPLATE_FILE.read_bytes(), target.scale)

    assert problems.messages() == [
        "Tệp không có dòng tiêu chí nào: chỉ có dòng tiêu đề. "
        "Hãy điền mỗi tiêu chí một dòng, bắt đầu từ dòng 2."
    ]
    workbook = load_workbook(TEMPLATE_FILE)
    assert workbook.sheetnames == ["Bộ tiêu chí", "Hướng dẫn"]
    assert [cell.value for cell in workbook.worksheets[0][1]] == HEADERS


def test_committed_draft_xlsx_imports_cleanly_as_the_yaml_tree():
    source = criteria_set_load_yaml(path=FIXTURE_5049)
    copy = CriteriaSet.objects.create(title="Từ Excel", scale=source.scale)

    criteria_set_import_xlsx(criteria_set=copy, data=DRAFT_FILE.read_bytes())

    assert tree(copy) == tree(source)
    assert rules(copy) == rules(source)


def values(data: bytes):
    workbook = load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook}


def test_committed_files_match_what_the_command_writes(tmp_path):
    call_command("export_criteria_template", output_dir=tmp_path, stdout=io.StringIO())

    for committed in (TEMPLATE_FILE, DRAFT_FILE):
        fresh = (tmp_path / committed.name).read_bytes()
        assert values(committed.read_bytes()) == values(fresh), (
            f"{committed.name} is stale: run `python manage.py export_criteria_template`"
        )
    assert values(blank_template()) == values(TEMPLATE_FILE.read_bytes())


def test_import_command(target, tmp_path):
    path = tmp_path / "bo.xlsx"
    path.write_bytes(xlsx(GOOD))
    out = io.StringIO()

    call_command("import_criteria_xlsx", str(target.pk), str(path), stdout=out)

    assert "Đã nhập 6 tiêu chí" in out.getvalue()
    path.write_bytes(xlsx(changed(1, "Điểm tối đa", "hai")))
    with pytest.raises(Exception, match="Dòng 3: Điểm tối đa “hai” không phải là số."):
        call_command("import_criteria_xlsx", str(target.pk), str(path))


# -- admin --------------------------------------------------------------------------------


def upload(client, criteria_set, data, name="bo-tieu-chi.xlsx"):
    return client.post(
        IMPORT_URL,
        {
            "criteria_set": criteria_set.pk,
            "format": "0",
            "resource": "0",
            "import_file": SimpleUploadedFile(name, data),
        },
    )


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_admin_refuses_bad_file_with_vietnamese_message(admin_client, target, data, message):
    before = tree(target)
    count = Criterion.objects.count()

    response = upload(admin_client, target, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert escape(message) in html
    assert "Traceback" not in html
    assert "confirm_form" not in response.context
    assert Criterion.objects.count() == count
    assert tree(target) == before


def test_admin_import_then_confirm_replaces_the_tree(admin_client, target):
    response = upload(admin_client, target, xlsx(GOOD))
    assert response.status_code == 200
    assert "Xác nhận nhập" in response.content.decode()
    assert [code for _, code, *_ in tree(target)] == ["A", "A.1"]  # the preview saved nothing

    confirm = response.context["confirm_form"]
    response = admin_client.post(PROCESS_URL, {**confirm.initial, "confirm": "1"})

    assert response.status_code == 302
    assert response.url == f"/admin/criteria/criterion/?criteria_set__id__exact={target.pk}"
    assert [(code, parent) for _, code, parent, *_ in tree(target)] == [
        ("1", None),
        ("1.1", "1"),
        ("1.2", "1"),
        ("2.a", "2"),
        ("2", None),
        ("TD-b", "2"),
    ]
    page = admin_client.get(response.url).content.decode()
    assert "Đã nhập 6 tiêu chí vào “Bộ thử”" in page


def test_admin_refuses_import_into_a_set_in_use(demo, client, administrator):
    client.force_login(administrator)
    locked = demo.assessment.criteria_set
    count = Criterion.objects.count()

    response = upload(client, locked, criteria_set_export_xlsx(locked))

    assert response.status_code == 200
    assert "Hãy dùng “Tạo phiên bản mới” rồi sửa phiên bản mới." in response.content.decode()
    assert Criterion.objects.count() == count


def test_admin_import_form_preselects_the_set_from_the_link(admin_client, target):
    response = admin_client.get(f"{IMPORT_URL}?criteria_set={target.pk}")

    assert response.context["form"].initial["criteria_set"] == str(target.pk)
    assert "Nhập cây tiêu chí từ Excel" in response.content.decode()


def test_admin_exports_a_set_that_imports_back_to_the_same_tree(admin_client):
    source = criteria_set_load_yaml(path=FIXTURE_5049)

    response = admin_client.get(f"/admin/criteria/criteriaset/{source.pk}/xlsx/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert source.decision_number == "5049/QĐ-UBND"
    assert response["Content-Disposition"] == (
        f'attachment; filename="bo-tieu-chi-5049-qd-ubnd-phien-ban-{source.version}.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert [cell.value for cell in sheet[2]][:4] == [
        "1",
        None,
        "Chính quyền công khai minh bạch",
        24,
    ]
    copy = CriteriaSet.objects.create(title="Bản sao", scale=source.scale)
    criteria_set_import_xlsx(criteria_set=copy, data=response.content)
    assert tree(copy) == tree(source)


def test_admin_export_action_needs_exactly_one_set(admin_client):
    source = criteria_set_load_yaml(path=FIXTURE_5049)
    other = CriteriaSet.objects.create(title="Bộ khác")
    url = "/admin/criteria/criteriaset/"

    one = admin_client.post(url, {"action": "export_xlsx", "_selected_action": [source.pk]})
    two = admin_client.post(
        url, {"action": "export_xlsx", "_selected_action": [source.pk, other.pk]}, follow=True
    )

    assert values(one.content)["Bộ tiêu chí"][1][0] == "1"
    assert "Hãy chọn đúng một bộ tiêu chí để xuất ra Excel." in two.content.decode()


def test_admin_criterion_export_of_a_filtered_set(admin_client):
    source = criteria_set_load_yaml(path=FIXTURE_5049)
    CriteriaSet.objects.create(title="Bộ khác")

    response = admin_client.post(
        f"/admin/criteria/criterion/export/?criteria_set__id__exact={source.pk}",
        {"format": "0", "resource": "0"},
    )

    assert response.status_code == 200
    copy = CriteriaSet.objects.create(title="Bản sao", scale=source.scale)
    criteria_set_import_xlsx(criteria_set=copy, data=response.content)
    assert tree(copy) == tree(source)


def test_admin_serves_the_blank_template(admin_client):
    response = admin_client.get("/admin/criteria/criterion/mau-xlsx/")

    assert response.status_code == 200
    assert values(response.content) == values(TEMPLATE_FILE.read_bytes())


def test_import_needs_add_and_delete_permission_export_needs_view(client, target):
    user = get_user_model().objects.create_user("canbo", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.get("/admin/criteria/criterion/export/").status_code == 403
    assert client.get(f"/admin/criteria/criteriaset/{target.pk}/xlsx/").status_code == 403

    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_criterion", "view_criteriaset"])
    )
    assert client.get(IMPORT_URL).status_code == 403
    assert client.get("/admin/criteria/criterion/export/").status_code == 200
    assert client.get(f"/admin/criteria/criteriaset/{target.pk}/xlsx/").status_code == 200

    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_criterion", "delete_criterion"])
    )
    assert client.get(IMPORT_URL).status_code == 200


def test_admin_preview_shows_the_clerks_words_not_stored_codes(admin_client, target):
    rows = [row + [None] * (len(HEADERS) - len(row)) for row in GOOD]
    rows[1][9] = "pass_fail"  # the portal's code is accepted, but shown by its label
    rows[2][9:12] = ["Theo tỷ lệ", None, "100:2; 50,5:1; 0:0"]
    rows[2][12:14] = ["Số hồ sơ đúng hạn", "Tổng số hồ sơ"]
    rows[3][10] = "0,5"
    rows[5][14] = "full"

    response = upload(admin_client, target, xlsx(rows))

    html = response.content.decode()
    preview = html[html.index('data-testid="import-preview"') :]
    preview = preview[: preview.index("</table>")]
    cells = re.findall(r"<td>(.*?)</td>", preview)
    for code in ("free", "pass_fail", "tiers", "inferred", "seed", "full", "0.25", "2.5", "1.5"):
        assert code not in cells, code
    assert "Đạt/không đạt" in cells
    assert "Theo tỷ lệ" in cells
    assert "100:2; 50,5:1; 0:0" in cells
    assert "Suy luận, cần đối chiếu" in cells
    assert "Tính đủ điểm" in cells
    assert {"2,5", "1,5", "0,5", "0,25"} <= set(cells)
    # Row 2 ("1.1" under "1"): code, the parent its code implies, title, points.
    assert cells[15:19] == ["1.1", "1", "Niêm yết thủ tục hành chính", "4"]
    # A parent is not scored itself: its scoring columns stay empty.
    assert cells[9:15] == ["", "", "", "", "", ""]


def test_admin_list_shows_provenance_in_words(admin_client, target):
    criteria_set_import_xlsx(criteria_set=target, data=xlsx(GOOD))
    url = f"/admin/criteria/criterion/?criteria_set__id__exact={target.pk}"
    page = admin_client.get(url).content.decode()
    cells = re.findall(r'<td class="field-provenance_text">(.*?)</td>', page)
    assert cells.count("Báo cáo 6 tháng của xã") == 2  # rows 1 and 1.1 of GOOD
    assert "seed" not in cells
    # The filter offers the words and keeps the stored marker in the link.
    assert re.search(r'href="\?[^"]*nguon-goc=seed[^"]*"[^>]*>Báo cáo 6 tháng của xã<', page)
    filtered = admin_client.get(url + "&nguon-goc=seed").content.decode()
    codes = re.findall(r'<th class="field-code"><a [^>]*>(.*?)</a>', filtered)
    assert sorted(codes) == ["1", "1.1"]
