"""The dossier sent to the city's Department of Home Affairs: one ZIP, built into the
private storage.

Contents: the signed report and appendix (or their latest stage), the scoring table
(appendix XLSX) frozen at issuing, every evidence file as it was at issuing in folders by
sub-criterion code, and the evidence list (danh mục minh chứng) as XLSX and PDF. The ZIP is
written by guards.zipstream a chunk at a time straight into storage, so memory stays flat;
its SHA-256 is computed as it is written and shown to the secretary. If a step fails, the
partly written ZIP is removed.

It is built in the worker (reports/job_kinds.py): `progress` is told how far the ZIP has got,
`name` is the storage name the job announced before writing, and `on_saved` is called inside
the transaction that records the dossier (the job marks itself done there).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import Action, audit_record
from evidence.archive import INDEX_NAME, archive_members, index_workbook, snapshot_entries
from guards.storage import removed_on_error
from guards.zipstream import Member, StreamedFile, zip_stream
from reports import documents
from reports.models import DocumentEvent, Dossier, IssuedFile, Report
from reports.services.issuing import current_file

Progress = Callable[[int, str], None]


def _reporting(members: list[Member], progress: Progress) -> Iterator[Member]:
    """`members`, telling `progress` (0–90 %) before each one is written."""
    done = -1
    for index, member in enumerate(members):
        percent = 90 * index // len(members)
        if percent != done:
            progress(percent, f"Đang ghi tệp {index + 1}/{len(members)} vào hồ sơ")
            done = percent
        yield member


def dossier_build(
    *,
    report: Report,
    by: User,
    name: str = "",
    progress: Progress | None = None,
    on_saved: Callable[[Dossier], None] | None = None,
) -> Dossier:
    if not report.files.filter(stage=IssuedFile.Stage.ORGANISATION).exists():
        raise ValidationError(
            "Hãy ký số đủ (người có thẩm quyền, rồi cơ quan) trước khi lập hồ sơ gửi thành phố."
        )
    frozen = json.loads(current_file(report, IssuedFile.Kind.EVIDENCE_LIST).read())
    entries = snapshot_entries(frozen, folder="minh-chung/")
    index_pdf = documents.render_pdf(
        "reports/evidence_index_document.html",
        {"report": report, "rows": frozen, "font_base": documents.font_base(True)},
        cached=False,
    )
    number = f"{report.number:02d}" if report.number else "du-thao"
    members = [
        # A FieldFile reads like a binary file; the stubs type it as a File, not a BinaryIO.
        Member(path=name, open=current_file(report, kind).file.open)  # type: ignore[arg-type]
        for kind, name in (
            (IssuedFile.Kind.REPORT, f"01-bao-cao-so-{number}.pdf"),
            (IssuedFile.Kind.APPENDIX, f"02-phu-luc-bao-cao-so-{number}.pdf"),
            (IssuedFile.Kind.APPENDIX_XLSX, f"03-bang-cham-diem-so-{number}.xlsx"),
        )
    ]
    members += [
        Member(path=f"04-{INDEX_NAME}", data=index_workbook(entries)),
        Member(path="05-danh-muc-minh-chung.pdf", data=index_pdf),
    ]
    members += archive_members(entries)
    written: Iterable[Member] = members if progress is None else _reporting(members, progress)
    dossier = Dossier(report=report, created_by=by, sha256="", size=0)
    content = StreamedFile(zip_stream(written), "dossier.zip")
    field = Dossier._meta.get_field("file")
    name = name or field.generate_filename(dossier, "dossier.zip")
    with removed_on_error() as stored:
        # Tracked before writing: a ZIP that fails half-way is removed too.
        stored.add_name(dossier.file.storage, name)
        dossier.file.name = dossier.file.storage.save(name, content, max_length=field.max_length)
        if dossier.file.name != name:  # a fresh name is expected; do not leave another behind
            stored.add_name(dossier.file.storage, dossier.file.name)
            raise RuntimeError(f"Storage saved {name!r} as {dossier.file.name!r}")
        if progress is not None:
            progress(95, "Đang ghi nhận hồ sơ")
        with transaction.atomic():
            dossier.sha256 = content.digest.hexdigest()
            dossier.size = content.written
            dossier.save()
            DocumentEvent.objects.create(
                report=report,
                action=DocumentEvent.Action.DOSSIER,
                user=by,
                sha256=dossier.sha256,
                detail=f"{len(entries)} tệp minh chứng, {dossier.size} byte",
            )
            audit_record(
                action=Action.DOSSIER_BUILD,
                user=by,
                commune=report.assessment.commune,
                target=dossier,
                target_label=f"Hồ sơ báo cáo số {report.number:02d}/{report.symbol}",
                summary=(
                    f"Lập hồ sơ gửi thành phố: {len(entries)} tệp minh chứng, {dossier.size} byte"
                ),
                details={"sha256": dossier.sha256},
            )
            if on_saved is not None:
                on_saved(dossier)
    return dossier
