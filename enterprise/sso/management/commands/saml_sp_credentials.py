"""Generate the SAML service provider's key pair and store it (private key encrypted at rest)."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.management.base import BaseCommand, CommandError

from enterprise.sso.models import ServiceProviderCredentials


def generate_key_pair(*, common_name: str, days: int) -> tuple[str, str]:
    """(PEM certificate, PEM private key): RSA 3072, self-signed, valid ``days`` days."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


class Command(BaseCommand):
    help = "Show, or --generate, the SAML service provider's certificate (the private key is stored encrypted)."

    def add_arguments(self, parser):
        parser.add_argument("--generate", action="store_true", help="Create a new key pair.")
        parser.add_argument("--replace", action="store_true", help="With --generate: replace an existing key pair.")
        parser.add_argument("--common-name", default="enterprise-saml-sp")
        parser.add_argument("--days", type=int, default=3650)

    def handle(self, *args, generate=False, replace=False, common_name="", days=3650, **options):
        row = ServiceProviderCredentials.objects.first()
        if generate:
            if row is not None and not replace:
                raise CommandError("Credentials exist; add --replace to generate new ones (IdPs must then be updated).")
            certificate, private_key = generate_key_pair(common_name=common_name, days=days)
            if row is None:
                row = ServiceProviderCredentials(certificate=certificate, private_key=private_key)
            else:
                row.certificate, row.private_key = certificate, private_key
            row.save()
            self.stdout.write("New SAML service provider key pair stored (private key encrypted).")
        if row is None:
            raise CommandError("No SAML service provider credentials; run with --generate.")
        self.stdout.write(row.certificate)
