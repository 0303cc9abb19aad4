"""Re-encrypt every stored secret with the first key of ENTERPRISE["ENCRYPTION_KEYS"]."""

import contextlib
import os

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from enterprise import encryption
from enterprise.fields import encrypted_fields

CHUNK = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the newest key (the first of ENTERPRISE['ENCRYPTION_KEYS'], "
        "else the key derived from SECRET_KEY). Put the new key first, run this, then remove the old key. "
        "After changing SECRET_KEY with no ENCRYPTION_KEYS, name the environment variable holding the former "
        "SECRET_KEY with --old-secret-key-env."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--old-secret-key-env",
            metavar="NAME",
            help="Environment variable holding a former SECRET_KEY: values encrypted with the key derived "
            "from it are decrypted too (and re-encrypted with the newest key).",
        )

    def handle(self, *args, old_secret_key_env=None, **options):
        old_keys = []
        if old_secret_key_env:
            old = os.environ.get(old_secret_key_env)
            if not old:
                raise CommandError(f"The environment variable {old_secret_key_env} is not set or empty.")
            old_keys.append(encryption.derived_key(old))
        with encryption.also_decrypting_with(old_keys) if old_keys else contextlib.nullcontext():
            total = self.rotate()
        self.stdout.write(self.style.SUCCESS(f"{total} value(s) re-encrypted with the newest key."))

    def rotate(self) -> int:
        total = 0
        for model, name in encrypted_fields():
            # Reading decrypts with whichever key still matches; writing encrypts with the newest.
            with transaction.atomic():
                rows = list(model.objects.exclude(**{name: ""}).only("pk", name))
                model.objects.bulk_update(rows, [name], batch_size=CHUNK)
            total += len(rows)
            self.stdout.write(f"{model._meta.label}.{name}: {len(rows)} re-encrypted")
        return total
