"""Re-encrypt every stored secret with the first key of ENTERPRISE["ENCRYPTION_KEYS"]."""

from django.core.management.base import BaseCommand
from django.db import transaction

from enterprise.fields import encrypted_fields

CHUNK = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the newest key (the first of ENTERPRISE['ENCRYPTION_KEYS']). "
        "Put the new key first, run this, then remove the old key."
    )

    def handle(self, *args, **options):
        total = 0
        for model, name in encrypted_fields():
            # Reading decrypts with whichever key still matches; writing encrypts with the newest.
            with transaction.atomic():
                rows = list(model.objects.exclude(**{name: ""}).only("pk", name))
                model.objects.bulk_update(rows, [name], batch_size=CHUNK)
            total += len(rows)
            self.stdout.write(f"{model._meta.label}.{name}: {len(rows)} re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"{total} value(s) re-encrypted with the newest key."))
