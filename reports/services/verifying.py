"""Verifying (xác minh) a document: is this PDF one the portal issued, intact and signed with
trusted certificates?

Anyone may upload a file here, so the file is never parsed in the server process: it goes to
a child with limits on memory, CPU and time (guards.bounded), by the path of its temporary
file. What the child found is cached by the file's SHA-256 and the trust roots, so the
verification link of an issued report does not validate the same stored PDF on every visit,
and adding or removing a trusted root re-validates. Failed checks are counted per day,
address, report and verdict (VerificationFailure), not written one row per attempt.

The page never contradicts itself: each signature gets a box (SignatureBox: broken, changed
after signing, untrusted, not on an issued file, under a test root, or fine), and the
headline (Verdict) is the worst of the boxes and of the file itself (unreadable or damaged,
an issued file's SHA-256 or not). A root loaded for tests (TrustAnchor.is_test,
SIGNING_TEST_TRUST_ROOTS) is shown as "THỬ NGHIỆM – không có giá trị pháp lý" wherever trust
is shown.
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
from reports.models import (
    DocumentEvent,
    IssuedFile,
    Report,
    SignatureRecord,
    TrustAnchor,
    VerificationFailure,
)
from reports.signing import SignatureCheck, check_file, checks_from_plain
from reports.signing.certificates import asn1_certificates

log = logging.getLogger(__name__)
# A PDF's header is within its first kilobyte; anything else is no PDF and needs no parser.
PDF_HEADER = b"%PDF-"
HEADER_WINDOW = 1024


class Verdict:
    """The headline of a check, the worst of what its file and its signature boxes say."""

    ISSUED = "issued"  # exactly a signed file the portal issued, signatures valid and trusted
    TEST = "test"  # ... signed with certificates under a root loaded for tests only
    UNSIGNED_COPY = "unsigned_copy"  # exactly an issued file as it was before signing
    MODIFIED = "modified"  # signed, then changed: bytes after the last signature, or edits
    DAMAGED = "damaged"  # not a readable PDF, a broken part, or signed bytes changed
    UNTRUSTED = "untrusted"  # signatures intact, certificate not from a trusted root
    FOREIGN = "foreign"  # signed and intact, but not a file the portal issued
    UNKNOWN = "unknown"  # unsigned and not a file the portal issued
    UNCHECKED = "unchecked"  # could not be parsed within the limits


# The issued files themselves, as issued: not counted as failed checks.
ACCEPTED = {Verdict.ISSUED, Verdict.TEST, Verdict.UNSIGNED_COPY}
TEST_LABEL = "THỬ NGHIỆM – không có giá trị pháp lý"


class Box:
    """The state of one signature's box, from worst to best."""

    BROKEN = "broken"  # the signed bytes or the signature itself do not check out
    MODIFIED = "modified"  # intact, but the file was changed after it
    UNTRUSTED = "untrusted"
    FOREIGN = "foreign"  # valid and trusted, in a file the portal did not issue
    TEST = "test"  # valid, under a test root
    OK = "ok"


@dataclass
class SignatureBox:
    """One signature as the page shows it: the check, and what it means for this file."""

    check: SignatureCheck
    state: str
    text: str
    trust: str  # "có", "không", or TEST_LABEL
    coverage: str
    report_signer: bool | None = None  # the certificate signed the report in question

    @property
    def valid(self) -> bool:
        """The signature checks out over bytes that are still those signed."""
        return self.check.intact and self.check.valid

    @property
    def css(self) -> str:
        if self.state == Box.OK:
            return "success"
        if self.state in (Box.BROKEN, Box.MODIFIED):
            return "danger"
        return "warning"


@dataclass(frozen=True)
class Roots:
    """The trusted roots (PEM/DER) and the SHA-256 of those loaded for tests only."""

    blobs: list[bytes]
    test: frozenset[str]


def trust_roots() -> Roots:
    """From the admin (TrustAnchor, `is_test` marks a test root) and the settings
    (SIGNING_TRUST_ROOTS, SIGNING_TEST_TRUST_ROOTS): one query."""
    blobs = []
    test: set[str] = set()
    for anchor in TrustAnchor.objects.all():
        blob = anchor.certificate_pem.encode()
        blobs.append(blob)
        if anchor.is_test:
            test.update(_fingerprints(blob))
    for paths, is_test in (
        (settings.SIGNING_TRUST_ROOTS, False),
        (settings.SIGNING_TEST_TRUST_ROOTS, True),
    ):
        for path in paths:
            with open(path, "rb") as handle:
                blob = handle.read()
            blobs.append(blob)
            if is_test:
                test.update(_fingerprints(blob))
    return Roots(blobs, frozenset(test))


def _fingerprints(blob: bytes) -> set[str]:
    try:
        return {cert.sha256.hex() for cert in asn1_certificates([blob])}
    except ValueError:
        return set()


def roots_fingerprint(roots: list[bytes]) -> str:
    """Changes whenever a root is added, removed or replaced (order does not matter)."""
    digest = hashlib.sha256()
    for root in sorted(hashlib.sha256(root).digest() for root in roots):
        digest.update(root)
    return digest.hexdigest()


@dataclass
class Checked:
    """The signatures of one file. `status` is "ok", "unreadable" (no PDF, or signatures that
    cannot be read) or "limits" (the child ran out of memory or time); `damaged` says why a
    part of a readable file does not parse."""

    status: str
    checks: list[SignatureCheck] = field(default_factory=list)
    damaged: str = ""


def limits() -> bounded.Limits:
    return bounded.Limits(
        memory=settings.VERIFY_CHECK_MEMORY_MB * MB,
        cpu_seconds=settings.VERIFY_CHECK_CPU_SECONDS,
        wall_seconds=settings.VERIFY_CHECK_WALL_SECONDS,
    )


def _cache_key(digest: str, roots: list[bytes]) -> str:
    return f"verify:v2:{digest}:{roots_fingerprint(roots)}"


def _cached(key: str) -> Checked | None:
    cached = cache.get(key)
    if cached is None:
        return None
    return Checked(cached["status"], checks_from_plain(cached["checks"]), cached.get("damaged", ""))


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
    damaged = outcome.value.get("damaged", "")
    cache.set(
        key,
        {"status": status, "checks": plain, "damaged": damaged},
        settings.VERIFY_CACHE_SECONDS,
    )
    return Checked(status, checks_from_plain(plain), damaged)


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


def issued_file_checks(issued: IssuedFile) -> tuple[Checked, list[SignatureBox]]:
    """The signatures of a stored issued file, validated once per set of trust roots, and
    their boxes."""
    roots = trust_roots()
    checked = _cached(_cache_key(issued.sha256, roots.blobs))  # before copying a remote file
    if checked is None:
        with _on_disk(issued.file) as path:
            checked = signature_checks(path, digest=issued.sha256, roots=roots.blobs)
    return checked, signature_boxes(checked.checks, issued=True, roots=roots)


def _box(
    check: SignatureCheck, *, issued: bool, roots: Roots, signers: set[str] | None
) -> SignatureBox:
    test = check.trusted and check.trust_root in roots.test
    if not (check.intact and check.valid):
        state, text = Box.BROKEN, check.summary
    elif check.modified_after:
        state, text = Box.MODIFIED, check.summary
    elif not check.trusted:
        state, text = Box.UNTRUSTED, check.summary
    elif not issued:
        state = Box.FOREIGN
        text = "Chữ ký hợp lệ nhưng tệp không phải văn bản đã ban hành trên cổng"
    elif test:
        state, text = Box.TEST, f"Chữ ký hợp lệ, chứng thư {TEST_LABEL}"
    else:
        state, text = Box.OK, check.summary
    if check.covers_whole_file:
        coverage = "toàn bộ tệp"
    elif check.modified_after:
        coverage = "không bao trùm toàn bộ tệp: có nội dung thêm hoặc sửa sau khi ký"
    else:
        coverage = "bản đã ký; sau đó chỉ thêm chữ ký số khác"
    return SignatureBox(
        check=check,
        state=state,
        text=text,
        trust=TEST_LABEL if test else ("có" if check.trusted else "không"),
        coverage=coverage,
        report_signer=None if signers is None else check.signer.sha256_fingerprint in signers,
    )


def signature_boxes(
    checks: list[SignatureCheck],
    *,
    issued: bool,
    roots: Roots,
    signers: set[str] | None = None,
) -> list[SignatureBox]:
    """The boxes of `checks` in a file that is (`issued`) or is not an issued file; with
    `signers` (certificate fingerprints), each box says whether its signer signed the report."""
    return [_box(check, issued=issued, roots=roots, signers=signers) for check in checks]


def verdict_for(checked: Checked, boxes: list[SignatureBox], *, issued: bool) -> str:
    """The headline: the worst of the file's state and its boxes, so that the page never
    shows a verdict above a box that says otherwise."""
    states = {box.state for box in boxes}
    if checked.status == "limits":
        return Verdict.UNCHECKED
    if checked.status == "unreadable" or checked.damaged or Box.BROKEN in states:
        return Verdict.DAMAGED
    for state, verdict in (
        (Box.MODIFIED, Verdict.MODIFIED),
        (Box.UNTRUSTED, Verdict.UNTRUSTED),
        (Box.FOREIGN, Verdict.FOREIGN),
    ):
        if state in states:
            return verdict
    if not issued:
        return Verdict.UNKNOWN
    if not boxes:
        return Verdict.UNSIGNED_COPY
    return Verdict.TEST if Box.TEST in states else Verdict.ISSUED


def _report_signers(report: Report | None) -> set[str] | None:
    if report is None:
        return None
    return set(
        SignatureRecord.objects.filter(issued_file__report=report).values_list(
            "fingerprint", flat=True
        )
    )


def document_verify(
    source: bytes | File,
    *,
    report: Report | None = None,
    user: User | AnonymousUser | None = None,
    address: str = "",
) -> dict[str, Any]:
    """What a PDF is (`source`: bytes, an uploaded file or a stored file): the issued
    document exactly (signed, or a copy from before signing), a changed or damaged one, one
    signed by an untrusted certificate or by someone outside the portal, one that could not
    be checked within the limits, or something else. Failures are counted.

    A file is an issued one only by its SHA-256: issued PDFs carry their own PDF identifier
    (reports.documents), so a draft, even of the same content, never matches."""
    roots = trust_roots()
    with _on_disk(source) as path:
        digest = _sha256(path)
        issued = (
            IssuedFile.objects.filter(
                sha256=digest, kind__in=[IssuedFile.Kind.REPORT, IssuedFile.Kind.APPENDIX]
            )
            .select_related("report__assessment__commune")
            .order_by("-created_at", "-id")
            .first()
        )
        checked = signature_checks(path, digest=digest, roots=roots.blobs)
    about = issued.report if issued is not None else report
    boxes = signature_boxes(
        checked.checks,
        issued=issued is not None,
        roots=roots,
        signers=_report_signers(about) if checked.checks else None,
    )
    verdict = verdict_for(checked, boxes, issued=issued is not None)
    if verdict not in ACCEPTED:
        verification_failure_record(
            report=about,
            verdict=verdict,
            address=address,
            sha256=digest,
            user=user,
        )
    return {
        "verdict": verdict,
        "sha256": digest,
        "issued": issued,
        "checks": checked.checks,
        "boxes": boxes,
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
