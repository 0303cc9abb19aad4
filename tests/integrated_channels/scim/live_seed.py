"""Seed a fresh database for the live SCIM compliance run (tests/integrated_channels/scim/compliance.sh).

Prints a new SCIM bearer token of a new customer.
"""

import os

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "standalone.settings")
    django.setup()
    from enterprise.models import EnterpriseCustomer
    from integrated_channels.scim.services.tokens import create_token

    customer, _created = EnterpriseCustomer.objects.get_or_create(
        slug="scim-compliance", defaults={"name": "SCIM compliance"}
    )
    print(create_token(customer=customer, name="scim2-tester").secret)


if __name__ == "__main__":
    main()
