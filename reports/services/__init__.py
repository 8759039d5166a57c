"""Write actions on reports, one module per job: `drafting` (create, edit), `issuing`
(number, date, frozen files), `signing` (PAdES signatures), `signing_keys` (keys kept for
signing), `signing_attempts` (limits on guessing), `verifying` (the public check) and
`dossier` (the ZIP sent to the city). Drafting's functions are re-exported here."""

from reports.services.drafting import (  # noqa: F401
    DEFAULT_RECIPIENTS,
    default_recipients,
    default_sections,
    ensure_draft,
    period_words,
    report_create,
    report_section_keep,
    report_section_refresh,
    report_section_save,
    report_update,
)
