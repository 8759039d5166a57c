"""Verifying (xác minh) a document: is this PDF one the portal issued, intact and signed with
trusted certificates?

Anyone may upload a file here, so the file is never parsed in the server process: it goes to
a child with limits on memory, CPU and time (guards.bounded), by the path of its temporary
file. What the child found is cached by the file's SHA-256 and the trust roots, so the
verification link of an issued report does not validate the same stored PDF on every visit,
and adding or removing a trusted root re-validates. Failed checks are counted per day,
address, report and verdict (VerificationFailure), not written one row per attempt.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.core.files.base import File
from django.db import transaction
from django.db.models import F
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from guards import bounded
from guards.bounded import MB
from guards.uploads import temp_dir
from reports.models import DocumentEvent, IssuedFile, Report, TrustAnchor, VerificationFailure
from reports.signing import SignatureCheck, check_file, checks_from_plain

log = logging.getLogger(__name__)
# A PDF's header is within its first kilobyte; anything else is no PDF and needs no parser.
PDF_HEADER = b"%PDF-"
HEADER_WINDOW = 1024


class Verdict:
    ISSUED = "issued"  # exactly a file the portal issued, signatures checked
    MODIFIED = "modified"  # signed, but changed after signing
    UNTRUSTED = "untrusted"  # signatures intact, certificate not from a trusted root
    UNKNOWN = "unknown"  # not a document issued by the portal
    UNCHECKED = "unchecked"  # could not be parsed within the limits


def trust_roots() -> list[bytes]:
    roots = [anchor.certificate_pem.encode() for anchor in TrustAnchor.objects.all()]
    for path in settings.SIGNING_TRUST_ROOTS:
        with open(path, "rb") as handle:
            roots.append(handle.read())
    return roots


def roots_fingerprint(roots: list[bytes]) -> str:
    """Changes whenever a root is added, removed or replaced (order does not matter)."""
    digest = hashlib.sha256()
    for root in sorted(hashlib.sha256(root).digest() for root in roots):
        digest.update(root)
    return digest.hexdigest()


@dataclass
class Checked:
    """The signatures of one file. `status` is "ok", "unreadable" (no PDF, or signatures that
    cannot be read) or "limits" (the child ran out of memory or time)."""

    status: str
    checks: list[SignatureCheck] = field(default_factory=list)


def limits() -> bounded.Limits:
    return bounded.Limits(
        memory=settings.VERIFY_CHECK_MEMORY_MB * MB,
        cpu_seconds=settings.VERIFY_CHECK_CPU_SECONDS,
        wall_seconds=settings.VERIFY_CHECK_WALL_SECONDS,
    )


def _cache_key(digest: str, roots: list[bytes]) -> str:
    return f"verify:v1:{digest}:{roots_fingerprint(roots)}"


def _cached(key: str) -> Checked | None:
    cached = cache.get(key)
    if cached is None:
        return None
    return Checked(cached["status"], checks_from_plain(cached["checks"]))


def signature_checks(path: str, *, digest: str, roots: list[bytes]) -> Checked:
    """The signatures of the PDF at `path` (whose SHA-256 is `digest`) against `roots`:
    from the cache, or from a bounded child."""
    key = _cache_key(digest, roots)
    cached = _cached(key)
    if cached is not None:
        return cached
    with open(path, "rb") as handle:
        is_pdf = PDF_HEADER in handle.read(HEADER_WINDOW)
    if not is_pdf:
        return Checked("unreadable")
    outcome = bounded.run(check_file, path, roots, limits=limits())
    if not outcome.ok:
        # Out of memory or time, or a crash in C code: a hostile or broken file either way.
        # Not cached: a timeout may be the machine's load rather than the file.
        log.warning(
            "Verification of %s stopped: %s (%s), peak %d MB",
            digest[:12],
            outcome.status,
            outcome.error,
            outcome.peak_rss // MB,
        )
        return Checked("limits")
    plain = outcome.value.get("checks", [])
    status = "unreadable" if "unreadable" in outcome.value else "ok"
    cache.set(key, {"status": status, "checks": plain}, settings.VERIFY_CACHE_SECONDS)
    return Checked(status, checks_from_plain(plain))


def _path_of(source: bytes | File) -> str | None:
    """The path of a file already on disk: an upload's temporary file, a stored file."""
    if hasattr(source, "temporary_file_path"):
        return source.temporary_file_path()
    if not isinstance(source, FieldFile):  # bytes, or an upload kept in memory
        return None
    try:
        return source.path
    except NotImplementedError:  # remote storage
        return None


@contextmanager
def _on_disk(source: bytes | File) -> Iterator[str]:
    """A path to the file's bytes, copied in chunks to a temporary file where needed."""
    path = _path_of(source)
    if path is not None:
        yield path
        return
    with tempfile.NamedTemporaryFile(dir=temp_dir(), suffix=".verify") as copy:
        if isinstance(source, bytes):
            copy.write(source)
        else:
            source.open("rb")
            try:
                for chunk in source.chunks():
                    copy.write(chunk)
            finally:
                source.close()
        copy.flush()
        yield copy.name


def _sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def issued_file_checks(issued: IssuedFile) -> Checked:
    """The signatures of a stored issued file, validated once per set of trust roots."""
    roots = trust_roots()
    cached = _cached(_cache_key(issued.sha256, roots))  # before copying a remote file
    if cached is not None:
        return cached
    with _on_disk(issued.file) as path:
        return signature_checks(path, digest=issued.sha256, roots=roots)


def document_verify(
    source: bytes | File,
    *,
    report: Report | None = None,
    user: User | AnonymousUser | None = None,
    address: str = "",
) -> dict[str, Any]:
    """What a PDF is (`source`: bytes, an uploaded file or a stored file): the issued
    document exactly, a changed one, one signed by an untrusted certificate, one that could
    not be checked within the limits, or something else. Failures are counted."""
    with _on_disk(source) as path:
        digest = _sha256(path)
        issued = (
            IssuedFile.objects.filter(
                sha256=digest, kind__in=[IssuedFile.Kind.REPORT, IssuedFile.Kind.APPENDIX]
            )
            .select_related("report__assessment__commune")
            .first()
        )
        checked = signature_checks(path, digest=digest, roots=trust_roots())
    checks = checked.checks
    if issued is not None and (
        not checks or all(c.intact and c.valid and c.trusted for c in checks)
    ):
        verdict = Verdict.ISSUED
    elif checks and any(not c.intact or not c.valid or c.modified_after for c in checks):
        verdict = Verdict.MODIFIED
    elif checks and issued is None and any(not c.trusted for c in checks) or issued is not None:
        verdict = Verdict.UNTRUSTED
    elif checked.status == "limits":
        verdict = Verdict.UNCHECKED
    else:
        verdict = Verdict.UNKNOWN
    if verdict != Verdict.ISSUED:
        verification_failure_record(
            report=issued.report if issued else report,
            verdict=verdict,
            address=address,
            sha256=digest,
            user=user,
        )
    return {
        "verdict": verdict,
        "sha256": digest,
        "issued": issued,
        "checks": checks,
        "unchecked": checked.status == "limits",
    }


def verification_failure_record(
    *,
    report: Report | None,
    verdict: str,
    address: str,
    sha256: str,
    user: User | AnonymousUser | None = None,
) -> None:
    """Count a failed check. The first of its day, address, report and verdict is also
    written to the document's log (DocumentEvent), which the issued report's page shows;
    the rest only raise the count, so rows stay bounded whatever a visitor sends."""
    today = timezone.localdate()
    now = timezone.now()
    key = {"day": today, "address": address, "report": report, "verdict": verdict}
    with transaction.atomic():
        # A concurrent first attempt of the same key: the constraint holds, get_or_create
        # then finds the other's row.
        tally, created = VerificationFailure.objects.get_or_create(**key, defaults={"last_at": now})
        VerificationFailure.objects.filter(pk=tally.pk).update(
            count=F("count") + 1, last_at=now, last_sha256=sha256
        )
        if created:
            DocumentEvent.objects.create(
                report=report,
                action=DocumentEvent.Action.VERIFY_FAILED,
                user=user if isinstance(user, User) and user.is_authenticated else None,
                sha256=sha256,
                detail=verdict,
            )
