"""The portal's sign-in as the browser tests go through it: a customer administrator opens ``target``,
lands on the sign-in page, and is sent back to ``target`` (the factories' password); and the two customers
whose administrators sign in."""

from enterprise.models import EnterpriseCustomerAdmin
from tests.factories import CustomerFactory, UserFactory


def two_customers():
    """Acme (administrator "ada") and Globex (administrator "gus"), both with the factories' password
    "password": the customer under test and the other one, whose administrator must not see Acme's pages."""
    acme = CustomerFactory(name="Acme Corporation", slug="acme")
    globex = CustomerFactory(name="Globex", slug="globex")
    EnterpriseCustomerAdmin.objects.create(customer=acme, user=UserFactory(username="ada"))
    EnterpriseCustomerAdmin.objects.create(customer=globex, user=UserFactory(username="gus"))
    return acme, globex


def sign_in(page, base: str, username: str, target: str) -> None:
    page.goto(base + target)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Sign in").click()
