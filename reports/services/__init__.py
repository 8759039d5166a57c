"""Write actions on reports: drafting (create, edit) and issuing (number, freeze, sign, send)."""

from reports.services.drafting import (  # noqa: F401
    DEFAULT_RECIPIENTS,
    default_sections,
    ensure_draft,
    period_words,
    report_create,
    report_section_save,
    report_update,
)
