"""The assessment's evidence overview and history: what they count, who sees them, and how
many queries they cost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from assessments.models import Assignment
from evidence.models import EvidenceEvent
from evidence.services import (
    evidence_delete,
    evidence_describe,
    evidence_link,
    evidence_replace,
    evidence_restore,
    evidence_upload,
)
from evidence.views import overview as overview_views
from tests.evidence.conftest import image_bytes, pdf_bytes
from tests.queries import at_most

NGHI_DUONG = ["vhxh", "ttpvhcc", "vanphong", "kinhte", "lanhdao", "chutich", "vanthu", "admin"]
AN_LAO = ["anlao_lanhdao", "anlao_vhxh"]
PDF = pdf_bytes()


def overview_url(demo, **params):
    url = reverse("evidence:overview", args=[demo.assessment.pk])
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


def history_url(demo, query=""):
    return reverse("evidence:history", args=[demo.assessment.pk]) + query


def criterion(demo, code):
    return demo.assessment.criteria_set.criteria.get(code=code)


def add(demo, upload, code, name, content, *, by="lanhdao", **described):
    outcome = evidence_upload(
        assessment=demo.assessment,
        criterion=criterion(demo, code),
        upload=upload(name, content),
        by=demo.user(by),
    )
    assert outcome.status == "stored", outcome.message
    evidence = outcome.evidence
    if described:
        evidence_describe(evidence=evidence, by=demo.user(by), **described)
    return evidence


@pytest.fixture
def sample(demo, upload, leader):
    """1.1.a: a described PDF; 2.1.a: a PNG also backing 2.1.b; 2.1.a: a deleted PDF."""
    public = add(
        demo,
        upload,
        "1.1.a",
        "quyet-dinh.pdf",
        PDF,
        by="vhxh",
        title="Quyết định công khai thủ tục hành chính",
        doc_number="12/QĐ-UBND",
        issue_date=dt.date(2026, 3, 2),
        issuer="UBND xã Nghi Dương",
    )
    photo = add(demo, upload, "2.1.a", "Ảnh bộ phận một cửa.png", image_bytes("PNG"))
    evidence_link(evidence=photo, criterion=criterion(demo, "2.1.b"), by=leader)
    gone = add(demo, upload, "2.1.a", "cu.pdf", PDF + b"\n% old")
    evidence_delete(evidence=gone, by=leader)
    return {"public": public, "photo": photo, "gone": gone}


def codes_in_table(response) -> list[str]:
    return [evidence.code for evidence in response.context["page"].object_list]


def leaves(demo, root_code=None):
    rows = Assignment.objects.filter(assessment=demo.assessment).select_related("criterion")
    codes = [a.criterion.code for a in rows]
    if root_code:
        codes = [c for c in codes if c.startswith(root_code + ".")]
    return codes


# -- what the overview shows --------------------------------------------------------------------


def test_overview_counts_sizes_and_lists_newest_first(client, login_as, demo, sample, own_staff):
    login_as(own_staff)
    response = client.get(overview_url(demo))
    assert response.status_code == 200
    public, photo = sample["public"], sample["photo"]
    totals = response.context["totals"]
    assert totals["count"] == 2  # the deleted one is not counted
    assert totals["size"] == public.current_file.size + photo.current_file.size
    assert codes_in_table(response) == [photo.code, public.code]
    html = response.content.decode()
    assert "Quyết định công khai thủ tục hành chính" in html
    assert "12/QĐ-UBND" in html and "02/03/2026" in html and "UBND xã Nghi Dương" in html
    assert "Ảnh bộ phận một cửa.png" in html
    assert "Trần Thị Mai" in html  # uploader of the PDF
    assert reverse("evidence:detail", args=[demo.assessment.pk, public.pk]) in html
    assert sample["gone"].code not in html


def test_overview_lists_sub_criteria_without_evidence(client, login_as, demo, sample, secretary):
    login_as(secretary)
    response = client.get(overview_url(demo))
    missing = [leaf.criterion.code for leaf in response.context["missing"]]
    expected = [code for code in leaves(demo) if code not in {"1.1.a", "2.1.a", "2.1.b"}]
    assert missing == expected
    assert response.context["scope_count"] == len(leaves(demo))
    html = response.content.decode()
    url_11b = reverse(
        "assessments:criterion", args=[demo.assessment.pk, criterion(demo, "1.1.b").pk]
    )
    assert url_11b in html
    lead = Assignment.objects.get(assessment=demo.assessment, criterion__code="1.1.b").lead_unit
    assert lead is not None and lead.name in html


def test_search_ignores_accents_and_case(client, login_as, demo, sample, other_staff):
    login_as(other_staff)
    public, photo = sample["public"], sample["photo"]
    for q in ["cong khai", "CÔNG KHAI", "cong+khai+thu+tuc", "12/QD", "mc-1.1.a-01", "quyet-dinh"]:
        response = client.get(overview_url(demo, q=q))
        assert codes_in_table(response) == [public.code], q
    assert codes_in_table(client.get(overview_url(demo, q="mot cua"))) == [photo.code]
    response = client.get(overview_url(demo, q="không có gì như vậy"))
    assert codes_in_table(response) == []
    assert "Không tìm thấy minh chứng phù hợp." in response.content.decode()
    shown = client.get(overview_url(demo, q="cong khai")).context["shown"]
    assert shown == {"count": 1, "size": public.current_file.size}


def test_criterion_filter_keeps_the_leaves_under_it(client, login_as, demo, sample, leader):
    login_as(leader)
    root = criterion(demo, "2")
    response = client.get(overview_url(demo, **{"tieu-chi": root.pk}))
    assert codes_in_table(response) == [sample["photo"].code]
    missing = [leaf.criterion.code for leaf in response.context["missing"]]
    assert missing == [c for c in leaves(demo, "2") if c not in {"2.1.a", "2.1.b"}]
    assert [row["criterion"].code for row in response.context["by_criterion"]] == ["2"]
    row = response.context["by_criterion"][0]
    assert row == {
        "criterion": root,
        "leaves": len(leaves(demo, "2")),
        "with_evidence": 2,
        "evidence": 1,  # the photo backs 2.1.a and 2.1.b: one evidence
    }
    # The ZIP button downloads the same criterion.
    assert f"tai-ve.zip?tieu-chi={root.pk}" in response.content.decode()


def test_unit_filter_keeps_the_leaves_it_leads_or_supports(client, login_as, demo, sample, leader):
    login_as(leader)
    assignment = Assignment.objects.get(assessment=demo.assessment, criterion__code="1.1.a")
    unit = assignment.lead_unit
    response = client.get(overview_url(demo, **{"don-vi": unit.pk}))
    in_scope = {
        a.criterion.code
        for a in Assignment.objects.filter(assessment=demo.assessment).select_related("lead_unit")
        if a.lead_unit_id == unit.pk
        or a.supporting_units.filter(pk=unit.pk).exists()
        or (a.lead_unit and a.lead_unit.is_collective)
    }
    assert response.context["scope_count"] == len(in_scope)
    assert {leaf.criterion.code for leaf in response.context["missing"]} == in_scope - {
        "1.1.a",
        "2.1.a",
        "2.1.b",
    }
    # The table lists the evidence backing any sub-criterion in scope, newest first.
    expected = [sample["public"].code]
    if in_scope & {"2.1.a", "2.1.b"}:
        expected.insert(0, sample["photo"].code)
    assert codes_in_table(response) == expected


def test_summary_per_unit(client, login_as, demo, sample, chairman):
    login_as(chairman)
    response = client.get(overview_url(demo))
    rows = {row["unit"].pk: row for row in response.context["by_unit"]}
    assignments = list(Assignment.objects.filter(assessment=demo.assessment))
    with_evidence = {"1.1.a": {sample["public"].pk}, "2.1.a": {sample["photo"].pk}}
    with_evidence["2.1.b"] = {sample["photo"].pk}
    codes = {a.criterion_id: criterion.code for a in assignments for criterion in [a.criterion]}
    for unit in demo.commune.units.all():
        led = [a for a in assignments if a.lead_unit_id == unit.pk]
        ids = set().union(*(with_evidence.get(codes[a.criterion_id], set()) for a in led))
        assert rows[unit.pk] == {
            "unit": unit,
            "leaves": len(led),
            "with_evidence": sum(1 for a in led if codes[a.criterion_id] in with_evidence),
            "evidence": len(ids),
        }
    assert sum(row["leaves"] for row in rows.values()) == sum(
        1 for a in assignments if a.lead_unit_id
    )


def test_overview_paginates(client, login_as, demo, sample, upload, monkeypatch, own_staff):
    monkeypatch.setattr(overview_views, "PER_PAGE", 1)
    login_as(own_staff)
    first = client.get(overview_url(demo, q="a"))
    assert codes_in_table(first) == [sample["photo"].code]
    assert 'href="?q=a&amp;trang=2"' in first.content.decode()
    second = client.get(overview_url(demo, q="a", trang=2))
    assert codes_in_table(second) == [sample["public"].code]


def test_overview_without_evidence(client, login_as, demo, own_staff):
    login_as(own_staff)
    response = client.get(overview_url(demo))
    assert response.context["totals"] == {"count": 0, "size": None}
    assert len(response.context["missing"]) == len(leaves(demo))
    assert "Chưa có minh chứng nào." in response.content.decode()


# -- who sees it -----------------------------------------------------------------------------


@pytest.mark.parametrize("username", NGHI_DUONG)
def test_members_of_the_commune_see_the_overview(client, login_as, demo, username):
    login_as(username)
    assert client.get(overview_url(demo)).status_code == 200


@pytest.mark.parametrize("username", AN_LAO)
def test_other_communes_get_404(client, login_as, demo, username):
    login_as(username)
    assert client.get(overview_url(demo)).status_code == 404
    assert client.get(history_url(demo)).status_code == 404


def test_anonymous_is_sent_to_login(client, demo):
    for url in [overview_url(demo), history_url(demo)]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_overview_is_linked_from_the_assessment_page(client, login_as, demo, own_staff):
    login_as(own_staff)
    detail = reverse("assessments:detail", args=[demo.assessment.pk])
    assert overview_url(demo) in client.get(detail).content.decode()


# -- query counts ------------------------------------------------------------------------------


def make_many(demo, upload, by, count, start=0):
    codes = leaves(demo)
    for i in range(start, start + count):
        evidence = add(
            demo, upload, codes[i % len(codes)], f"anh-{i}.png", image_bytes("PNG", color=(i, 9, 9))
        )
        evidence_link(
            evidence=evidence,
            criterion=criterion(demo, codes[(i + 1) % len(codes)]),
            by=by,
        )


def count_queries(client, url, pin) -> int:
    """The queries of one GET of `url` (answered 200), within `pin` (ceiling, names)."""
    with at_most(*pin) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# Expect 15 queries: session, user, membership, assessment, tree (3), units, links, totals,
# page count, page, the page's links, the bell; a filter adds the filtered totals (16).
OVERVIEW = (
    17,
    "session, user, membership, assessment, tree (4, with the scores), units, links, totals, page count, page, page's links, bell, filtered totals",
)
# Expect at most 7 queries: session, user, membership (with its commune and unit), assessment,
# event count, the page of events, the bell.
HISTORY = (7, "session, user, membership, assessment, event count, page of events, bell")


@pytest.mark.parametrize(
    "params, expected",
    [({}, 15), ({"q": "anh"}, 16), ({"tieu-chi": "ROOT"}, 16), ({"don-vi": "UNIT"}, 16)],
)
def test_overview_query_count_does_not_grow(
    client, login_as, demo, upload, params, expected, leader
):
    if params.get("tieu-chi"):
        params = {"tieu-chi": criterion(demo, "1").pk}
    if params.get("don-vi"):
        params = {"don-vi": demo.commune.units.first().pk}
    login_as(leader)
    url = overview_url(demo, **params)
    make_many(demo, upload, leader, 3)
    few = count_queries(client, url, OVERVIEW)
    make_many(demo, upload, leader, 27, start=3)
    assert count_queries(client, url, OVERVIEW) == few
    assert few == expected


def test_history_query_count_does_not_grow(client, login_as, demo, upload, leader):
    login_as(leader)
    make_many(demo, upload, leader, 3)
    few = count_queries(client, history_url(demo), HISTORY)
    make_many(demo, upload, leader, 27, start=3)
    assert count_queries(client, history_url(demo), HISTORY) == few
    assert few == 7  # session, user, membership, assessment, count, page, bell


# -- history -----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["lanhdao", "chutich", "admin"])
def test_leaders_see_the_history(client, login_as, demo, username):
    login_as(username)
    assert client.get(history_url(demo)).status_code == 200


@pytest.mark.parametrize("username", ["vhxh", "ttpvhcc", "vanphong", "kinhte", "vanthu"])
def test_staff_and_secretary_may_not_see_the_history(client, login_as, demo, username):
    login_as(username)
    assert client.get(history_url(demo)).status_code == 403


def test_history_lists_every_action_newest_first(client, login_as, demo, sample, upload, leader):
    photo = sample["photo"]
    evidence_replace(
        evidence=photo,
        upload=upload("anh-moi.png", image_bytes("PNG", color=(1, 2, 3))),
        by=leader,
    )
    evidence_restore(evidence=sample["gone"], by=leader)
    login_as(leader)
    response = client.get(history_url(demo))
    events = list(response.context["page"].object_list)
    assert [e.action for e in events] == [
        "restore",
        "replace",
        "delete",
        "upload",
        "link",
        "upload",
        "update",
        "upload",
    ]
    assert events == sorted(events, key=lambda e: (e.at, e.id), reverse=True)
    html = response.content.decode()
    assert "Khôi phục" in html and "Thay tệp" in html and "Liên kết" in html
    assert "Lưu Thị Tươi" in html and "Trần Thị Mai" in html
    assert "Phiên bản 2: anh-moi.png" in html

    uploads = client.get(history_url(demo, "?thao-tac=upload")).context["page"].object_list
    assert [e.evidence_id for e in uploads] == [sample["gone"].pk, photo.pk, sample["public"].pk]
    # An unknown action shows everything rather than nothing.
    assert client.get(history_url(demo, "?thao-tac=xyz")).context["page"].paginator.count == 8


def test_history_paginates_and_is_per_assessment(
    client, login_as, demo, sample, upload, monkeypatch, outsider, leader
):
    other = evidence_upload(
        assessment=demo.other_assessment,
        criterion=demo.other_assessment.criteria_set.criteria.get(code="1.1.a"),
        upload=upload("an-lao.pdf", PDF + b"\n% an lao"),
        by=outsider,
    ).evidence
    monkeypatch.setattr(overview_views, "PER_PAGE", 4)
    login_as(leader)
    total = EvidenceEvent.objects.filter(assessment=demo.assessment).count()
    assert total == 6
    pages = [client.get(history_url(demo, f"?trang={n}")).context["page"] for n in (1, 2)]
    assert [len(page.object_list) for page in pages] == [4, 2]
    seen = [e.pk for page in pages for e in page.object_list]
    assert len(set(seen)) == total
    assert other.pk not in {e.evidence_id for page in pages for e in page.object_list}
    assert 'href="?trang=2"' in client.get(history_url(demo)).content.decode()
