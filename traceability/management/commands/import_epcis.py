"""``manage.py import_epcis FILE --organisation ID``: import a partner's EPCIS JSON document.

Same service and policy as the import page: the whole document or nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from farm.models import Organisation
from traceability import imports


class Command(BaseCommand):
    help = "Import a partner's EPCIS 2.0 JSON document; rejected entirely if any event is invalid."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--organisation", type=int, required=True, help="importing org id")

    def handle(self, *args, file: Path, organisation: int, **options):
        if not Organisation.objects.filter(pk=organisation).exists():
            raise CommandError(f"no organisation {organisation}")
        try:
            size = file.stat().st_size
            kind = "application/xml" if file.suffix.lower() == ".xml" else "application/json"
            imports.check_upload(file.name, kind, size)
            raw = file.read_bytes()
            document = imports.parse(raw, file.name, kind)
            report = imports.import_document(document, organisation, filename=file.name, raw=raw)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        except (imports.UploadRejected, imports.SchemaMissing) as exc:
            raise CommandError(str(exc)) from None
        if not report.accepted:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"rejected: {len(report.problems)} problem(s); nothing of the "
                f"{report.total} events was imported"
            )
        self.stdout.write(
            f"imported {report.added} of {report.total} events "
            f"({report.duplicates} already known, {report.linked} linked to our lots)"
        )
