"""``manage.py create_scim_token CUSTOMER [--name NAME]``: print a new SCIM bearer token of the customer."""

from django.core.management.base import BaseCommand, CommandError

from enterprise.models import EnterpriseCustomer
from integrated_channels.scim.services.tokens import create_token, find_customer


class Command(BaseCommand):
    help = (
        "Create a SCIM bearer token for a customer (its slug or uuid) and print it. The token is shown "
        "only now (only its hash is stored); revoke it in the admin (SCIM tokens)."
    )

    def add_arguments(self, parser):
        parser.add_argument("customer", help="The customer's slug or uuid.")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'Entra ID'.")

    def handle(self, *args, customer, name, **options):
        try:
            found = find_customer(customer)
        except EnterpriseCustomer.DoesNotExist:
            raise CommandError(f"No customer with the slug or uuid {customer!r}.") from None
        new = create_token(customer=found, name=name)
        if options["verbosity"] > 1:
            self.stderr.write(f"SCIM token {new.token.prefix}… for {found} (base URL: <host>/scim/v2/)")
        self.stdout.write(new.secret)
