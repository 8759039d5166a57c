"""The reports app's models, by job: drafting (the report), issuing (numbers, frozen files,
events, dossiers), signing (keys, signatures, verification failures) and remote signing.

Migrations name `reports.models.get_document_storage`, `issued_name` and `key_name`: they are
re-exported here so the migration history stays as it is.
"""

from guards.storage import get_document_storage
from reports.models.drafting import (
    ImplementingDocument,
    Report,
    ReportSection,
    ReportSectionRevision,
    ReportTask,
)
from reports.models.issuing import (
    STAGES_NEWEST_FIRST,
    DocumentEvent,
    Dossier,
    IssuedFile,
    NumberSequence,
    RegisteredNumber,
    issued_name,
)
from reports.models.remote import RemoteSigning
from reports.models.signing import (
    SignatureRecord,
    SigningAttempt,
    SigningKey,
    TrustAnchor,
    VerificationFailure,
    key_name,
)

__all__ = [
    "STAGES_NEWEST_FIRST",
    "DocumentEvent",
    "Dossier",
    "ImplementingDocument",
    "IssuedFile",
    "NumberSequence",
    "RegisteredNumber",
    "RemoteSigning",
    "Report",
    "ReportSection",
    "ReportSectionRevision",
    "ReportTask",
    "SignatureRecord",
    "SigningAttempt",
    "SigningKey",
    "TrustAnchor",
    "VerificationFailure",
    "get_document_storage",
    "issued_name",
    "key_name",
]
