"""The portal's connection forms in a real browser at 1024 px: a customer administrator creates an SFTP
connection, tests it against the fake SFTP server (its newest file's columns fill the mapping's drop-downs),
maps fields, sets a filter and saves; axe-core on each page; the password is never in a page; another
customer's administrator gets 404 on the connection's form."""

import pytest
from django.urls import reverse

from enterprise.models import EnterpriseCustomerAdmin
from integrated_channels.integrated_channel.models import PortalConnector
from integrated_channels.sftp.models import SFTPConfiguration
from integrated_channels.xapi import paths
from integrated_channels.xapi.models import XAPIImportConfiguration, XAPIImportFilter, XAPIImportMapping
from tests.browser.accessibility import assert_accessible
from tests.browser.portal_sign_in import sign_in, two_customers
from tests.factories import CustomerFactory, UserFactory
from tests.fakes.sftp import FakeSFTPServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1024, "height": 800}
IMPORT_DIR = "import/user/internal"


@pytest.fixture
def sftp_server(tmp_path):
    with FakeSFTPServer(tmp_path / "sftp-root") as server:
        server.write(f"{IMPORT_DIR}/people.csv", "\ufeffEmail,Boss,Dept\nann@example.com,,Sales\n")
        yield server


def test_create_test_map_and_filter_a_connection(live_server, open_browser, artifacts_dir, sftp_server):
    acme, globex = two_customers()  # administrators "ada" and "gus"
    for customer in (acme, globex):
        PortalConnector.objects.create(customer=customer, channel="SFTP")
    connectors = reverse("enterprise_portal:connectors", kwargs={"customer_uuid": acme.uuid})

    with open_browser(viewport=VIEWPORT) as page:
        sign_in(page, live_server.url, "ada", connectors)
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
        sign_in(page, live_server.url, "gus", reverse("enterprise_portal:index"))
        page.wait_for_load_state()
        response = page.goto(live_server.url + edit_path)
        assert response.status == 404
        assert "hr-files" not in page.content() and sftp_server.password not in page.content()


def test_rows_page_and_delete_confirmation(live_server, open_browser, artifacts_dir):
    """The xAPI import's filters added with the admin's inline formset, then the connection deleted after its
    confirmation page; axe-core on both pages (decision 0485)."""
    acme = CustomerFactory(name="Acme Corporation", slug="acme")
    PortalConnector.objects.create(customer=acme, channel="XAPI_IMPORT")
    EnterpriseCustomerAdmin.objects.create(customer=acme, user=UserFactory(username="ada"))
    xapi = XAPIImportConfiguration.objects.create(
        customer=acme,
        name="statements",
        host="sftp.example.com",
        username="lms",
        password="xapi-pw-5150",
        host_key_fingerprint="SHA256:" + "A" * 43,
        source_file="import/xapi.csv",
    )
    XAPIImportMapping.objects.create(configuration=xapi, path=paths.ACTOR_MBOX, column="Learner")
    kwargs = {"customer_uuid": acme.uuid, "configuration_id": xapi.pk}
    edit = reverse("enterprise_portal:connection_edit", kwargs=kwargs)

    with open_browser(viewport=VIEWPORT) as page:
        sign_in(page, live_server.url, "ada", edit)
        page.get_by_role("link", name="Edit the rows").click()
        page.get_by_role("heading", level=1, name="Rows of xAPI statement import connection statements").wait_for()
        # The Add button's script is deferred: the heading shows before it runs, and a click then adds nothing
        # (a loaded CI machine did that once). Wait for the load event, and for the new row itself.
        page.wait_for_load_state()
        rows = page.locator("fieldset.connection-row")
        before = rows.count()
        page.get_by_role("button", name="Add a row to: filters").click()
        rows.nth(before).wait_for()
        row = rows.last
        row.get_by_label("Name", exact=True).fill("recent")
        row.get_by_label("Field", exact=True).fill("Date")
        row.get_by_label("Operator", exact=True).select_option("after")
        row.get_by_label("Value", exact=True).fill("2026-01-01")
        assert_accessible(page, where="the connection's rows, a filter added")
        page.screenshot(path=str(artifacts_dir / "portal-connection-rows-1024.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
        page.get_by_role("button", name="Save the rows").click()
        page.get_by_text("statements: rows saved.").wait_for()
        assert "xapi-pw-5150" not in page.content()

        saved = page.locator("fieldset.connection-row").last  # the filter, as saved and shown again
        saved_filter = [saved.get_by_label(label, exact=True).input_value() for label in ("Name", "Operator", "Value")]
        page.goto(live_server.url + edit)
        page.get_by_role("link", name="Delete the connection statements").click()
        page.get_by_role("heading", level=1, name="Delete xAPI statement import connection statements?").wait_for()
        assert_accessible(page, where="the delete confirmation page")
        page.get_by_role("button", name="Yes, delete the connection").click()
        page.get_by_text("The connection statements was deleted; its runs are kept.").wait_for()
    assert saved_filter == ["recent", "after", "2026-01-01"]
    assert not XAPIImportConfiguration.objects.exists() and not XAPIImportFilter.objects.exists()
