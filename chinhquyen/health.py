"""The health endpoint for the load balancer: `/suc-khoe/`, JSON.

It checks what a request of the portal needs: the database answers `SELECT 1`; the documents
storage takes, gives back and removes a small probe file (through Django's storages API, so
the same check works on local disk and on an S3 bucket); the task broker answers a Redis
PING within a short timeout when CELERY_BROKER_URL is set ("not configured" otherwise).
200 when every check passes, 503 otherwise. The body names each check and its outcome,
never an error's text (it is public); the reason goes to the server's log. Never cached.
"""

from __future__ import annotations

import logging
import socket
import ssl
import uuid
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from guards.rules import rule
from guards.storage import DOCUMENTS

log = logging.getLogger(__name__)

OK = "ok"
FAILED = "error"
NOT_CONFIGURED = "not configured"
PROBE = b"cqtt-health-probe"
BROKER_TIMEOUT_SECONDS = 1.0


def check_database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def check_storage() -> str:
    storage = storages[DOCUMENTS]
    name = storage.save(f"health/probe-{uuid.uuid4().hex}.txt", ContentFile(PROBE))
    try:
        with storage.open(name, "rb") as probe:
            if probe.read() != PROBE:
                raise OSError("the probe file came back different")
    finally:
        storage.delete(name)
    return OK


def _redis_command(sock: socket.socket, *parts: str) -> bytes:
    """Send one command in RESP and read the first line of the answer."""
    encoded = [part.encode() for part in parts]
    message = b"*%d\r\n" % len(encoded) + b"".join(
        b"$%d\r\n%s\r\n" % (len(part), part) for part in encoded
    )
    sock.sendall(message)
    answer = b""
    while not answer.endswith(b"\r\n"):
        chunk = sock.recv(256)
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        answer += chunk
    return answer


def check_broker() -> str:
    """A Redis PING (AUTH first when the URL has a password); for another kind of broker,
    that its port accepts a connection."""
    url = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if not url:
        return NOT_CONFIGURED
    parts = urlsplit(url)
    redis = parts.scheme in {"redis", "rediss"}
    default_port = {"redis": 6379, "rediss": 6379, "amqp": 5672, "amqps": 5671}
    address = (parts.hostname or "127.0.0.1", parts.port or default_port.get(parts.scheme, 0))
    with socket.create_connection(address, timeout=BROKER_TIMEOUT_SECONDS) as raw:
        sock: socket.socket = raw
        if parts.scheme in {"rediss", "amqps"}:
            sock = ssl.create_default_context().wrap_socket(raw, server_hostname=address[0])
        if redis:
            if parts.password:
                credentials = [unquote(parts.password)]
                if parts.username:
                    credentials.insert(0, unquote(parts.username))
                if not _redis_command(sock, "AUTH", *credentials).startswith(b"+OK"):
                    raise ConnectionError("the broker refused the credentials")
            if not _redis_command(sock, "PING").startswith(b"+PONG"):
                raise ConnectionError("the broker did not answer PING")
    return OK


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "storage": check_storage,
    "broker": check_broker,
}


@rule("public")
@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Whether this node can serve requests: 200 and every check "ok", or 503."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception:  # any failure is a failed check; the reason goes to the log only
            log.warning("Health check %s failed", name, exc_info=True)
            results[name] = FAILED
    healthy = all(result in {OK, NOT_CONFIGURED} for result in results.values())
    return JsonResponse(
        {"status": OK if healthy else FAILED, "checks": results}, status=200 if healthy else 503
    )
