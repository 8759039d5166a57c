"""Every spreadsheet the portal writes keeps what people typed as text, never a formula.

Risky text (each formula prefix: "=", "+", "-", "@", tab, carriage return) goes into every
free-text field that reaches a file, through the services people use; then every XLSX the
portal produces is read back twice: with openpyxl (the cell is a string, exactly as typed,
with Excel's quote prefix) and as raw sheet XML (no <f> element holds it). The only formulas
allowed are the SUM/IF formulas the portal writes itself.
"""

from __future__ import annotations

import ast
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from assessments.levels import level_statement
from assessments.models import Assignment, Commune, Score, Unit
from assessments.selectors import assessment_results
from criteria.models import CriteriaSet, Criterion, Level
from criteria.resources import criteria_set_export_xlsx
from evidence.archive import INDEX_NAME, safe_name
from evidence.services import evidence_describe, evidence_upload
from guards.cells import is_risky
from reports.demo.signing import DEMO_PASSPHRASE, demo_signing_setup
from reports.models import IssuedFile, SigningKey
from reports.services import report_create
from reports.services.dossier import dossier_build
from reports.services.issuing import current_file, report_issue
from reports.services.signing import report_sign_organisation, report_sign_person
from tests.evidence.conftest import pdf_bytes

pytestmark = pytest.mark.django_db

PREFIXES = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
]
# The formulas the portal writes: sums of cell references, the completeness ratio, and the
# appendix's level row (IF on the total, each branch a string literal: text that stays text).
LITERAL = r'"(?:[^"]|"")*"'
SHORTFALL = r'SUBSTITUTE\(ROUND\(MAX\(0,\d+(?:\.\d+)?-[A-Z]+\d+\),2\)&"","\.",","\)'
BRANCH = rf"(?:{LITERAL}|{LITERAL}&{SHORTFALL}&{LITERAL})"
PORTAL_FORMULA = re.compile(
    r"\A=?(SUM\([A-Z]+\d+(?::[A-Z]+\d+)?(?:,[A-Z]+\d+)*\)|IF\(C\d+=0,0,ROUND\(I\d+/C\d+\*100,0\)\)"
    rf"|(?:IF\([A-Z]+\d+>=\d+(?:\.\d+)?,{BRANCH},)+{BRANCH}\)+)\Z"
)
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class Planted:
    """Hands out risky texts, the prefix chosen by number, and remembers them by field."""

    def __init__(self):
        self.texts: dict[str, str] = {}

    def __call__(self, field: str, n: int) -> str:
        text = f"{PREFIXES[n % len(PREFIXES)]} {field}"
        self.texts[field] = text
        return text


# Six leaves, each led by its own unit, so that every file has each prefix at a cell's start.
LEAVES = ["2.2.e", "1.1.a", "1.1.b", "2.2.a", "3.1.a", "4.1.a"]


@pytest.fixture
def hostile(demo_scored, own_staff, leader):
    """The demo commune with risky text in every free-text field that can reach a file."""
    demo = demo_scored
    plant = Planted()
    assessment = demo.assessment
    criteria_set = assessment.criteria_set
    vhxh, lanhdao = own_staff, leader

    units = list(Unit.objects.filter(commune=demo.commune).order_by("pk"))
    while len(units) < len(LEAVES):
        units.append(Unit.objects.create(commune=demo.commune, name=f"Đơn vị {len(units)}"))
    for n, unit in enumerate(units):
        unit.name = plant(f"tên đơn vị {unit.pk}", n)
        unit.save()
    demo.commune.name = plant("tên xã", 0)
    demo.commune.save()
    CriteriaSet.objects.filter(pk=criteria_set.pk).update(
        decision_number=plant("số quyết định", 1), issuing_body=plant("cơ quan ra quyết định", 2)
    )
    for n, level in enumerate(Level.objects.filter(criteria_set=criteria_set)):
        level.name = plant(f"tên mức {level.pk}", n)
        level.save()

    leaves = {}
    for n, code in enumerate(LEAVES):
        criterion = Criterion.objects.get(criteria_set=criteria_set, code=code)
        assert not criterion.children.exists()
        fields = {
            "title": plant(f"tên tiêu chí {code}", n),
            "scoring_guide": plant(f"hướng dẫn chấm {code}", n + 1),
            "default_lead_unit": plant(f"đơn vị chủ trì mặc định {code}", n + 2),
            "provenance": plant(f"nguồn gốc {code}", n + 3),
            "points_provenance": plant(f"nguồn gốc điểm {code}", n + 4),
            "unit_provenance": plant(f"nguồn gốc đơn vị {code}", n + 5),
            "numerator_label": plant(f"tử số {code}", n),
            "denominator_label": plant(f"mẫu số {code}", n + 1),
        }
        if criterion.rule != "tiers":
            fields["tiers"] = plant(f"bậc điểm {code}", n + 2)
        Criterion.objects.filter(pk=criterion.pk).update(**fields)
        Assignment.objects.filter(assessment=assessment, criterion=criterion).update(
            lead_unit=units[n]
        )
        leaves[code] = criterion
        # Approved below the maximum, so the appendix's note starts with the shortfall reason.
        Score.objects.filter(assessment=assessment, criterion=criterion).update(
            status=Score.Status.APPROVED,
            not_arising=False,
            numerator=None,
            denominator=None,
            proposed_points=criterion.max_points - Decimal("0.25"),
            leader_points=criterion.max_points - Decimal("0.25"),
            result_text=plant(f"kết quả thực hiện {code}", n + 3),
            shortfall_reason=plant(f"lý do chưa thực hiện {code}", n + 2),
            leader_reason=plant(f"lý do điều chỉnh {code}", n + 4),
            return_comment=plant(f"ý kiến trả lại {code}", n + 5),
        )

    evidence = []
    for n in range(3):
        # A browser sends only the last part of a path, so no "/" in a file name.
        name = plant(f"tên tệp {n}", n + 4).replace("http://", "") + ".pdf"
        plant.texts[f"tên tệp {n}"] = name
        outcome = evidence_upload(
            assessment=assessment,
            criterion=leaves[LEAVES[0]],
            upload=SimpleUploadedFile(name, pdf_bytes(pages=1, width=300 + n)),
            by=vhxh,
        )
        assert outcome.status == "stored", outcome.message
        evidence_describe(
            evidence=outcome.evidence,
            by=lanhdao,
            title=plant(f"trích yếu {n}", n),
            doc_number=plant(f"số ký hiệu {n}", n + 1),
            issuer=plant(f"cơ quan ban hành {n}", n + 2),
            location=plant(f"vị trí {n}", n + 3),
        )
        evidence.append(outcome.evidence)
    assert len(set(plant.texts.values())) == len(plant.texts)
    # One file gone from the disk: the index then names the original file at a cell's start.
    missing = evidence[2].current_file
    missing.file.storage.delete(missing.file.name)
    return demo, plant.texts


def sheet_formulas(data: bytes) -> list[str]:
    """The text of every <f> element of every worksheet, read from the raw XML."""
    formulas = []
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                root = ElementTree.fromstring(package.read(name))
                formulas += [element.text or "" for element in root.iter(f"{NS}f")]
    return formulas


def assert_text_only(
    data: bytes,
    texts: dict[str, str],
    *,
    whole: set[str],
    inside: set[str],
    starts: frozenset[str] = frozenset(),
):
    """`whole`: fields that must fill a cell on their own; `starts`: fields a cell must begin
    with (the portal adds more after them); `inside`: fields that must appear within a cell
    (after a label the portal adds). Returns the string cell values."""
    for formula in sheet_formulas(data):
        assert PORTAL_FORMULA.match(formula), formula
    workbook = load_workbook(io.BytesIO(data))
    strings = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert PORTAL_FORMULA.match(cell.value), (cell.coordinate, cell.value)
                elif isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    if is_risky(cell.value):
                        assert cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
                    strings[cell.value] = cell
    for field in whole:
        cell = strings.get(texts[field])
        assert cell is not None, f"{field!r}: {texts[field]!r} is not a cell of its own"
        assert cell.data_type == "s" and cell.quotePrefix
    for field in starts:
        cells = [cell for value, cell in strings.items() if value.startswith(texts[field])]
        assert cells, f"{field!r}: no cell starts with {texts[field]!r}"
        assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells)
    for field in inside:
        assert any(texts[field] in value for value in strings), f"{field!r} not found"
    # Every prefix was tried at the start of a cell of this file.
    started = {
        prefix for prefix in PREFIXES for field in whole | starts if texts[field].startswith(prefix)
    }
    assert started == set(PREFIXES), sorted(set(PREFIXES) - started)
    return strings


def fields(texts, *starts: str) -> set[str]:
    return {field for field in texts if field.startswith(starts)}


def test_criteria_export_keeps_titles_guides_and_labels_as_text(hostile):
    demo, texts = hostile

    data = criteria_set_export_xlsx(demo.assessment.criteria_set)

    assert_text_only(
        data,
        texts,
        whole=fields(
            texts,
            "tên tiêu chí",
            "hướng dẫn chấm",
            "đơn vị chủ trì mặc định",
            "nguồn gốc",
            "tử số",
            "mẫu số",
            "bậc điểm",
        ),
        inside=set(),
    )


def appendix_fields(demo, texts) -> dict:
    """Titles, lead units and shortfall reasons fill their cells; evidence titles, leaders'
    reasons and the commune come after a label (the level: see `assert_level_is_a_literal`)."""
    lead_units = {
        f"tên đơn vị {unit.pk}"
        for unit in Unit.objects.filter(
            led_assignments__criterion__code__in=["2.2.e", "1.1.a"],
            led_assignments__assessment=demo.assessment,
        )
    }
    results = assessment_results(demo.assessment)
    level = level_statement(results).level or results.target  # the one the level row names
    assert lead_units and level is not None
    return {
        "whole": fields(texts, "tên tiêu chí") | lead_units,
        "starts": fields(texts, "lý do chưa thực hiện"),
        "inside": fields(texts, "trích yếu", "lý do điều chỉnh", "tên xã"),
    }


def assert_level_is_a_literal(data: bytes, demo, texts) -> None:
    """The level row is a formula whose branches are string literals (the portal's IF, checked
    by PORTAL_FORMULA): the level's name is shown, as text, through the value stored with it."""
    results = assessment_results(demo.assessment)
    level = level_statement(results).level or results.target  # the one the level row names
    sheet = load_workbook(io.BytesIO(data), data_only=True).active
    shown = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(texts[f"tên mức {level.pk}"] in value for value in shown)


def test_appendix_xlsx_keeps_titles_units_and_reasons_as_text(
    hostile, client, login_as, leader, secretary
):
    demo, texts = hostile
    login_as(leader)
    report = report_create(assessment=demo.assessment, by=secretary)

    response = client.get(reverse("reports:appendix_xlsx", args=[demo.assessment.pk, report.pk]))

    assert response.status_code == 200
    assert_text_only(response.content, texts, **appendix_fields(demo, texts))
    assert_level_is_a_literal(response.content, demo, texts)


def test_units_xlsx_keeps_unit_names_as_text(hostile, client, login_as, leader):
    demo, texts = hostile
    login_as(leader)

    response = client.get(reverse("reports:units_xlsx", args=[demo.assessment.pk]))

    assert response.status_code == 200
    assigned = {
        f"tên đơn vị {unit.pk}"
        for unit in Unit.objects.filter(led_assignments__assessment=demo.assessment).distinct()
    }
    assert_text_only(
        response.content,
        texts,
        whole=assigned,
        inside=fields(texts, "tên xã", "số quyết định", "cơ quan ra quyết định"),
    )


EVIDENCE_FIELDS = ("trích yếu", "số ký hiệu", "cơ quan ban hành ", "vị trí")


def assert_evidence_index(data: bytes, texts: dict[str, str]) -> None:
    strings = assert_text_only(
        data,
        texts,
        whole=fields(texts, *EVIDENCE_FIELDS),
        starts={"tên tệp 2"},  # the file missing on disk: "<original name> (không tìm thấy…)"
        inside=set(),
    )
    # The files on disk are listed by their path in the ZIP, whose name is made safe.
    for field in ("tên tệp 0", "tên tệp 1"):
        assert any(safe_name(texts[field]) in value for value in strings), field


def test_evidence_zip_index_keeps_descriptions_and_file_names_as_text(
    hostile, client, login_as, leader
):
    demo, texts = hostile
    login_as(leader)

    response = client.get(reverse("evidence:archive", args=[demo.assessment.pk]))

    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert_evidence_index(archive.read(INDEX_NAME), texts)


def test_issued_appendix_and_dossier_keep_user_text_as_text(hostile, secretary):
    demo, texts = hostile
    # The demo keys put the committee's name in a certificate, where 64 characters is the limit.
    name = demo.commune.name
    Commune.objects.filter(pk=demo.commune.pk).update(name="Nghi Dương")
    demo_signing_setup(commune=Commune.objects.get(pk=demo.commune.pk))
    Commune.objects.filter(pk=demo.commune.pk).update(name=name)
    person = SigningKey.objects.get(commune=demo.commune, owner__isnull=False)
    organisation = SigningKey.objects.get(commune=demo.commune, owner__isnull=True)
    report = report_issue(
        report=report_create(assessment=demo.assessment, by=secretary), by=secretary
    )
    report_sign_person(report=report, key=person, secret=DEMO_PASSPHRASE, by=person.owner)
    report_sign_organisation(report=report, key=organisation, secret=DEMO_PASSPHRASE, by=secretary)

    issued_xlsx = current_file(report, IssuedFile.Kind.APPENDIX_XLSX).read()
    dossier = dossier_build(report=report, by=secretary)
    with dossier.file.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))

    for data in (issued_xlsx, archive.read("03-bang-cham-diem-so-01.xlsx")):
        assert_text_only(data, texts, **appendix_fields(demo, texts))
        assert_level_is_a_literal(data, demo, texts)
    assert_evidence_index(archive.read(f"04-{INDEX_NAME}"), texts)


# -- nothing writes a cell but guards.cells ---------------------------------------------------

SOURCE_DIRS = ["assessments", "criteria", "evidence", "reports", "guards", "chinhquyen"]


def _sources():
    base = Path(settings.BASE_DIR)
    for directory in SOURCE_DIRS:
        for path in sorted((base / directory).rglob("*.py")):
            if "migrations" not in path.parts and path != base / "guards" / "cells.py":
                yield path


def direct_cell_writes(source: str) -> list[str]:
    """Places that put a value into a worksheet without guards.cells: `.cell(..., value=…)`
    or a third argument, `ws["A1"] = …`, `cell.value = …`, and `.append(…)` on a worksheet
    (a name bound to `.active`, `.create_sheet(…)` or `.worksheets[…]`)."""
    tree = ast.parse(source)
    sheets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            text = ast.unparse(node.value)
            if ".active" in text or "create_sheet(" in text or ".worksheets[" in text:
                sheets.add(node.targets[0].id)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "cell" and (
                len(node.args) >= 3 or any(k.arg == "value" for k in node.keywords)
            ):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
            receiver = node.func.value
            if (
                node.func.attr == "append"
                and isinstance(receiver, ast.Name)
                and receiver.id in sheets
            ):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "value":
                    found.append(f"line {node.lineno}: {ast.unparse(target)} = …")
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and isinstance(target.slice.value, str)
                    and re.fullmatch(r"[A-Z]{1,3}[0-9]+", target.slice.value)
                ):
                    found.append(f"line {node.lineno}: {ast.unparse(target)} = …")
    return found


def test_the_checker_sees_each_kind_of_direct_write():
    source = (
        "ws = workbook.active\nguide = workbook.create_sheet('x')\n"
        "ws.append([title])\nguide.append([line])\nws.cell(1, 2, title)\n"
        "ws.cell(row=1, column=2, value=title)\nws['A1'] = title\nws.cell(1, 1).value = title\n"
        "rows.append(title)\nws.cell(row=1, column=1).font = bold\nrow_of[key] = 3\n"
    )
    assert len(direct_cell_writes(source)) == 6


def test_only_guards_cells_writes_cell_values():
    offenders = {
        str(path): found for path in _sources() if (found := direct_cell_writes(path.read_text()))
    }

    assert offenders == {}
