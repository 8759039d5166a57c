"""Section II, "Nhiệm vụ" and I.2 from data (reports.content) and their services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assessments.models import Assessment, Score
from assessments.selectors import assessment_results
from audit.models import AuditEntry
from reports.content import (
    criterion_accounts,
    document_type,
    implementing_paragraphs,
    report_tasks,
)
from reports.models import ImplementingDocument, Report
from reports.services import report_create
from reports.services.content import (
    implementing_document_add,
    implementing_document_delete,
    implementing_document_edit,
    report_task_add,
    report_task_delete,
    report_task_edit,
    report_task_move,
    report_tasks_reorder,
)

pytestmark = pytest.mark.django_db


def _score(demo, code: str) -> Score:
    return Score.objects.get(assessment=demo.assessment, criterion__code=code)


def _set(demo, code: str, **fields) -> None:
    Score.objects.filter(assessment=demo.assessment, criterion__code=code).update(**fields)


def _root(results, code: str):
    return next(root for root in results.roots if root.criterion.code == code)


def _accounts(demo, code: str) -> list[str]:
    results = assessment_results(demo.assessment)
    return criterion_accounts(results, _root(results, code))


@pytest.fixture
def report(demo_scored, secretary) -> Report:
    return report_create(assessment=demo_scored.assessment, by=secretary)


def _tasks(report: Report) -> list:
    report.refresh_from_db()
    return report_tasks(report, assessment_results(report.assessment))


# -- criterion_accounts ----------------------------------------------------------------------


def test_accounts_print_only_done_sub_criteria_in_tree_order(demo_scored):
    _set(demo_scored, "2.1.b", result_text="B done")
    _set(demo_scored, "2.1.d", result_text="D done")
    _set(demo_scored, "2.3", result_text="Khảo sát xong")
    _set(demo_scored, "2.2.g", result_text="G done")
    paragraphs = _accounts(demo_scored, "2")
    assert paragraphs.index("- B done") < paragraphs.index("- D done")
    assert paragraphs.index("- G done") < paragraphs.index("- Khảo sát xong")
    # 2.1.a, 2.2.e (shortfalls) and 2.1.c, 2.1.e (second half) have 0 points: never printed
    for code in ("2.1.a", "2.2.e", "2.1.c", "2.1.e"):
        text = _score(demo_scored, code).result_text
        assert not any(text in p for p in paragraphs), code


def test_not_scored_zero_and_not_arising_are_not_done(demo_scored):
    _set(demo_scored, "2.1.b", result_text="Zero", leader_points=Decimal(0))
    _set(demo_scored, "2.1.d", result_text="Excluded", not_arising=True, proposed_points=None)
    _set(demo_scored, "2.3", result_text="Full by policy", not_arising=True)  # points kept
    _set(
        demo_scored,
        "2.2.g",
        result_text="Unscored",
        proposed_points=None,
        leader_points=None,
        status=Score.Status.NOT_STARTED,
    )
    paragraphs = "\n".join(_accounts(demo_scored, "2"))
    for text in ("Zero", "Excluded", "Unscored", "Full by policy"):
        assert text not in paragraphs


def test_shared_accounts_print_once_and_lines_become_paragraphs(demo_scored):
    for code in ("1.1.a", "1.1.b", "1.1.c"):
        _set(demo_scored, code, result_text="Công khai đủ.\n  Hình thức đa dạng.  ")
    _set(demo_scored, "1.1.d", result_text="  công khai   đủ.\nhình thức đa dạng.")  # same text
    _set(demo_scored, "1.2.a", result_text="+ Đã có dấu")
    paragraphs = _accounts(demo_scored, "1")
    assert paragraphs.count("- Công khai đủ.") == 1
    assert paragraphs[paragraphs.index("- Công khai đủ.") + 1] == "Hình thức đa dạng."
    assert "- công khai đủ." not in paragraphs
    assert "+ Đã có dấu" in paragraphs  # a list mark is kept, not doubled
    assert not any(p.startswith("- Chính quyền công khai") for p in paragraphs)  # no lead-ins


# -- report_tasks ----------------------------------------------------------------------------


def test_tasks_natural_order_sources_and_keys(report, secretary, demo_scored):
    task = report_task_add(report=report, text="  nhiệm vụ   chung  ", by=secretary)
    items = _tasks(report)
    assert items[0].key == f"task:{task.pk}"
    assert items[0].text == "Nhiệm vụ chung."
    assert items[0].source == "Nhiệm vụ chung"
    keys = [item.key for item in items]
    assert keys[1:] == [
        "unmet:1.2.d",
        "unmet:2.1.a",
        "unmet:2.1.c",
        "unmet:2.1.e",
        "unmet:2.2.e",
        "next:2.2.f:1",
        "next:4.1.d:1",
        "next:4.2.c:1",  # 4.2.d and 4.2.e share its task: listed once
        "next:4.2.f:1",
        "unmet:4.3",
    ]
    unmet = next(item for item in items if item.key == "unmet:2.1.e")
    assert unmet.text.endswith("thủ tục hành chính.")
    assert unmet.source == "Chưa đạt điểm tối đa"
    assert next(i for i in items if i.key == "next:2.2.f:1").source.startswith("Đơn vị: ")


def test_unmet_with_next_tasks_gives_its_tasks_each_line_one(report, demo_scored):
    _set(demo_scored, "1.2.d", next_tasks="xin kinh phí\n\nvận hành App")
    keys = [item.key for item in _tasks(report)]
    assert "unmet:1.2.d" not in keys
    assert keys[:2] == ["next:1.2.d:1", "next:1.2.d:2"]


def test_task_order_keys_then_the_rest_stale_ignored(report, secretary):
    report.task_order = ["unmet:4.3", "gone:1", "task:999999", "next:4.1.d:1", 7]
    report.save()
    keys = [item.key for item in _tasks(report)]
    assert keys[:3] == ["unmet:4.3", "next:4.1.d:1", "unmet:1.2.d"]
    assert len(keys) == 10


def test_move_stores_the_full_order_and_is_audited(report, secretary):
    order = report_task_move(report=report, key="next:4.1.d:1", up=True, by=secretary)
    report.refresh_from_db()
    assert report.task_order == order
    assert order.index("next:4.1.d:1") == order.index("next:2.2.f:1") - 1
    assert len(order) == 10
    assert [i.key for i in _tasks(report)] == order
    first = order[0]
    assert report_task_move(report=report, key=first, up=True, by=secretary)[0] == first
    with pytest.raises(ValidationError, match="không còn"):
        report_task_move(report=report, key="unmet:9.9", up=False, by=secretary)
    assert AuditEntry.objects.filter(summary="Sắp xếp lại mục “Nhiệm vụ”").exists()


def test_reorder_drops_unknown_and_keeps_the_rest(report, secretary):
    order = report_tasks_reorder(report=report, keys=["unmet:4.3", "x", "unmet:4.3"], by=secretary)
    assert order[0] == "unmet:4.3" and "x" not in order and len(order) == 10


def test_general_task_edit_delete_and_bad_input(report, secretary):
    task = report_task_add(report=report, text="Một", by=secretary)
    report_task_move(report=report, key=f"task:{task.pk}", up=False, by=secretary)
    report_task_edit(task=task, text="Hai", by=secretary)
    assert _tasks(report)[1].text == "Hai."
    with pytest.raises(ValidationError, match="không được để trống"):
        report_task_add(report=report, text="   ", by=secretary)
    with pytest.raises(ValidationError, match="dài quá"):
        report_task_edit(task=task, text="x" * 2001, by=secretary)
    report_task_delete(task=task, by=secretary)
    report.refresh_from_db()
    assert f"task:{task.pk}" not in report.task_order
    assert len(_tasks(report)) == 10
    summaries = set(AuditEntry.objects.values_list("summary", flat=True))
    assert {"Thêm nhiệm vụ: Một", "Sửa nhiệm vụ: Hai", "Xóa nhiệm vụ: Hai"} <= summaries


def test_issued_report_refuses_every_task_change(report, secretary):
    task = report_task_add(report=report, text="Một", by=secretary)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.ISSUED)
    report.refresh_from_db()
    task.refresh_from_db()
    for change in (
        lambda: report_task_add(report=report, text="Hai", by=secretary),
        lambda: report_task_edit(task=task, text="Hai", by=secretary),
        lambda: report_task_delete(task=task, by=secretary),
        lambda: report_task_move(report=report, key="unmet:4.3", up=True, by=secretary),
    ):
        with pytest.raises(ValidationError, match="đã ban hành"):
            change()
    assert report.tasks.get().text == "Một"


# -- implementing documents ------------------------------------------------------------------


def test_document_type_from_the_symbol():
    assert document_type("62/KH-UBND") == "Kế hoạch"
    assert document_type("5049/QĐ-UBND") == "Quyết định"
    assert document_type("12/TB-UBND") == "Thông báo"
    assert document_type("403/UBND-VHXX") == "Công văn"
    assert document_type("403") == "Công văn"


def test_implementing_paragraphs_one_per_document_in_order(report, secretary, demo_scored):
    a = demo_scored.assessment
    implementing_document_add(
        assessment=a, by=secretary, kind="remind", number="403/UBND-VHXX",
        summary="đôn đốc rà soát.", date=dt.date(2026, 2, 23), order=2,
    )  # fmt: skip
    implementing_document_add(
        assessment=a, by=secretary, kind="deploy", number="1381/UBND-VHXXH",
        summary="yêu cầu thực hiện", order=1,
    )  # fmt: skip
    paragraphs = implementing_paragraphs(report, assessment_results(a))
    assert paragraphs == [
        "Ngay khi Ủy ban nhân dân thành phố ban hành Quyết định số 5049/QĐ-UBND ngày "
        "11/12/2025, Ủy ban nhân dân xã đã ban hành Công văn số 1381/UBND-VHXXH yêu cầu "
        "thực hiện.",
        "Để đảm bảo việc triển khai thực hiện năm 2026 được hiệu quả, đến ngày 23/02/2026, "
        "Ủy ban nhân dân xã tiếp tục ban hành Công văn số 403/UBND-VHXX đôn đốc rà soát.",
    ]


def test_other_document_issuer_and_phuong(report, secretary, demo_scored):
    a = demo_scored.assessment
    a.commune.kind = "phuong"
    a.commune.save()
    implementing_document_add(
        assessment=a, by=secretary, kind="other", number="7/KH-UBND",
        summary="triển khai mô hình", date=dt.date(2026, 3, 1),
    )  # fmt: skip
    implementing_document_add(
        assessment=a, by=secretary, kind="other", number="8/TB-ĐU", summary="kết luận",
        issuer="Đảng ủy phường",
    )  # fmt: skip
    report.assessment.refresh_from_db()
    report.assessment.commune.refresh_from_db()
    paragraphs = implementing_paragraphs(report, assessment_results(a))
    assert paragraphs == [
        "Ngày 01/03/2026, Ủy ban nhân dân phường đã ban hành Kế hoạch số 7/KH-UBND triển "
        "khai mô hình.",
        "Đảng ủy phường đã ban hành Thông báo số 8/TB-ĐU kết luận.",
    ]
    assert " xã" not in " ".join(paragraphs)


def test_document_services_validate_audit_and_refuse_when_frozen(demo_scored, secretary):
    a = demo_scored.assessment
    for kwargs, message in (
        ({"number": "", "summary": "x"}, "số, ký hiệu"),
        ({"number": "1381", "summary": "x"}, "không giống số"),
        ({"number": "1/UBND", "summary": "  "}, "nội dung chính"),
        ({"number": "1/UBND", "summary": "x", "kind": "bogus"}, "không hợp lệ"),
    ):
        with pytest.raises(ValidationError, match=message):
            implementing_document_add(assessment=a, by=secretary, **{"kind": "deploy", **kwargs})
    document = implementing_document_add(
        assessment=a, by=secretary, kind="deploy", number=" 1/UBND ", summary="x"
    )
    assert (document.number, document.order) == ("1/UBND", 1)
    second = implementing_document_add(
        assessment=a, by=secretary, kind="deploy", number="2/UBND", summary="y"
    )
    assert second.order == 2
    implementing_document_edit(
        document=document, by=secretary, kind="remind", number="1/UBND", summary="z", order=5
    )
    document.refresh_from_db()
    assert (document.kind, document.summary, document.order) == ("remind", "z", 5)
    Assessment.objects.filter(pk=a.pk).update(status=Assessment.Status.FROZEN)
    with pytest.raises(ValidationError, match="báo cáo ban hành"):
        implementing_document_delete(document=document, by=secretary)
    with pytest.raises(ValidationError, match="báo cáo ban hành"):
        implementing_document_add(
            assessment=a, by=secretary, kind="deploy", number="3/UBND", summary="x"
        )
    assert ImplementingDocument.objects.filter(assessment=a).count() == 2
    Assessment.objects.filter(pk=a.pk).update(status=Assessment.Status.OPEN)
    implementing_document_delete(document=document, by=secretary)
    assert AuditEntry.objects.filter(summary="Xóa văn bản triển khai 1/UBND").exists()
