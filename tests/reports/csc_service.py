"""A small Cloud Signature Consortium (CSC API v1) service for the tests: a real HTTP server
in a thread, backed by the test CA's signer key.

It answers the calls reports.signing.csc makes (info, auth/login, credentials/list,
credentials/info, credentials/authorize, signatures/signHash). `credentials/authorize` opens
a transaction (named by the portal's `clientData`) that stays "authorization_pending" until
the test's phone says yes (`approve`) or no (`refuse`); a transaction nobody answers never
signs (the time-out case), and `silent` makes every answer come too late. `signatures/signHash` signs only a hash that an approved
transaction's SAD is bound to, with the signer's private key.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

CLIENT_ID = "cong-cqtt"
CLIENT_SECRET = "bi-mat-thu-nghiem-4471"
SHA256_RSA = "1.2.840.113549.1.1.11"


@dataclass
class Transaction:
    credential_id: str
    hashes: list[str]
    description: str
    state: str = "pending"  # pending, approved, refused
    sad: str = ""


@dataclass
class Credential:
    user_id: str
    key: rsa.RSAPrivateKey
    certificates: list[x509.Certificate]


@dataclass
class CSCTestService:
    """The service's state; `url` once started."""

    credentials: dict[str, Credential] = field(default_factory=dict)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    url: str = ""
    silent: float = 0  # seconds every answer waits (a service that does not answer in time)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_credential(
        self, credential_id: str, *, user_id: str, key_pem: bytes, chain_pem: list[bytes]
    ) -> None:
        key = serialization.load_pem_private_key(key_pem, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        certificates = [x509.load_pem_x509_certificate(pem) for pem in chain_pem]
        self.credentials[credential_id] = Credential(user_id, key, certificates)

    # -- the test's phone --------------------------------------------------------------------

    def waiting(self) -> list[str]:
        return [name for name, t in self.transactions.items() if t.state == "pending"]

    def _only_waiting(self, transaction: str | None) -> Transaction:
        if transaction is None:
            [transaction] = self.waiting()
        return self.transactions[transaction]

    def approve(self, transaction: str | None = None) -> None:
        """The signer confirms on the phone (the only waiting request by default)."""
        with self.lock:
            found = self._only_waiting(transaction)
            found.state, found.sad = "approved", secrets.token_urlsafe(24)

    def refuse(self, transaction: str | None = None) -> None:
        with self.lock:
            self._only_waiting(transaction).state = "refused"

    def count(self, endpoint: str) -> int:
        return sum(1 for call in self.calls if call == endpoint)

    # -- the API -----------------------------------------------------------------------------

    def handle(self, endpoint: str, body: dict, headers: Any) -> tuple[int, dict]:
        with self.lock:
            self.calls.append(endpoint)
            if endpoint == "info":
                return 200, {
                    "specs": "1.0.4.0",
                    "name": "Dịch vụ ký số từ xa THỬ NGHIỆM",
                    "region": "VN",
                    "lang": "vi-VN",
                    "authType": ["basic"],
                    "methods": [
                        "auth/login",
                        "credentials/list",
                        "credentials/info",
                        "credentials/authorize",
                        "signatures/signHash",
                    ],
                }
            if endpoint == "auth/login":
                return self._login(headers)
            if headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
                return 401, {"error": "invalid_token", "error_description": "Chưa đăng nhập"}
            handler = {
                "credentials/list": self._list,
                "credentials/info": self._info,
                "credentials/authorize": self._authorize,
                "signatures/signHash": self._sign_hash,
            }.get(endpoint)
            if handler is None:
                return 404, {"error": "invalid_request", "error_description": "Không có"}
            return handler(body)

    def _login(self, headers: Any) -> tuple[int, dict]:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if headers.get("Authorization", "") != f"Basic {expected}":
            return 401, {"error": "invalid_client", "error_description": "Sai client"}
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3600}

    def _list(self, body: dict) -> tuple[int, dict]:
        user = body.get("userID", "")
        found = [name for name, c in self.credentials.items() if c.user_id == user]
        return 200, {"credentialIDs": found}

    def _info(self, body: dict) -> tuple[int, dict]:
        credential = self.credentials.get(body.get("credentialID", ""))
        if credential is None:
            return 400, {"error": "invalid_request", "error_description": "Không có chứng thư"}
        der = [c.public_bytes(serialization.Encoding.DER) for c in credential.certificates]
        return 200, {
            "key": {"status": "enabled", "algo": [SHA256_RSA], "len": 2048},
            "cert": {
                "status": "valid",
                "certificates": [base64.b64encode(d).decode() for d in der],
            },
            "authMode": "explicit",
            "SCAL": "2",
            "multisign": 1,
        }

    def _authorize(self, body: dict) -> tuple[int, dict]:
        name = body.get("clientData", "")
        if body.get("credentialID") not in self.credentials or not name:
            return 400, {"error": "invalid_request", "error_description": "Thiếu dữ liệu"}
        found = self.transactions.setdefault(
            name,
            Transaction(
                credential_id=body["credentialID"],
                hashes=list(body.get("hash", [])),
                description=body.get("description", ""),
            ),
        )
        if found.hashes != body.get("hash"):
            return 400, {"error": "invalid_request", "error_description": "Sai giá trị băm"}
        if found.state == "pending":
            return 400, {
                "error": "authorization_pending",
                "error_description": "Đang chờ người ký xác nhận",
            }
        if found.state == "refused":
            return 400, {"error": "access_denied", "error_description": "Người ký đã từ chối"}
        return 200, {"SAD": found.sad, "expiresIn": 300}

    def _sign_hash(self, body: dict) -> tuple[int, dict]:
        credential = self.credentials.get(body.get("credentialID", ""))
        approved = [
            t
            for t in self.transactions.values()
            if t.state == "approved" and t.sad == body.get("SAD")
        ]
        if credential is None or not approved or approved[0].hashes != body.get("hash"):
            return 400, {"error": "invalid_request", "error_description": "SAD không hợp lệ"}
        if body.get("signAlgo") != SHA256_RSA:
            return 400, {"error": "invalid_request", "error_description": "Sai thuật toán"}
        signatures = [
            base64.b64encode(
                credential.key.sign(
                    base64.b64decode(value),
                    padding.PKCS1v15(),
                    utils.Prehashed(hashes.SHA256()),
                )
            ).decode()
            for value in body["hash"]
        ]
        return 200, {"signatures": signatures}


def serve(service: CSCTestService) -> ThreadingHTTPServer:
    """Start the service on a free local port in a daemon thread; `shutdown()` stops it."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            if service.silent:
                time.sleep(service.silent)
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = None
            endpoint = self.path.removeprefix("/csc/v1/")
            if not isinstance(body, dict) or endpoint == self.path:
                status, answer = 400, {"error": "invalid_request"}
            else:
                status, answer = service.handle(endpoint, body, self.headers)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
