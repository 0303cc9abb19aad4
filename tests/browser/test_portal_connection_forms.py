"""The portal's connection forms in a real browser at 1024 px: a customer administrator creates an SFTP
connection, tests it against the fake SFTP server (its newest file's columns fill the mapping's drop-downs),
maps fields, sets a filter and saves; axe-core on each page; the password is never in a page; another
customer's administrator gets 404 on the connection's form."""

import pytest
from django.urls import reverse

from enterprise.models import EnterpriseCustomerAdmin
from integrated_channels.integrated_channel.models import PortalConnector
from integrated_channels.sftp.models import SFTPConfiguration
from tests.browser.accessibility import assert_accessible
from tests.factories import CustomerFactory, UserFactory
from tests.fakes.sftp import FakeSFTPServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1024, "height": 800}
IMPORT_DIR = "import/user/internal"


def _sign_in(page, base, username, target):
    page.goto(base + target)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def sftp_server(tmp_path):
    with FakeSFTPServer(tmp_path / "sftp-root") as server:
        server.write(f"{IMPORT_DIR}/people.csv", "\ufeffEmail,Boss,Dept\nann@example.com,,Sales\n")
        yield server


def test_create_test_map_and_filter_a_connection(live_server, open_browser, artifacts_dir, sftp_server):
    acme = CustomerFactory(name="Acme Corporation", slug="acme")
    globex = CustomerFactory(name="Globex", slug="globex")
    for customer in (acme, globex):
        PortalConnector.objects.create(customer=customer, channel="SFTP")
    EnterpriseCustomerAdmin.objects.create(customer=acme, user=UserFactory(username="ada"))  # password "password"
    EnterpriseCustomerAdmin.objects.create(customer=globex, user=UserFactory(username="gus"))
    connectors = reverse("enterprise_portal:connectors", kwargs={"customer_uuid": acme.uuid})

    with open_browser(viewport=VIEWPORT) as page:
        _sign_in(page, live_server.url, "ada", connectors)
        page.wait_for_url("**/connectors/")
        page.get_by_role("link", name="Connect: new SFTP connection").click()
        page.get_by_role("heading", level=1, name="New SFTP connection").wait_for()
        assert_accessible(page, where="the new connection form")
        page.get_by_label("Connection name").fill("hr-files")
        page.get_by_label("Host", exact=True).fill(sftp_server.host)
        page.get_by_label("Port", exact=True).fill(str(sftp_server.port))
        page.get_by_label("Username", exact=True).fill(sftp_server.username)
        page.get_by_label("Password", exact=True).fill(sftp_server.password)
        page.get_by_label("Host key fingerprint").fill(sftp_server.fingerprint)
        page.get_by_role("button", name="Create the connection").click()
        page.get_by_text("hr-files saved.").wait_for()

        # Test connection against the fake server: the newest file's columns, offered in the drop-downs.
        page.get_by_role("button", name="Test connection").click()
        page.get_by_text("Columns of the newest file: Email, Boss, Dept.").wait_for()
        email = page.locator("#id_attribute_mapping__email")
        offered = email.locator("option").all_inner_texts()
        assert offered[:4] == ["— choose a column —", "Email", "Boss", "Dept"]  # then the model's default, "email"
        email.select_option("Email")
        page.select_option("#id_attribute_mapping__manager", "Boss")
        page.select_option("#id_attribute_mapping__department", "Dept")
        builder = page.locator("#id_import_conditions")
        builder.get_by_role("button", name="Add a filter").click()
        page.select_option("#id_import_conditions-1-column", "Dept")
        page.select_option("#id_import_conditions-1-op", label="in")
        page.fill("#id_import_conditions-1-value", "Sales, Ops")
        page.get_by_label("Enabled").check()
        assert_accessible(page, where="the connection form, mapped and filtered")
        page.screenshot(path=str(artifacts_dir / "portal-connection-form-1024.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
        page.get_by_role("button", name="Save").click()
        page.get_by_text("hr-files saved.").wait_for()
        assert page.locator("#id_import_conditions-1-column").input_value() == "Dept"
        assert sftp_server.password not in page.content()
        edit_path = page.url.removeprefix(live_server.url)

    connection = SFTPConfiguration.objects.get()
    assert connection.customer_id == acme.pk and connection.active and connection.password == sftp_server.password
    assert connection.attribute_mapping == {"email": "Email", "manager": "Boss", "department": "Dept"}
    assert connection.import_conditions == [{"column": "Dept", "op": "in", "value": ["Sales", "Ops"]}]

    with open_browser(viewport=VIEWPORT) as page:
        _sign_in(page, live_server.url, "gus", reverse("enterprise_portal:index"))
        page.wait_for_load_state()
        response = page.goto(live_server.url + edit_path)
        assert response.status == 404
        assert "hr-files" not in page.content() and sftp_server.password not in page.content()
