"""A `RemoteSigner` for a Cloud Signature Consortium (CSC) API v1 service, with pyHanko's CSC
classes. No Django here.

The calls, all POST with JSON under `<url>/csc/v1/`:
- `auth/login` (HTTP Basic with the portal's client id and secret) gives the bearer token
  for the other calls (none when no client id is configured);
- `credentials/list` (the user's credentials) and `credentials/info` (the certificate and
  its chain, pyHanko's `fetch_certs_in_csc_credential`);
- `credentials/authorize`: the signer confirms on the phone. The portal sends the hash with
  a `clientData` naming its transaction; until the signer has confirmed, the service answers
  the OAuth way (RFC 8628) with `{"error": "authorization_pending"}`, then the SAD once
  confirmed, `access_denied` when the signer refused, `expired_token` when the request
  expired. Asking again with the same `clientData` asks about the same transaction;
- `signatures/signHash` with the SAD (pyHanko's `CSCSigner`) returns the signature.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from reports.signing.certificates import run_coroutine
from reports.signing.remote import (
    Outcome,
    RemoteCredential,
    RemoteError,
    RemoteResult,
    SigningRequest,
)

if TYPE_CHECKING:
    import aiohttp
    from pyhanko.sign.signers.csc_signer import CSCCredentialInfo, CSCServiceSessionInfo

T = TypeVar("T")

PENDING = "authorization_pending"
REFUSED = {"access_denied", "authorization_denied", "user_refused"}
EXPIRED = {"expired_token", "expired", "request_expired"}
UNREACHABLE = "Không kết nối được với dịch vụ ký số từ xa; hãy thử lại sau ít phút."


#: the largest answer read from the service: a certificate chain and a few signatures fit in
#: far less; a larger (or endless) answer is refused rather than held in memory
MAX_RESPONSE_BYTES = 1024 * 1024


async def _bounded_json(response: aiohttp.ClientResponse) -> Any:
    """The answer's JSON, read at most MAX_RESPONSE_BYTES; None when it is not JSON."""
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise RemoteError(UNREACHABLE)
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        return None


class CSCService:
    """A CSC API service at `url` (the part before `/csc/v1/`)."""

    def __init__(
        self,
        *,
        url: str,
        client_id: str = "",
        client_secret: str = "",
        request_timeout: int = 20,
        api_version: str = "v1",
    ) -> None:
        if not url:
            raise RemoteError("Chưa cấu hình địa chỉ dịch vụ ký số từ xa (SIGNING_CSC_URL).")
        self.url = url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.request_timeout = request_timeout
        self.api_version = api_version

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return f"CSCService(url={self.url!r}, client_id={self.client_id!r})"

    # -- plumbing ------------------------------------------------------------------------------

    def _endpoint(self, name: str) -> str:
        return f"{self.url}/csc/{self.api_version}/{name}"

    def _run(self, work: Callable[[aiohttp.ClientSession, str | None], Awaitable[T]]) -> T:
        """Run `work(session, token)` in a fresh session, logged in; network trouble and
        answers that are not JSON become RemoteError."""
        import aiohttp  # noqa: PLC0415 (remote signing only)

        async def session_work() -> T:
            timeout = aiohttp.ClientTimeout(total=self.request_timeout)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                token = await self._login(session)
                return await work(session, token)

        try:
            return run_coroutine(session_work)
        except RemoteError:
            raise
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise RemoteError(UNREACHABLE) from exc

    async def _login(self, session: aiohttp.ClientSession) -> str | None:
        if not self.client_id:
            return None
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        async with session.post(
            self._endpoint("auth/login"), json={}, headers={"Authorization": f"Basic {basic}"}
        ) as response:
            if response.status in (400, 401, 403):
                raise RemoteError(
                    "Dịch vụ ký số từ xa không chấp nhận tài khoản của cổng "
                    "(SIGNING_CSC_CLIENT_ID / SIGNING_CSC_CLIENT_SECRET)."
                )
            response.raise_for_status()
            data = await _bounded_json(response)
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise RemoteError("Dịch vụ ký số từ xa không cấp mã truy cập (access_token).")
        return token

    async def _call(
        self, session: aiohttp.ClientSession, token: str | None, name: str, body: dict
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with session.post(self._endpoint(name), json=body, headers=headers) as response:
            status = response.status
            data = await _bounded_json(response)
        if status >= 500 or not isinstance(data, dict):
            raise RemoteError(UNREACHABLE)
        if status == 401:
            raise RemoteError("Phiên làm việc với dịch vụ ký số từ xa không hợp lệ.")
        return status, data

    def _session_info(self, credential_id: str, token: str | None) -> CSCServiceSessionInfo:
        from pyhanko.sign.signers.csc_signer import CSCServiceSessionInfo  # noqa: PLC0415

        return CSCServiceSessionInfo(
            service_url=self.url,
            credential_id=credential_id,
            oauth_token=token,
            api_ver=self.api_version,
        )

    async def _credential_info(
        self, session: aiohttp.ClientSession, token: str | None, credential_id: str
    ) -> CSCCredentialInfo:
        from pyhanko.sign.general import SigningError as HankoError  # noqa: PLC0415
        from pyhanko.sign.signers.csc_signer import fetch_certs_in_csc_credential  # noqa: PLC0415

        try:
            return await fetch_certs_in_csc_credential(
                session, self._session_info(credential_id, token), timeout=self.request_timeout
            )
        except HankoError as exc:
            raise RemoteError(
                f"Không đọc được chứng thư “{credential_id}” tại dịch vụ ký số từ xa."
            ) from exc

    # -- RemoteSigner --------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """The service's self-description (name, version, methods)."""

        async def work(session: aiohttp.ClientSession, token: str | None) -> dict[str, Any]:
            _status, data = await self._call(session, None, "info", {})
            return data

        return self._run(work)

    def credential(self, credential_id: str, user_id: str = "") -> tuple[str, RemoteCredential]:
        async def work(
            session: aiohttp.ClientSession, token: str | None
        ) -> tuple[str, RemoteCredential]:
            chosen = credential_id
            if not chosen:
                status, data = await self._call(
                    session, token, "credentials/list", {"userID": user_id} if user_id else {}
                )
                found = data.get("credentialIDs") if status == 200 else None
                if not isinstance(found, list) or len(found) != 1:
                    raise RemoteError(
                        "Hãy ghi mã chứng thư (credentialID): dịch vụ ký số từ xa không cho "
                        "biết một chứng thư duy nhất của người dùng này."
                    )
                chosen = str(found[0])
            info = await self._credential_info(session, token, chosen)
            return chosen, RemoteCredential(
                certificate=info.signing_cert.dump(), chain=[c.dump() for c in info.chain]
            )

        return self._run(work)

    def _authorize_body(self, transaction: str, request: SigningRequest) -> dict[str, Any]:
        return {
            "credentialID": request.credential_id,
            "numSignatures": 1,
            "hash": [base64.b64encode(request.digest).decode("ascii")],
            "description": request.description[:500],
            "clientData": transaction,
        }

    def start(self, request: SigningRequest) -> str:
        transaction = uuid.uuid4().hex

        async def work(session: aiohttp.ClientSession, token: str | None) -> str:
            status, data = await self._call(
                session, token, "credentials/authorize", self._authorize_body(transaction, request)
            )
            outcome = _authorize_outcome(status, data)
            if outcome in (Outcome.REFUSED, Outcome.EXPIRED):
                raise RemoteError(_message(data) or "Dịch vụ ký số từ xa từ chối yêu cầu ký.")
            return transaction

        return self._run(work)

    def poll(self, transaction: str, request: SigningRequest) -> RemoteResult:
        from pyhanko.sign.general import SigningError as HankoError  # noqa: PLC0415
        from pyhanko.sign.signers.csc_signer import (  # noqa: PLC0415
            CSCAuthorizationManager,
            CSCSigner,
            PrefetchedSADAuthorizationManager,
        )

        async def work(session: aiohttp.ClientSession, token: str | None) -> RemoteResult:
            status, data = await self._call(
                session, token, "credentials/authorize", self._authorize_body(transaction, request)
            )
            outcome = _authorize_outcome(status, data)
            if outcome != Outcome.SIGNED:
                return RemoteResult(outcome=outcome, message=_message(data))
            try:
                authorization = CSCAuthorizationManager.parse_csc_auth_response(data)
            except HankoError as exc:
                raise RemoteError("Dịch vụ ký số từ xa trả lời thiếu mã kích hoạt (SAD).") from exc
            info = await self._credential_info(session, token, request.credential_id)
            signer = CSCSigner(
                session,
                PrefetchedSADAuthorizationManager(
                    self._session_info(request.credential_id, token), info, authorization
                ),
                sign_timeout=self.request_timeout,
            )
            try:
                signature = await signer.async_sign_raw(
                    request.signed_data, request.digest_algorithm
                )
            except HankoError as exc:
                raise RemoteError("Dịch vụ ký số từ xa không trả về chữ ký.") from exc
            return RemoteResult(outcome=Outcome.SIGNED, signature=signature)

        return self._run(work)


def _authorize_outcome(status: int, data: dict[str, Any]) -> Outcome:
    if status == 200 and data.get("SAD"):
        return Outcome.SIGNED
    error = str(data.get("error", ""))
    if error == PENDING or status == 202:
        return Outcome.PENDING
    if error in REFUSED:
        return Outcome.REFUSED
    if error in EXPIRED:
        return Outcome.EXPIRED
    raise RemoteError(
        "Dịch vụ ký số từ xa không chấp nhận yêu cầu ký"
        + (f": {_message(data)}" if _message(data) else ".")
    )


def _message(data: dict[str, Any]) -> str:
    """The provider's own words (error_description), short and on one line."""
    text = data.get("error_description") or data.get("message") or ""
    return " ".join(str(text).split())[:300]
