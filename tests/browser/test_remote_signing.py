"""Remote signing in a real browser: the signer sends the request from the issued report, the
waiting page polls (htmx) while the phone has not answered, and opens the signed report once
the signer confirms on the phone (the test CSC service, backed by the demo signer's key)."""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from playwright.sync_api import expect

from reports.demo.signing import DEMO_PASSPHRASE, demo_signing_setup
from reports.models import IssuedFile, RemoteSigning, SigningKey, TrustAnchor
from reports.services import report_create
from reports.services.issuing import report_issue
from reports.services.signing_keys import signing_key_add_csc
from reports.signing import validate_pdf
from tests.browser.test_issue_sign import log_in
from tests.reports.csc_service import CLIENT_ID, CLIENT_SECRET, CSCTestService, serve

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def phone(demo_scored, settings):
    """The test CSC service holding the demo signer's key (the one of their .p12 file), so
    the portal's trusted test root vouches for the remote signature too."""
    demo_signing_setup(commune=demo_scored.commune)
    person = SigningKey.objects.get(commune=demo_scored.commune, owner__isnull=False)
    with person.pkcs12.open("rb") as handle:
        key, cert, extra = pkcs12.load_key_and_certificates(handle.read(), DEMO_PASSPHRASE.encode())
    service = CSCTestService()
    service.add_credential(
        "smartca-01",
        user_id="lanhdao",
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        chain_pem=[c.public_bytes(serialization.Encoding.PEM) for c in [cert, *extra]],
    )
    server = serve(service)
    settings.SIGNING_CSC_URL = service.url
    settings.SIGNING_CSC_CLIENT_ID = CLIENT_ID
    settings.SIGNING_CSC_CLIENT_SECRET = CLIENT_SECRET
    settings.SIGNING_TSA_URL = ""
    yield service
    server.shutdown()
    server.server_close()


def test_the_signer_confirms_on_the_phone(live_server, demo_scored, phone, page, screenshot):
    leader = demo_scored.user("lanhdao")
    report = report_issue(
        report=report_create(assessment=demo_scored.assessment, by=demo_scored.user("vanthu")),
        by=demo_scored.user("vanthu"),
    )
    signing_key_add_csc(
        commune=demo_scored.commune,
        owner=leader,
        label="SmartCA THỬ NGHIỆM",
        user_id="lanhdao",
        is_test=True,
    )
    issued_url = (
        f"{live_server.url}/ky-danh-gia/{report.assessment_id}/bao-cao/{report.pk}/da-ban-hanh/"
    )

    log_in(page, live_server.url, "lanhdao")
    page.goto(issued_url)
    form = page.get_by_test_id("remote-sign")
    form.get_by_label("Tôi đã đọc văn bản và đồng ý ký").check()
    form.get_by_role("button", name="Gửi yêu cầu ký").click()
    expect(page.get_by_text("Đang chờ xác nhận trên điện thoại")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/ky-so-tu-xa/\d+/$"))
    screenshot("remote-waiting")
    # The page keeps asking while the phone has not answered.
    page.wait_for_timeout(5_000)
    assert phone.count("credentials/authorize") >= 3  # the start, then a poll every 2 s
    expect(page.get_by_test_id("remote-status")).to_have_attribute("data-status", "waiting")
    assert not report.files.filter(stage=IssuedFile.Stage.PERSON).exists()

    phone.approve()
    expect(page).to_have_url(issued_url, timeout=15_000)
    expect(page.locator('.alert-success[role="alert"]')).to_contain_text("Đã ký số")
    screenshot("remote-signed")

    signing = RemoteSigning.objects.get(report=report)
    assert signing.status == RemoteSigning.Status.SIGNED
    person = report.files.get(kind=IssuedFile.Kind.REPORT, stage=IssuedFile.Stage.PERSON)
    roots = [anchor.certificate_pem.encode() for anchor in TrustAnchor.objects.all()]
    [check] = validate_pdf(person.read(), trust_roots=roots)
    assert check.ok, check
