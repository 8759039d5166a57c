"""Evidence pages and files through the test client: who may do what, uploads through the
real upload handler, download headers, and query counts that do not grow with the list."""

from __future__ import annotations

import datetime as dt
import unicodedata
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse

from assessments.models import Assessment, Assignment, Membership, Unit
from criteria.models import Criterion
from evidence.models import Evidence, EvidenceFile, evidence_storage
from evidence.services import evidence_delete, evidence_link, evidence_replace, evidence_upload
from guards import bounded
from guards.bounded import Outcome
from guards.inline import FILE_CSP
from tests.evidence.conftest import image_bytes, pdf_bytes, stored_files
from tests.guards import pdfs
from tests.queries import at_most

JSON = {"HTTP_ACCEPT": "application/json"}
HTMX = {"HTTP_HX_REQUEST": "true"}
LEAF = "2.2.e"  # led by Phòng Văn hóa - Xã hội; Phòng Kinh tế supports it in these tests

# Who is who (tests/conftest.py): None is an anonymous visitor.
EVERYONE = [
    "vhxh",  # staff of the lead unit
    "kinhte",  # staff of a supporting unit
    "ttpvhcc",  # staff of another unit
    "lanhdao",  # leader
    "chutich",  # leader
    "vanthu",  # secretary
    "admin",  # superuser
    "anlao_vhxh",  # another commune's staff
    "anlao_lanhdao",  # another commune's leader
    None,
]
MAY_UPLOAD = {"vhxh", "kinhte", "lanhdao", "chutich", "vanthu", "admin"}
MAY_DELETE = {"vhxh", "lanhdao", "chutich", "admin"}  # vhxh's unit uploaded the evidence
OUTSIDERS = {"anlao_vhxh", "anlao_lanhdao"}


def leaf(assessment: Assessment, code: str) -> Criterion:
    return Criterion.objects.get(criteria_set=assessment.criteria_set, code=code)


def expected_status(username, allowed: set[str]):
    if username is None:
        return "login"
    if username in OUTSIDERS:
        return 404
    return 200 if username in allowed else 403


def assert_status(response, expected):
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    else:
        assert response.status_code == expected


@pytest.fixture
def criterion(demo):
    return leaf(demo.assessment, LEAF)


@pytest.fixture(autouse=True)
def kinhte_supports(demo, criterion):
    assignment = Assignment.objects.get(assessment=demo.assessment, criterion=criterion)
    assignment.supporting_units.add(Unit.objects.get(commune=demo.commune, name="Phòng Kinh tế"))


@pytest.fixture
def add(demo, criterion, upload, django_capture_on_commit_callbacks):
    """`add(name, data)` stores an evidence of 2.2.e uploaded by vhxh, through the service,
    and commits (the preview task runs in process, as without a broker)."""

    def _add(name="Biên bản họp.pdf", data=None, *, by="vhxh", on=None):
        with django_capture_on_commit_callbacks(execute=True):
            outcome = evidence_upload(
                assessment=demo.assessment,
                criterion=on or criterion,
                upload=upload(name, data if data is not None else pdf_bytes()),
                by=demo.user(by),
            )
        assert outcome.status == "stored", outcome.message
        return outcome.evidence

    return _add


def url(name, demo, *args):
    return reverse(f"evidence:{name}", args=[demo.assessment.pk, *args])


# Permission matrix


@pytest.mark.parametrize("username", EVERYONE)
def test_upload_permission(client, demo, login_as, criterion, media_root, upload, username):
    if username:
        login_as(username)
    expected = expected_status(username, MAY_UPLOAD)

    response = client.post(
        url("upload", demo, criterion.pk),
        {"files": [upload("Biên bản họp.pdf", pdf_bytes())]},
        **JSON,
    )

    assert_status(response, expected)
    if expected == 200:
        [result] = response.json()["results"]
        assert result["status"] == "stored"
        assert Evidence.objects.get().created_by.username == username
    else:
        assert not Evidence.objects.exists()
        assert stored_files(media_root) == []


@pytest.mark.parametrize("username", EVERYONE)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
def test_panel_permission(client, demo, login_as, criterion, add, username, htmx):
    evidence = add()
    if username:
        login_as(username)
    everyone_inside = {u for u in EVERYONE if u and u not in OUTSIDERS}

    response = client.get(url("panel", demo, criterion.pk), **(HTMX if htmx else {}))

    assert_status(response, expected_status(username, everyone_inside))
    if response.status_code == 200:
        html = response.content.decode()
        assert evidence.code in html
        assert ("data-upload-form" in html) is (username in MAY_UPLOAD)
        assert ("<html" in html) is not htmx


def test_list_refresh_returns_only_the_list(client, demo, login_as, criterion, add, own_staff):
    evidence = add()
    login_as(own_staff)

    response = client.get(url("panel", demo, criterion.pk) + "?phan=ds", **HTMX)

    html = response.content.decode()
    assert evidence.code in html
    assert 'data-testid="evidence-list"' in html
    assert ' id="evidence-list"' not in html  # swapped into the wrapper, which stays
    assert "data-upload-form" not in html


@pytest.mark.parametrize("username", EVERYONE)
def test_download_permission(client, demo, login_as, add, username):
    data = pdf_bytes()
    evidence = add(data=data)
    if username:
        login_as(username)
    everyone_inside = {u for u in EVERYONE if u and u not in OUTSIDERS}

    response = client.get(url("download", demo, evidence.current_file_id))

    assert_status(response, expected_status(username, everyone_inside))
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == data


@pytest.mark.parametrize("username", EVERYONE)
def test_delete_permission(client, demo, login_as, add, media_root, username):
    evidence = add()
    files = stored_files(media_root)
    if username:
        login_as(username)
    expected = expected_status(username, MAY_DELETE)

    response = client.post(url("delete", demo, evidence.pk))

    evidence.refresh_from_db()
    if expected == 200:
        assert response.status_code == 302
        assert evidence.is_deleted
    else:
        assert_status(response, expected)
        assert not evidence.is_deleted
    assert stored_files(media_root) == files  # never removed from disk


@pytest.mark.parametrize("username", EVERYONE)
def test_restore_permission(client, demo, login_as, add, username, own_staff):
    evidence = add()
    evidence_delete(evidence=evidence, by=own_staff)
    if username:
        login_as(username)
    expected = expected_status(username, MAY_DELETE)

    response = client.post(url("restore", demo, evidence.pk))

    evidence.refresh_from_db()
    if expected == 200:
        assert response.status_code == 302
        assert not evidence.is_deleted
    else:
        assert_status(response, expected)
        assert evidence.is_deleted


def test_a_colleague_of_the_uploader_may_delete(client, demo, add):
    evidence = add()
    colleague = get_user_model().objects.create_user("vhxh2", password="x")
    Membership.objects.create(
        user=colleague,
        commune=demo.commune,
        unit=Unit.objects.get(commune=demo.commune, name="Phòng Văn hóa - Xã hội"),
        role=Membership.Role.STAFF,
    )
    client.force_login(colleague)

    response = client.post(url("delete", demo, evidence.pk))

    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.is_deleted


def test_delete_returns_to_the_page_it_came_from_but_never_off_site(
    client, demo, login_as, add, own_staff
):
    first, second = add(), add("Ảnh.png", image_bytes("PNG"))
    login_as(own_staff)
    page = reverse("assessments:criterion", args=[demo.assessment.pk, first.criterion_id])

    back = client.post(url("delete", demo, first.pk), {"next": page})
    away = client.post(url("delete", demo, second.pk), {"next": "https://evil.example/"})

    assert back["Location"] == page
    assert away["Location"] == url("detail", demo, second.pk)


def test_locked_assessment_refuses_upload_and_delete(
    client, demo, login_as, criterion, add, upload, leader
):
    evidence = add()
    Assessment.objects.filter(pk=demo.assessment.pk).update(status=Assessment.Status.LOCKED)
    login_as(leader)

    uploaded = client.post(
        url("upload", demo, criterion.pk),
        {"files": [upload("Mới.pdf", pdf_bytes(pages=2))]},
        **JSON,
    )
    delete = client.post(url("delete", demo, evidence.pk))
    panel = client.get(url("panel", demo, criterion.pk), **HTMX)

    assert uploaded.status_code == 403
    assert delete.status_code == 403
    assert Evidence.objects.count() == 1
    assert "data-upload-form" not in panel.content.decode()


# Uploads through the real request parser


def test_each_file_goes_in_its_own_request(
    client,
    demo,
    login_as,
    criterion,
    upload,
    media_root,
    own_staff,
    django_capture_on_commit_callbacks,
):
    login_as(own_staff)
    page = b"<!DOCTYPE html><html><body>Trang web</body></html>"
    files = [
        upload("Biên bản họp.pdf", pdf_bytes()),
        upload("Quyết định.pdf", page),
        upload("Ảnh hội nghị.png", image_bytes("PNG")),
    ]

    results = []
    for file in files:
        with django_capture_on_commit_callbacks(execute=True):  # each request commits
            response = client.post(url("upload", demo, criterion.pk), {"files": [file]}, **JSON)
        assert response.status_code == 200
        results += response.json()["results"]

    assert [(r["name"], r["status"]) for r in results] == [
        ("Biên bản họp.pdf", "stored"),
        ("Quyết định.pdf", "refused"),
        ("Ảnh hội nghị.png", "stored"),
    ]
    stored = results[0]
    assert set(stored) == {"name", "status", "message", "code", "id"}
    assert stored["code"] == "MC-2.2.e-01"
    assert Evidence.objects.get(pk=stored["id"]).code == "MC-2.2.e-01"
    assert results[2]["code"] == "MC-2.2.e-02"
    assert "trang web" in results[1]["message"]
    assert "code" not in results[1]
    assert len(stored_files(media_root)) == 4  # two files, two thumbnails


def test_a_second_file_in_one_request_is_refused_by_name(
    client, demo, login_as, criterion, upload, settings, tmp_path, own_staff
):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "spool"
    login_as(own_staff)

    response = client.post(
        url("upload", demo, criterion.pk),
        {"files": [upload("Biên bản.pdf", pdf_bytes()), upload("Thêm.pdf", pdf_bytes(pages=2))]},
        **JSON,
    )

    results = {r["name"]: r for r in response.json()["results"]}
    assert results["Biên bản.pdf"]["status"] == "stored"
    assert results["Thêm.pdf"]["status"] == "refused"
    assert "Mỗi lần chỉ gửi một tệp" in results["Thêm.pdf"]["message"]
    assert [f.original_name for f in EvidenceFile.objects.all()] == ["Biên bản.pdf"]
    assert list((tmp_path / "spool").iterdir()) == []  # no temporary file left behind


def test_an_upload_that_crashes_leaves_no_temporary_file(
    client,
    demo,
    login_as,
    criterion,
    upload,
    settings,
    tmp_path,
    monkeypatch,
    media_root,
    own_staff,
):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "spool"  # where the upload handler writes it

    def disk_full(name, content, max_length=None):
        raise OSError("Ổ đĩa đầy")

    monkeypatch.setattr(evidence_storage, "_save", disk_full)
    client.raise_request_exception = False
    login_as(own_staff)

    response = client.post(
        url("upload", demo, criterion.pk), {"files": [upload("Biên bản.pdf", pdf_bytes())]}
    )

    assert response.status_code == 500
    assert list((tmp_path / "spool").iterdir()) == []
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_duplicate_upload_offers_the_existing_evidence(
    client, demo, login_as, add, upload, own_staff
):
    data = pdf_bytes(pages=3)
    existing = add("Kế hoạch.pdf", data, on=leaf(demo.assessment, "2.2.b"))
    login_as(own_staff)
    target = leaf(demo.assessment, LEAF)

    response = client.post(
        url("upload", demo, target.pk), {"files": [upload("Bản sao.pdf", data)]}, **JSON
    )

    [result] = response.json()["results"]
    assert result["status"] == "duplicate"
    assert result["duplicate"] == {
        "id": existing.pk,
        "code": "MC-2.2.b-01",
        "title": "Kế hoạch",
        "already_linked": False,
        "link_url": url("link", demo, target.pk),
    }
    assert Evidence.objects.count() == 1

    again = client.post(
        url("upload", demo, target.pk),
        {"files": [upload("Bản sao.pdf", data)], "allow_duplicate": "1"},
        **JSON,
    )
    assert again.json()["results"][0]["code"] == "MC-2.2.e-01"


def test_file_over_the_limit_is_refused_by_name_and_nothing_kept(
    client, demo, login_as, criterion, upload, settings, media_root, own_staff
):
    small, big = pdf_bytes(), pdf_bytes(pages=10)
    # The request may be a little larger than the limit (the form around the file), so the
    # handler, not the declared length, refuses this one.
    settings.EVIDENCE_MAX_UPLOAD_SIZE = len(big) - 100
    login_as(own_staff)

    big_name = unicodedata.normalize("NFD", "Hồ sơ lớn.pdf")  # as some Mac browsers send it

    response = client.post(
        url("upload", demo, criterion.pk), {"files": [upload(big_name, big)]}, **JSON
    )
    small_response = client.post(
        url("upload", demo, criterion.pk), {"files": [upload("Biên bản.pdf", small)]}, **JSON
    )

    [result] = response.json()["results"]
    assert result["name"] == "Hồ sơ lớn.pdf"
    assert result["status"] == "refused"
    assert "lớn hơn giới hạn" in result["message"]
    assert small_response.json()["results"][0]["status"] == "stored"
    assert [f.original_name for f in EvidenceFile.objects.all()] == ["Biên bản.pdf"]
    assert all(path.stat().st_size != len(big) for path in stored_files(media_root))


def test_request_declared_larger_than_the_limit_is_refused_before_reading(
    client, demo, login_as, criterion, settings, own_staff
):
    settings.EVIDENCE_MAX_UPLOAD_SIZE = 1024 * 1024
    login_as(own_staff)

    response = client.generic(
        "POST",
        url("upload", demo, criterion.pk),
        b"",  # the body is never read: the declared length alone decides
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(20 * 1024 * 1024),
        **JSON,
    )

    assert response.status_code == 413
    assert response.json()["results"][0]["message"] == "Tệp lớn hơn giới hạn 1 MB."
    assert not EvidenceFile.objects.exists()


def test_upload_without_javascript_redirects_with_messages(
    client, demo, login_as, criterion, upload, settings, own_staff
):
    small, big = pdf_bytes(), pdf_bytes(pages=10)
    settings.EVIDENCE_MAX_UPLOAD_SIZE = len(big) - 100
    login_as(own_staff)

    refused = client.post(
        url("upload", demo, criterion.pk), {"files": [upload("Hồ sơ lớn.pdf", big)]}
    )
    stored = client.post(
        url("upload", demo, criterion.pk), {"files": [upload("Biên bản.pdf", small)]}
    )

    for response in (refused, stored):
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "assessments:criterion", args=[demo.assessment.pk, criterion.pk]
        )
    texts = [str(m) for m in get_messages(stored.wsgi_request)]
    assert any(
        t.startswith("Không nhận “Hồ sơ lớn.pdf”") and "lớn hơn giới hạn" in t for t in texts
    )
    assert "Đã tải lên “Biên bản.pdf” thành MC-2.2.e-01." in texts


def test_upload_with_no_file_says_so(client, demo, login_as, criterion, own_staff):
    login_as(own_staff)

    response = client.post(url("upload", demo, criterion.pk), {}, **JSON)

    assert response.json() == {
        "results": [{"name": "", "status": "refused", "message": "Chưa chọn tệp nào."}]
    }


def test_upload_to_a_parent_criterion_is_404(client, demo, login_as, upload, leader):
    login_as(leader)

    response = client.post(
        url("upload", demo, leaf(demo.assessment, "2.2").pk),
        {"files": [upload("a.pdf", pdf_bytes())]},
        **JSON,
    )

    assert response.status_code == 404


# Downloads


def test_download_headers(client, demo, login_as, add, leader):
    name = "Biên bản họp dân số 12.pdf"
    evidence = add(name)
    login_as(leader)

    response = client.get(url("download", demo, evidence.current_file_id))

    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(name)}" in disposition
    assert "Bi%C3%AAn%20b%E1%BA%A3n" in disposition
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("name", "data", "content_type", "inline"),
    [
        ("Kế hoạch.pdf", pdf_bytes(), "application/pdf", True),
        ("Ảnh.png", image_bytes("PNG"), "image/png", True),
        ("Ảnh.jpg", image_bytes("JPEG"), "image/jpeg", True),
        (
            "Công văn.doc",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1528,
            "application/msword",
            False,
        ),
    ],
)
def test_view_in_browser_only_for_pdf_and_images(
    client, demo, login_as, add, name, data, content_type, inline, own_staff
):
    evidence = add(name, data)
    login_as(own_staff)

    response = client.get(url("download", demo, evidence.current_file_id) + "?xem=1")

    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;" if inline else "attachment;")
    # PDFs too: Chromium's viewer shows them in a sandboxed document (guards.inline).
    assert response["Content-Security-Policy"] == FILE_CSP
    assert response["Content-Security-Policy"].startswith("sandbox;")
    assert "default-src 'none'" in response["Content-Security-Policy"]


@pytest.fixture
def fresh_verdicts():
    """Script verdicts are cached by SHA-256 in the default cache; start each test without."""
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    "make",
    [
        pdfs.open_action,
        pdfs.escaped_names,
        pdfs.packed_document_script,
        pdfs.script_link,
    ],
)
def test_a_pdf_carrying_javascript_downloads_instead_of_opening(
    client, demo, login_as, add, fresh_verdicts, make, leader
):
    evidence = add("Tờ trình.pdf", make())
    login_as(leader)

    response = client.get(url("download", demo, evidence.current_file_id) + "?xem=1")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == FILE_CSP
    assert b"".join(response.streaming_content) == make()  # the file itself, unchanged


def test_a_pdf_without_script_opens_inline_even_with_object_streams(
    client, demo, login_as, add, fresh_verdicts, leader
):
    evidence = add("Tờ trình.pdf", pdfs.packed_clean())
    login_as(leader)

    response = client.get(url("download", demo, evidence.current_file_id) + "?xem=1")

    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"] == FILE_CSP


def test_a_pdf_the_scan_cannot_finish_downloads(
    client, demo, login_as, add, fresh_verdicts, monkeypatch, leader
):
    evidence = add("Kế hoạch.pdf", pdf_bytes())
    monkeypatch.setattr(
        "guards.inline.bounded.run", lambda *a, **k: Outcome("timeout", error="over 20 s")
    )
    login_as(leader)

    response = client.get(url("download", demo, evidence.current_file_id) + "?xem=1")

    assert response["Content-Disposition"].startswith("attachment;")


def test_the_script_verdict_is_remembered_by_content(
    client, demo, login_as, add, fresh_verdicts, monkeypatch, leader
):
    scans, real_run = [], bounded.run

    def counting_run(func, *args, **kwargs):
        if func.__name__ == "pdf_script_signs":  # thumbnails run in a child too
            scans.append(args)
        return real_run(func, *args, **kwargs)

    monkeypatch.setattr("guards.inline.bounded.run", counting_run)
    evidence = add("Kế hoạch.pdf", pdf_bytes())
    login_as(leader)
    view = url("download", demo, evidence.current_file_id) + "?xem=1"

    first, second = client.get(view), client.get(view)

    assert first["Content-Disposition"].startswith("inline;")
    assert second["Content-Disposition"].startswith("inline;")
    assert len(scans) == 1
    assert client.get(url("download", demo, evidence.current_file_id))["Content-Disposition"]
    assert len(scans) == 1  # a plain download does not scan


def test_older_versions_stay_downloadable(
    client, demo, login_as, add, upload, own_staff, secretary
):
    first_bytes = pdf_bytes()
    evidence = add("Kế hoạch.pdf", first_bytes)
    first = evidence.current_file
    evidence_replace(
        evidence=evidence, upload=upload("Kế hoạch v2.pdf", pdf_bytes(2)), by=own_staff
    )
    login_as(secretary)

    response = client.get(url("download", demo, first.pk))

    assert b"".join(response.streaming_content) == first_bytes


def test_thumbnail_is_a_jpeg_for_members_only(client, demo, login_as, add, centre_staff, outsider):
    evidence = add("Ảnh.png", image_bytes("PNG"))
    thumb_url = url("thumbnail", demo, evidence.current_file_id)

    login_as(centre_staff)
    response = client.get(thumb_url)
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")

    login_as(outsider)
    assert client.get(thumb_url).status_code == 404


def test_a_file_of_another_assessment_is_404(
    client, demo, login_as, upload, outsider_staff, administrator
):
    outsider = outsider_staff
    theirs = evidence_upload(
        assessment=demo.other_assessment,
        criterion=leaf(demo.other_assessment, LEAF),
        upload=upload("Của xã khác.pdf", pdf_bytes()),
        by=outsider,
    ).evidence
    login_as(administrator)

    # Their file, asked for under our assessment's address.
    response = client.get(url("download", demo, theirs.current_file_id))

    assert response.status_code == 404


# Describing an evidence


def test_detail_page_saves_the_description(client, demo, login_as, add, own_staff):
    evidence = add()
    login_as(own_staff)

    response = client.post(
        url("detail", demo, evidence.pk),
        {
            "title": "Biên bản họp dân khu phố 3",
            "doc_number": "12/BB-UBND",
            "issue_date": "10/02/2026",
            "issuer": "UBND xã Nghi Dương",
            "location": "trang 2, mục I",
        },
        follow=True,
    )

    evidence.refresh_from_db()
    assert evidence.title == "Biên bản họp dân khu phố 3"
    assert evidence.doc_number == "12/BB-UBND"
    assert evidence.issue_date == dt.date(2026, 2, 10)
    assert evidence.location == "trang 2, mục I"
    html = response.content.decode()
    assert "Đã lưu thông tin MC-2.2.e-01." in html
    assert "nằm ngoài kỳ đánh giá" not in html


def test_detail_page_warns_about_a_date_outside_the_period(client, demo, login_as, add, leader):
    evidence = add()
    login_as(leader)

    response = client.post(
        url("detail", demo, evidence.pk),
        {"title": "Kế hoạch năm trước", "issue_date": "10/02/2025"},
        follow=True,
    )

    evidence.refresh_from_db()
    assert evidence.issue_date == dt.date(2025, 2, 10)  # saved all the same
    html = response.content.decode()
    assert "Ngày ban hành 10/02/2025 nằm ngoài kỳ đánh giá" in html
    assert "01/01/2026 – 30/06/2026" in html


@pytest.mark.parametrize("username", ["ttpvhcc", "kinhte", "vanthu"])
def test_detail_page_edit_is_refused_to_others(client, demo, login_as, add, username):
    evidence = add()
    login_as(username)

    shown = client.get(url("detail", demo, evidence.pk))
    posted = client.post(url("detail", demo, evidence.pk), {"title": "Sửa trộm"})

    assert shown.status_code == 200
    assert "Lưu thông tin" not in shown.content.decode()
    assert posted.status_code == 403
    evidence.refresh_from_db()
    assert evidence.title == "Biên bản họp"


def test_detail_page_of_another_commune_is_404(client, demo, login_as, add, outsider):
    evidence = add()
    login_as(outsider)

    assert client.get(url("detail", demo, evidence.pk)).status_code == 404


# Query counts do not grow with the number of evidence


def fill(demo, criterion, upload, count: int, people) -> None:
    """`count` more live evidence of 2.2.e (half uploaded there, half reused from 2.2.b, by
    `people` in turn: staff, then a leader without a unit) and `count // 2` more deleted ones."""
    other = leaf(demo.assessment, "2.2.b")
    start = Evidence.objects.count()
    for i in range(count + count // 2):
        by = people[i % 2]
        home = other if i % 2 and i < count else criterion
        colour = (start + i, 0, 0)  # different bytes, so no file is a duplicate of another
        evidence = evidence_upload(
            assessment=demo.assessment,
            criterion=home,
            upload=upload(f"Ảnh {start + i}.png", image_bytes("PNG", size=(8, 8), color=colour)),
            by=by,
        ).evidence
        if home == other:
            evidence_link(evidence=evidence, criterion=criterion, by=by)
        if i >= count:
            evidence_delete(evidence=evidence, by=by)


def count_queries(client, path, pin, **headers) -> int:
    """The queries of one GET of `path` (answered 200), within `pin` (ceiling, names)."""
    with at_most(*pin) as queries:
        response = client.get(path, **headers)
    assert response.status_code == 200
    return len(queries)


# Expect at most 11 queries: session, user, membership, assessment, assignment, supporting
# units, evidence, their links, score, reused evidence, their links; as a whole page
# (without htmx) also the commune and the user's unit (13).
# Staff also read their unit's own deadline (once, for every row); a whole page has the bell.
PANEL = (
    12,
    "session, user, membership, assessment, assignment, units, evidence, links, score, reused evidence, links, unit deadlines",
)
PANEL_PAGE = (15, "the panel's 12, commune, unit, bell")
# Expect at most 14 queries: session, user, membership, assessment, assignment, supporting
# units, criterion, score, whether it has evidence (the warning), commune, unit, the score's
# events, the unit's own deadline, the bell.
CRITERION_PAGE = (
    14,
    "session, user, membership, assessment, assignment, units, criterion, score, has evidence, commune, unit, events, unit deadlines, bell",
)
# Expect at most 11 queries: session, user, membership, assessment, evidence, score, its
# links, commune, links with their criteria, files, events.
DETAIL = (
    12,
    "session, user, membership, assessment, evidence, score, links, commune, links, files, events, bell",
)


@pytest.mark.parametrize("username", ["vhxh", "lanhdao", "ttpvhcc"])
@pytest.mark.parametrize(
    ("query", "headers"), [("", HTMX), ("?phan=ds", HTMX), ("", {})], ids=["htmx", "list", "page"]
)
def test_panel_queries_do_not_grow(
    client, demo, login_as, criterion, upload, username, query, headers, own_staff, leader
):
    login_as(username)
    path = url("panel", demo, criterion.pk) + query

    fill(demo, criterion, upload, 2, [own_staff, leader])
    pin = PANEL if headers else PANEL_PAGE
    few = count_queries(client, path, pin, **headers)
    assert client.get(path, **headers).content.decode().count("evidence-item") == 2
    fill(demo, criterion, upload, 18, [own_staff, leader])
    many = count_queries(client, path, pin, **headers)
    html = client.get(path, **headers).content.decode()

    assert html.count('class="card mb-2 evidence-item"') == 20
    assert many == few


def test_criterion_page_queries_do_not_grow(
    client, demo, login_as, criterion, upload, own_staff, leader
):
    login_as(own_staff)
    path = reverse("assessments:criterion", args=[demo.assessment.pk, criterion.pk])

    fill(demo, criterion, upload, 2, [own_staff, leader])
    few = count_queries(client, path, CRITERION_PAGE)
    fill(demo, criterion, upload, 18, [own_staff, leader])
    many = count_queries(client, path, CRITERION_PAGE)

    assert many == few


def test_evidence_detail_queries_do_not_grow(client, demo, login_as, add, upload, leader):
    evidence = add()
    login_as(leader)  # a leader also sees the history
    path = url("detail", demo, evidence.pk)
    others = [c for c in Assignment.objects.filter(assessment=demo.assessment)]

    def grow(versions, start=0):
        for i in range(start, start + versions):
            data = image_bytes("PNG", size=(8, 8), color=(0, i, 0))  # each version differs
            evidence_replace(evidence=evidence, upload=upload(f"Bản {i}.png", data), by=leader)
            evidence_link(evidence=evidence, criterion=others.pop().criterion, by=leader)

    grow(1)
    few = count_queries(client, path, DETAIL)
    grow(18, start=1)
    many = count_queries(client, path, DETAIL)

    assert evidence.versions.count() == 20
    assert many == few
