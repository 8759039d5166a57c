"""Remote signing through a CSC service (the signer confirms on the phone): the PDF layer
against the test service, then the portal's flow end to end."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pyhanko.sign.signers import SimpleSigner

from assessments.access import report_reference
from audit.models import AuditEntry
from reports.demo.signing import DEMO_PASSPHRASE
from reports.models import (
    DocumentEvent,
    IssuedFile,
    RemoteSigning,
    SignatureRecord,
    SigningKey,
    TrustAnchor,
)
from reports.services.remote_signing import remote_sign_poll, remote_sign_start
from reports.services.signing import report_sign_organisation
from reports.services.signing_keys import signing_key_add_csc
from reports.signing import Appearance, validate_pdf
from reports.signing.csc import MAX_RESPONSE_BYTES, CSCService
from reports.signing.remote import (
    Outcome,
    PreparedPdf,
    RemoteCredential,
    RemoteError,
    RemoteResult,
    SigningRequest,
    finish_pdf,
    prepare_pdf,
)
from tests.audit.test_concurrency import patiently
from tests.reports.conftest import SIGNATURE_BOX, SIGNER_NAME
from tests.reports.csc_service import CLIENT_ID, CLIENT_SECRET, CSCTestService, serve

CREDENTIAL = "cqtt-nguoi-ky-01"


@pytest.fixture
def csc(pki):
    """The test CSC service with the test CA's signer as credential CREDENTIAL."""
    service = CSCTestService()
    service.add_credential(
        CREDENTIAL,
        user_id="nguoiky",
        key_pem=pki.signer_key_pem,
        chain_pem=[pki.signer_cert_pem, pki.root_pem],
    )
    server = serve(service)
    yield service
    server.shutdown()
    server.server_close()


def client(csc: CSCTestService, **kwargs) -> CSCService:
    return CSCService(url=csc.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **kwargs)


# -- the PDF layer and the CSC client ------------------------------------------------------------


def _prepare(service: CSCService, pdf: bytes):
    credential_id, credential = service.credential(CREDENTIAL)
    prepared = prepare_pdf(
        pdf,
        credential=credential,
        field_name="ChuKyNguoiKy",
        appearance=Appearance(page=-1, box=SIGNATURE_BOX, text=SIGNER_NAME),
        reason="Ký ban hành",
        location="Nghi Dương",
    )
    request = SigningRequest(
        credential_id=credential_id,
        digest=prepared.digest,
        signed_data=prepared.signed_attrs,
        description="Ký báo cáo số 01/BC-UBND",
    )
    return prepared, request


def test_signed_through_the_service_after_the_phone_confirms(csc, pki, report_pdf):
    service = client(csc)
    assert service.info()["specs"] == "1.0.4.0"
    prepared, request = _prepare(service, report_pdf)
    transaction = service.start(request)
    assert csc.waiting() == [transaction]
    assert csc.transactions[transaction].description == "Ký báo cáo số 01/BC-UBND"

    assert service.poll(transaction, request).outcome == Outcome.PENDING
    assert csc.count("signatures/signHash") == 0
    csc.approve()
    result = service.poll(transaction, request)
    assert result.outcome == Outcome.SIGNED

    signed, info, _at = finish_pdf(prepared, result)
    assert info.common_name == SIGNER_NAME
    [check] = validate_pdf(signed, trust_roots=[pki.root_pem])
    assert check.ok, check
    assert check.field_name == "ChuKyNguoiKy"
    assert check.signer.common_name == SIGNER_NAME


def test_the_state_survives_storage(csc, pki, report_pdf):
    """Finishing reads only what the portal stores between the two requests."""
    service = client(csc)
    prepared, request = _prepare(service, report_pdf)
    transaction = service.start(request)
    csc.approve()
    result = service.poll(transaction, request)
    again = PreparedPdf.from_state(prepared.pdf, prepared.state())
    signed, _info, _at = finish_pdf(again, result)
    [check] = validate_pdf(signed, trust_roots=[pki.root_pem])
    assert check.ok


def test_refused_on_the_phone(csc, report_pdf):
    service = client(csc)
    _prepared, request = _prepare(service, report_pdf)
    transaction = service.start(request)
    csc.refuse()
    result = service.poll(transaction, request)
    assert result.outcome == Outcome.REFUSED
    assert result.message == "Người ký đã từ chối"
    assert csc.count("signatures/signHash") == 0


def test_a_signature_that_does_not_match_the_certificate_is_refused(csc, pki, report_pdf):
    service = client(csc)
    prepared, _request = _prepare(service, report_pdf)
    with pytest.raises(RemoteError, match="không khớp với chứng thư"):
        finish_pdf(prepared, RemoteResult(outcome=Outcome.SIGNED, signature=b"\x01" * 256))


def test_wrong_client_secret_and_unreachable_service(csc):
    wrong = CSCService(url=csc.url, client_id=CLIENT_ID, client_secret="sai")
    with pytest.raises(RemoteError, match="không chấp nhận tài khoản"):
        wrong.credential(CREDENTIAL)
    nowhere = CSCService(url="http://127.0.0.1:9", client_id=CLIENT_ID, request_timeout=2)
    with pytest.raises(RemoteError, match="Không kết nối được"):
        nowhere.credential(CREDENTIAL)


def test_the_only_credential_of_a_user(csc):
    credential_id, credential = client(csc).credential("", user_id="nguoiky")
    assert credential_id == CREDENTIAL
    assert len(credential.chain) == 1
    with pytest.raises(RemoteError, match="credentialID"):
        client(csc).credential("", user_id="khong-co")


# -- the portal's flow -----------------------------------------------------------------------------


@pytest.fixture
def remote(csc, settings):
    settings.SIGNING_CSC_URL = csc.url
    settings.SIGNING_CSC_CLIENT_ID = CLIENT_ID
    settings.SIGNING_CSC_CLIENT_SECRET = CLIENT_SECRET
    settings.SIGNING_CSC_TIMEOUT_SECONDS = 300
    settings.SIGNING_TSA_URL = ""
    return csc


@pytest.fixture
def csc_key(remote, demo_scored, leader):
    """The signer's (leader's) credential at the test service, registered as the admin does."""
    return signing_key_add_csc(
        commune=demo_scored.commune,
        owner=leader,
        label="Ký số từ xa THỬ NGHIỆM – Lưu Thị Tươi",
        credential_id=CREDENTIAL,
        is_test=True,
    )


def _urls(report, signing=None) -> dict:
    args = [report.assessment_id, report.pk]
    urls = {
        "issued": reverse("reports:issued", args=args),
        "start": reverse("reports:remote_start", args=args),
        "sign": reverse("reports:sign", args=args),
    }
    if signing is not None:
        urls["page"] = reverse("reports:remote_signing", args=[*args, signing.pk])
        urls["status"] = reverse("reports:remote_status", args=[*args, signing.pk])
    return urls


def _start(client, report, key):
    response = client.post(_urls(report)["start"], {"key": key.pk, "confirm": "on"})
    signing = RemoteSigning.objects.filter(report=report).order_by("-pk").first()
    assert signing is not None, [str(m) for m in get_messages(response.wsgi_request)]
    assert response.status_code == 302
    assert response["Location"] == _urls(report, signing)["page"]
    return signing


def _poll(client, report, signing):
    return client.post(_urls(report, signing)["status"], HTTP_HX_REQUEST="true")


def test_the_signer_signs_on_the_phone_and_the_organisation_seals(
    client, issued, keys, csc_key, remote, pki, leader, secretary
):
    client.force_login(leader)
    page = client.get(_urls(issued)["issued"]).content.decode()
    assert 'data-testid="remote-sign"' in page
    assert csc_key.label in page
    assert csc_key.subject and csc_key.serial

    signing = _start(client, issued, csc_key)
    assert signing.status == RemoteSigning.Status.WAITING
    assert remote.waiting() == [signing.transaction]
    assert report_reference(issued) in remote.transactions[signing.transaction].description

    waiting = client.get(_urls(issued, signing)["page"]).content.decode()
    assert "Đang chờ xác nhận trên điện thoại" in waiting
    assert 'hx-trigger="every 2s"' in waiting
    # The issued page says a request waits, and does not offer a second one.
    page = client.get(_urls(issued)["issued"]).content.decode()
    assert 'data-testid="remote-waiting"' in page
    assert 'data-testid="remote-sign"' not in page

    pending = _poll(client, issued, signing)
    assert pending.status_code == 200
    assert 'data-status="waiting"' in pending.content.decode()
    assert not issued.files.filter(stage=IssuedFile.Stage.PERSON).exists()

    remote.approve()  # the signer confirms on the phone
    done = _poll(client, issued, signing)
    assert done.status_code == 200
    assert done["HX-Redirect"] == _urls(issued)["issued"]
    signing.refresh_from_db()
    assert signing.status == RemoteSigning.Status.SIGNED
    assert signing.prepared_pdf in (b"", memoryview(b""))
    landed = client.get(_urls(issued)["issued"])
    assert f"Đã ký số {report_reference(issued)}" in landed.content.decode()

    person = issued.files.get(kind=IssuedFile.Kind.REPORT, stage=IssuedFile.Stage.PERSON)
    assert signing.issued_file == person
    unsigned = issued.files.get(kind=IssuedFile.Kind.REPORT, stage=IssuedFile.Stage.UNSIGNED)
    assert person.meta["signature_box"] == unsigned.meta["signature_box"]
    [check] = validate_pdf(person.read(), trust_roots=[pki.root_pem])
    assert check.ok, check
    assert check.field_name == "ChuKyNguoiKy"
    record = person.signatures.get()
    assert (record.role, record.by, record.key) == ("person", leader, csc_key)
    assert record.fingerprint == check.signer.sha256_fingerprint
    event = issued.events.get(action=DocumentEvent.Action.SIGN_PERSON)
    assert (event.user, event.sha256) == (leader, person.sha256)
    assert AuditEntry.objects.filter(action="report_sign", user=leader).exists()

    # The secretary then seals it with the commune's key, as after local signing.
    _person, organisation = keys
    report_sign_organisation(report=issued, key=organisation, secret=DEMO_PASSPHRASE, by=secretary)
    sealed = issued.files.get(kind=IssuedFile.Kind.REPORT, stage=IssuedFile.Stage.ORGANISATION)
    demo_root = TrustAnchor.objects.get().certificate_pem.encode()
    first, second = validate_pdf(sealed.read(), trust_roots=[pki.root_pem, demo_root])
    assert first.field_name == "ChuKyNguoiKy" and first.intact and first.valid
    assert first.trusted
    assert second.field_name == "ChuKyCoQuan" and second.ok


def test_refused_on_the_phone_then_tried_again(client, issued, csc_key, remote, leader):
    client.force_login(leader)
    signing = _start(client, issued, csc_key)
    remote.refuse()
    response = _poll(client, issued, signing)
    text = response.content.decode()
    assert 'data-status="refused"' in text
    assert "Người ký đã từ chối" in text
    assert 'data-testid="remote-retry"' in text
    assert "every 2s" not in text  # the page stops asking
    signing.refresh_from_db()
    assert signing.status == RemoteSigning.Status.REFUSED
    assert not issued.files.filter(stage=IssuedFile.Stage.PERSON).exists()
    assert not SignatureRecord.objects.exists()
    assert remote.count("signatures/signHash") == 0

    again = _start(client, issued, csc_key)  # "Thử lại"
    assert again.pk != signing.pk and again.is_waiting
    assert remote.waiting() == [again.transaction]


def test_times_out_when_nobody_confirms(client, issued, csc_key, remote, leader, settings):
    client.force_login(leader)
    settings.SIGNING_CSC_TIMEOUT_SECONDS = 0
    signing = _start(client, issued, csc_key)
    response = _poll(client, issued, signing)
    text = response.content.decode()
    assert 'data-status="expired"' in text
    assert "hết hạn" in text and "Thử lại" in text
    assert not issued.files.filter(stage=IssuedFile.Stage.PERSON).exists()
    # A confirmation that comes too late signs nothing.
    remote.approve()
    _poll(client, issued, signing)
    signing.refresh_from_db()
    assert signing.status == RemoteSigning.Status.EXPIRED
    assert remote.count("signatures/signHash") == 0


def test_a_service_that_does_not_answer_keeps_waiting_then_expires(
    client, issued, csc_key, remote, leader, monkeypatch
):
    client.force_login(leader)
    signing = _start(client, issued, csc_key)
    remote.silent = 3  # seconds it stays silent on every call, beyond the client's patience
    monkeypatch.setattr("reports.services.remote_signing.REQUEST_TIMEOUT", 1)
    text = _poll(client, issued, signing).content.decode()
    assert 'data-status="waiting"' in text
    assert "Không kết nối được với dịch vụ ký số từ xa" in text
    RemoteSigning.objects.filter(pk=signing.pk).update(
        started_at=timezone.now() - timedelta(minutes=6), expires_at=timezone.now()
    )
    assert 'data-status="expired"' in _poll(client, issued, signing).content.decode()
    assert not issued.files.filter(stage=IssuedFile.Stage.PERSON).exists()


def test_nobody_else_signs_or_follows_the_request(
    client, issued, csc_key, remote, leader, chairman, secretary, administrator, outsider
):
    client.force_login(leader)
    signing = _start(client, issued, csc_key)
    urls = _urls(issued, signing)
    for person in (chairman, secretary, administrator):
        client.force_login(person)
        assert client.get(urls["page"]).status_code == 403, person
        assert client.post(urls["status"]).status_code == 403, person
        assert client.post(urls["start"], {"key": csc_key.pk, "confirm": "on"}).status_code == 403
    client.force_login(outsider)
    assert client.get(urls["page"]).status_code == 404
    # The secretary choosing the signer's remote key on the signing form is refused too.
    client.force_login(secretary)
    response = client.post(urls["sign"], {"step": "person", "key": csc_key.pk, "secret": ""})
    assert response.status_code == 403
    assert RemoteSigning.objects.count() == 1
    # Nor does the service sign for someone who is not the named signer.
    with pytest.raises(ValidationError, match="không ai ký thay"):
        remote_sign_start(report=issued, key=csc_key, by=chairman)


def test_confirmation_is_required_and_a_second_start_reuses_the_request(
    client, issued, csc_key, remote, leader
):
    client.force_login(leader)
    response = client.post(_urls(issued)["start"], {"key": csc_key.pk})
    assert response.status_code == 302 and response["Location"] == _urls(issued)["issued"]
    assert "Tôi đã đọc văn bản và đồng ý ký" in str(list(get_messages(response.wsgi_request))[0])
    assert not RemoteSigning.objects.exists()
    first = _start(client, issued, csc_key)
    second = _start(client, issued, csc_key)
    assert first.pk == second.pk
    assert remote.count("credentials/authorize") == 1  # one notice on the phone


@pytest.mark.django_db(transaction=True)
def test_two_polls_at_once_store_one_signed_file(csc_key, issued, remote, leader):
    signing = remote_sign_start(report=issued, key=csc_key, by=leader)
    remote.approve()
    outcomes, errors, barrier = [], [], threading.Barrier(4)

    def poll():
        try:
            barrier.wait()
            # `patiently`: the test database's shared in-memory cache refuses a second
            # writer at once where a file waits (tests/audit/test_concurrency.py).
            outcomes.append(patiently(remote_sign_poll, signing=signing).status)
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert RemoteSigning.Status.SIGNED in outcomes, list(  # the others were turned away or saw it
        RemoteSigning.objects.values_list("status", "message", "busy_until")
    )
    assert issued.files.filter(stage=IssuedFile.Stage.PERSON).count() == 1
    assert SignatureRecord.objects.count() == 1
    assert issued.events.filter(action=DocumentEvent.Action.SIGN_PERSON).count() == 1
    # One poll at a time asks the provider (the lease); a retried one may ask again.
    assert 1 <= remote.count("signatures/signHash") <= 2


def test_the_waiting_page_reads_a_fixed_number_of_queries(
    client, issued, csc_key, remote, leader, django_assert_max_num_queries
):
    client.force_login(leader)
    signing = _start(client, issued, csc_key)
    # Expect 8: session, user, membership, assessment, report, the request (with its key
    # and user, without the prepared PDF), the commune and the freezing report (the page's
    # banner); the ceiling leaves room for two counts in the navigation bar.
    with django_assert_max_num_queries(10):
        assert client.get(_urls(issued, signing)["page"]).status_code == 200


def test_the_administrator_registers_a_remote_key(client, demo, remote, leader, administrator):
    client.force_login(administrator)
    url = reverse("admin:reports_signingkey_add")
    data = {
        "commune": demo.commune.pk,
        "owner": leader.pk,
        "label": "SmartCA THỬ NGHIỆM",
        "kind": "csc",
        "csc_credential_id": "",
        "csc_user_id": "nguoiky",
        "is_test": "on",
    }
    wrong = client.post(url, {**data, "csc_user_id": "khong-co"})
    assert wrong.status_code == 200
    assert "credentialID" in wrong.content.decode()
    assert client.post(url, {**data, "owner": ""}).status_code == 200  # a person's key
    assert not SigningKey.objects.filter(kind="csc").exists()

    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    key = SigningKey.objects.get(kind="csc")
    assert (key.owner, key.csc_credential_id, key.csc_user_id) == (leader, CREDENTIAL, "nguoiky")
    assert SIGNER_NAME in key.subject
    assert key.not_after is not None


# -- another provider, behind the same interface ---------------------------------------------------


class WholeCMSProvider:
    """A provider that is not CSC and answers with a complete CMS (SIGNING_REMOTE_BACKEND
    names it): signs at once with the test CA's signer key, on the second poll."""

    pki = None  # set by the test
    polls: dict[str, int] = {}

    def __init__(self, *, url: str, client_id: str, client_secret: str, request_timeout: int):
        self.url = url

    def _signer(self):
        return SimpleSigner.load(
            key_file=self.pki["key"], cert_file=self.pki["cert"], ca_chain_files=()
        )

    def credential(self, credential_id, user_id=""):
        cert = x509.load_pem_x509_certificate(Path(self.pki["cert"]).read_bytes())
        return credential_id or "mot", RemoteCredential(certificate=cert.public_bytes(Encoding.DER))

    def start(self, request):
        self.polls[request.credential_id] = 0
        return "giao-dich-1"

    def poll(self, transaction, request):
        self.polls[request.credential_id] += 1
        if self.polls[request.credential_id] < 2:
            return RemoteResult(outcome=Outcome.PENDING)
        cms = asyncio.run(
            self._signer().async_sign(request.document_digest, "sha256", use_pades=True)
        )
        return RemoteResult(outcome=Outcome.SIGNED, cms=cms.dump())


def test_another_provider_plugs_in_behind_the_same_interface(
    issued, leader, pki, settings, tmp_path
):
    (tmp_path / "key.pem").write_bytes(pki.signer_key_pem)
    (tmp_path / "cert.pem").write_bytes(pki.signer_cert_pem)
    WholeCMSProvider.pki = {"key": str(tmp_path / "key.pem"), "cert": str(tmp_path / "cert.pem")}
    settings.SIGNING_REMOTE_BACKEND = f"{__name__}.WholeCMSProvider"
    settings.SIGNING_CSC_TIMEOUT_SECONDS = 300
    settings.SIGNING_TSA_URL = ""
    key = SigningKey.objects.create(
        commune=issued.assessment.commune, owner=leader, label="Khác", kind="csc"
    )
    signing = remote_sign_start(report=issued, key=key, by=leader)
    assert remote_sign_poll(signing=signing).status == RemoteSigning.Status.WAITING
    assert remote_sign_poll(signing=signing).status == RemoteSigning.Status.SIGNED
    person = issued.files.get(kind=IssuedFile.Kind.REPORT, stage=IssuedFile.Stage.PERSON)
    [check] = validate_pdf(person.read(), trust_roots=[pki.root_pem])
    assert check.ok, check
    assert check.signer.common_name == SIGNER_NAME


def test_a_credential_whose_certificate_changed_is_refused(client, issued, csc_key, leader):
    SigningKey.objects.filter(pk=csc_key.pk).update(serial="1234")
    csc_key.refresh_from_db()
    with pytest.raises(ValidationError, match="đã thay đổi"):
        remote_sign_start(report=issued, key=csc_key, by=leader)
    assert not RemoteSigning.objects.exists()


def test_an_oversized_answer_from_the_service_is_refused_not_held_in_memory():
    """The provider's answers are read at most MAX_RESPONSE_BYTES (a real local server sends
    more)."""

    class Huge(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b'{"access_token": "' + b"x" * (MAX_RESPONSE_BYTES + 10) + b'"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Huge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        service = CSCService(
            url=f"http://127.0.0.1:{server.server_address[1]}", client_id="cong", client_secret="s"
        )
        with pytest.raises(RemoteError, match="Không kết nối được"):
            service.credential("cred-1")
    finally:
        server.shutdown()
