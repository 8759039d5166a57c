"""Remote signing through a CSC service (the signer confirms on the phone): the PDF layer
against the test service, then the portal's flow end to end."""

from __future__ import annotations

import pytest

from reports.signing import Appearance, validate_pdf
from reports.signing.csc import CSCService
from reports.signing.remote import (
    Outcome,
    PreparedPdf,
    RemoteError,
    RemoteResult,
    SigningRequest,
    finish_pdf,
    prepare_pdf,
)
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
