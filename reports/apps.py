from django.apps import AppConfig

from guards import bounded

# What the verification page's bounded children run (reports.signing.check_file) imports.
VALIDATION_MODULES = [
    "reports.signing",
    "pyhanko.pdf_utils.reader",
    "pyhanko.sign.validation",
    "pyhanko.sign.validation.status",
    "pyhanko.sign.ades.report",
    "pyhanko_certvalidator",
]


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Báo cáo và tổng hợp"

    def ready(self) -> None:
        # pyHanko takes 0.6–1.5 s to import: paid once by the server process of the bounded
        # children, not by each check of an uploaded PDF.
        bounded.preload(*VALIDATION_MODULES)
        # The period switcher (assessments.periods) links each period's issued documents.
        # Imported here: models are not ready when this module is imported.
        from assessments.periods import register_documents  # noqa: PLC0415
        from reports.periods import issued_documents  # noqa: PLC0415

        register_documents(issued_documents)
