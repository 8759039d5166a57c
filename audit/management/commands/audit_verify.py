from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.services import chain_verify


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chain: prints the number of entries and OK, or the "
        "first entry that was edited, removed or linked wrongly (exit status 1)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        check = chain_verify()
        self.stdout.write(f"{check.count} entries checked.")
        if check.ok:
            self.stdout.write("OK")
            return
        if check.broken is not None:
            at = timezone.localtime(check.broken.at)
            where = f"entry {check.broken.id} ({at:%d/%m/%Y %H:%M:%S})"
        else:
            where = "end of the chain"
        raise CommandError(f"BROKEN at {where}: {check.problem}.")
