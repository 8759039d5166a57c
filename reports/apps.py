from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Báo cáo và tổng hợp"

    def ready(self):
        from guards import bounded

        # pyHanko takes about 1.5 s to import: paid once by the server process of the
        # bounded children, not by each check of an uploaded PDF.
        bounded.preload("reports.signing", *VALIDATION_MODULES)


VALIDATION_MODULES = [
    "pyhanko.pdf_utils.reader",
    "pyhanko.sign.validation",
    "pyhanko.sign.validation.status",
    "pyhanko.sign.ades.report",
    "pyhanko_certvalidator",
]
