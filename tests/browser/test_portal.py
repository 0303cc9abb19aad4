"""The portal in a real browser at 1366 px: a customer administrator signs in, links a CSV with a
preview, confirms, unlinks; another customer's administrator sees none of it by any URL."""

import pytest
from django.urls import reverse

from enterprise.models import EnterpriseCustomerAdmin, EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from tests.factories import CustomerFactory, LearnerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture
def data(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    acme = CustomerFactory(name="Acme Corporation", slug="acme")
    globex = CustomerFactory(name="Globex", slug="globex")
    EnterpriseCustomerAdmin.objects.create(customer=acme, user=UserFactory(username="ada"))  # password "password"
    EnterpriseCustomerAdmin.objects.create(customer=globex, user=UserFactory(username="gus"))
    UserFactory(username="bob", email="bob@example.com")
    LearnerFactory(customer=globex, user__username="taken", user__email="taken@example.com")
    return acme, globex


def _sign_in(page, base, username):
    page.goto(base + reverse("enterprise_portal:index"))
    assert "/portal/login/" in page.url  # anonymous: to the sign-in page
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/learners/")


def test_a_customer_administrator_links_a_csv_and_unlinks(live_server, open_browser, data, artifacts_dir, tmp_path):
    acme, globex = data
    csv = tmp_path / "learners.csv"
    csv.write_text("email\nbob@example.com\nnew.hire@example.com\ntaken@example.com\n")
    globex_url = live_server.url + reverse("enterprise_portal:learners", kwargs={"customer_uuid": globex.uuid})
    with open_browser(viewport=VIEWPORT) as page:
        _sign_in(page, live_server.url, "ada")
        assert page.get_by_role("heading", level=1).inner_text() == "Learners of Acme Corporation"
        page.get_by_label("CSV file of e-mail addresses").set_input_files(str(csv))
        page.locator("#link-submit").click()
        page.get_by_role("heading", name="Preview: nothing has changed yet").wait_for()
        first = page.locator("#result-rows tbody tr").first
        assert "taken@example.com" in first.inner_text() and "Belongs to another customer." in first.inner_text()
        assert "Globex" not in page.content()
        page.screenshot(path=str(artifacts_dir / "portal-preview-1366.png"), full_page=True)
        # the page fits the 1366 px window: no horizontal scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
        page.get_by_role("button", name="Confirm: apply these changes").click()
        page.get_by_role("heading", name="Result").wait_for()
        assert "1 linked learner" in page.locator("#linked-title").inner_text()
        page.get_by_label("Select bob").check()
        page.get_by_role("button", name="Unlink selected learners").click()
        page.get_by_text("Unlinked 1 learner.").wait_for()
        # another customer's page, by its URL: not found
        response = page.goto(globex_url)
        assert response.status == 404
        assert "taken@example.com" not in page.content()
    assert PendingEnterpriseCustomerUser.objects.get(customer=acme).user_email == "new.hire@example.com"
    assert not EnterpriseCustomerUser.objects.get(customer=acme, user__username="bob").linked
    assert EnterpriseCustomerUser.objects.get(customer=globex).linked


def test_the_skip_link_is_the_first_keyboard_stop(live_server, open_browser, data):
    with open_browser(viewport=VIEWPORT) as page:
        _sign_in(page, live_server.url, "gus")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        assert "Globex" in page.get_by_role("heading", level=1).inner_text()
        assert "Acme" not in page.content()
