"""Browser policies: every page carries the Content-Security-Policy and the other security
headers, signed-in pages and files are never cached, HTTPS is enforced in production, and no
template puts data into code (tests/browser/test_policies.py checks the same in Chromium)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse, HttpResponse
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from criteria.models import Criterion
from evidence.models import Evidence
from evidence.services import evidence_upload
from guards.headers import PrivateCacheMiddleware
from reports import documents
from reports.services import report_create
from tests.evidence.conftest import image_bytes, pdf_bytes

TEMPLATES = Path(settings.BASE_DIR) / "templates"
EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(
        (part.strip().partition(" ")[0], part.strip().partition(" ")[2])
        for part in header.split(";")
    )


def permissions(response) -> dict[str, str]:
    return dict(item.split("=", 1) for item in response["Permissions-Policy"].split(", "))


def assert_site_headers(response) -> None:
    assert csp(response) == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = permissions(response)
    assert policy["camera"] == "(self)"  # evidence photos taken in the portal (issue 13)
    for feature in ("geolocation", "microphone", "payment", "usb", "display-capture"):
        assert policy[feature] == "()", feature


@pytest.fixture
def criterion(demo) -> Criterion:
    return Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code="2.2.e")


@pytest.fixture
def evidence(demo, criterion, own_staff, django_capture_on_commit_callbacks) -> Evidence:
    with django_capture_on_commit_callbacks(execute=True):  # its preview is drawn at the commit
        outcome = evidence_upload(
            assessment=demo.assessment,
            criterion=criterion,
            upload=SimpleUploadedFile("Ảnh.png", image_bytes("PNG"), "image/png"),
            by=own_staff,
        )
    assert outcome.status == "stored", outcome.message
    return outcome.evidence


# Headers of pages


def test_a_signed_in_page_carries_every_policy_and_is_never_cached(
    client, demo, login_as, own_staff
):
    login_as(own_staff)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert_site_headers(response)
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("url", ["/dang-nhap/", "/xac-minh/"])
def test_anonymous_pages_carry_the_policies_too(client, demo, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_site_headers(response)


def test_the_public_verification_page_is_not_forced_out_of_caches(client, demo):
    # Nothing private on it, and anonymous: the header is left to the view (none today).
    assert not client.get("/xac-minh/").has_header("Cache-Control")


def test_an_admin_page_is_never_cached(client, demo, login_as, administrator):
    login_as(administrator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert_site_headers(response)
    assert response["Cache-Control"] == "private, no-store"


def test_the_csrf_failure_page_is_ours_and_needs_no_inline_style(demo):
    response = Client(enforce_csrf_checks=True).post(
        "/dang-nhap/", {"username": "vhxh", "password": "sai"}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Không gửi được biểu mẫu" in html
    assert "<style" not in html
    assert_site_headers(response)


# Files


def test_downloads_are_never_cached(client, demo, login_as, evidence, leader):
    login_as(leader)
    for url in (
        reverse("evidence:download", args=[demo.assessment.pk, evidence.current_file_id]),
        reverse("evidence:thumbnail", args=[demo.assessment.pk, evidence.current_file_id]),
        reverse("reports:units_xlsx", args=[demo.assessment.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url
        assert response["X-Frame-Options"] == "DENY"


def test_a_file_is_never_cached_even_for_an_anonymous_visitor(rf):
    request = rf.get("/tep/")
    request.user = AnonymousUser()

    def send_file(request):
        return FileResponse(io.BytesIO(b"%PDF-1.7"), filename="bao-cao.pdf")

    assert PrivateCacheMiddleware(send_file)(request)["Cache-Control"] == "private, no-store"
    page = PrivateCacheMiddleware(lambda request: HttpResponse("xin chào"))(request)
    assert not page.has_header("Cache-Control")


def test_what_a_view_says_about_caching_does_not_override_it_for_a_signed_in_user(
    rf, demo, own_staff
):
    request = rf.get("/")
    request.user = own_staff

    def cacheable(request):
        response = HttpResponse("x")
        response["Cache-Control"] = "public, max-age=600"
        return response

    assert PrivateCacheMiddleware(cacheable)(request)["Cache-Control"] == "private, no-store"


# HTTPS in production (tests/settings.py turns the redirect off for the plain-HTTP tests)


def test_production_redirects_to_https_and_sends_hsts(client, demo, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = client.get("/dang-nhap/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/dang-nhap/"

    response = client.get("/dang-nhap/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_behind_a_proxy_its_forwarded_protocol_counts(client, demo, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    response = client.get("/dang-nhap/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert client.get("/dang-nhap/", HTTP_X_FORWARDED_PROTO="http").status_code == 301


# The document previews: their one <style> element by nonce, nothing else


def test_document_previews_allow_their_own_style_element_and_nothing_else(
    client, demo, login_as, leader
):
    report = report_create(assessment=demo.assessment, by=leader)
    login_as(leader)
    seen = set()
    for name in ("reports:preview", "reports:appendix_preview"):
        response = client.get(reverse(name, args=[demo.assessment.pk, report.pk]))
        html = response.content.decode()
        policy = csp(response)
        nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9+/=]{20,})'", policy["style-src"])[1]
        assert {**policy, "style-src": "'self'"} == EXPECTED_CSP
        assert html.count("<style") == 1
        assert f'<style nonce="{nonce}">' in html
        assert " style=" not in html
        seen.add(nonce)
    assert len(seen) == 2  # a fresh nonce for every response

    # The PDF is laid out from the HTML without a nonce: same HTML, same cached PDF.
    pdf_html = render_to_string(
        "reports/report_document.html", documents.report_context(report, for_pdf=True)
    )
    assert "<style>" in pdf_html
    assert "nonce" not in pdf_html


# No data inside code


def test_a_hostile_evidence_code_stays_text_in_the_confirmation(
    client, demo, login_as, criterion, own_staff
):
    outcome = evidence_upload(
        assessment=demo.assessment,
        criterion=criterion,
        upload=SimpleUploadedFile("Biên bản.pdf", pdf_bytes(), "application/pdf"),
        by=own_staff,
    )
    hostile = "1'+alert(origin)+'\"><script>alert(1)</script>"
    Evidence.objects.filter(pk=outcome.evidence.pk).update(code=hostile)
    escaped = "1&#x27;+alert(origin)+&#x27;&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    login_as(own_staff)
    for url, headers in (
        (reverse("evidence:detail", args=[demo.assessment.pk, outcome.evidence.pk]), {}),
        (
            reverse("evidence:panel", args=[demo.assessment.pk, criterion.pk]) + "?phan=ds",
            {"HTTP_HX_REQUEST": "true"},
        ),
    ):
        html = client.get(url, **headers).content.decode()
        assert f'data-confirm="Xóa minh chứng {escaped}? Có thể khôi phục sau."' in html, url
        assert "onsubmit" not in html
        assert "<script>alert" not in html


INLINE_CODE = re.compile(
    r"""\s(?:style|on[a-z]+|hx-on[:\w-]*)\s*=   # style and event-handler attributes
      | javascript:                              # script in URLs
      | <script\b(?![^>]*\bsrc=)                 # inline <script> elements
      | <style\b(?![^>]*nonce)                   # <style> elements without the preview nonce
    """,
    re.IGNORECASE | re.VERBOSE,
)


def test_no_template_carries_inline_script_or_style():
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if INLINE_CODE.search(line)
    ]
    assert offenders == []


def test_the_template_scan_would_see_what_it_looks_for():
    for line in (
        '<form onsubmit="return confirm(1)">',
        '<div style="width:5%">',
        '<a href="javascript:history.back()">',
        "<script>alert(1)</script>",
        "<style>p{}</style>",
        '<button hx-on:click="x()">',
    ):
        assert INLINE_CODE.search(line), line
    for line in (
        '<script src="/static/js/portal.js"></script>',
        '<form data-confirm="Xóa?">',
        '<style{% if csp_nonce %} nonce="{{ csp_nonce }}"{% endif %}>',
    ):
        assert not INLINE_CODE.search(line), line
