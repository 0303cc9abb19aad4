"""The admin pages of provider content and of the content connections render, secrets write-only."""

from __future__ import annotations

import datetime

import pytest

from enterprise.lms.content import services
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_content_pages_render_and_imported_rows_are_read_only(staff_client):
    customer = CustomerFactory()
    catalogs = services.catalogs_named(customer_id=customer.pk, names=["Tech"])
    services.import_courses(
        provider="hmm",
        customer_id=customer.pk,
        records=[services.CourseRecord("c1", "Coaching")],
        catalogs=catalogs,
        now=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC),
    )
    for url in (
        "/admin/lms_content/providercourse/",
        "/admin/lms_content/catalog/",
        "/admin/lms_content/providerprogress/",
    ):
        assert staff_client.get(url).status_code == 200, url
    page = staff_client.get("/admin/lms_content/catalog/").content.decode()
    assert "Tech" in page
    assert staff_client.get("/admin/lms_content/providercourse/add/").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/admin/harvard_managementor/harvardmanagementorconnection/add/",
        "/admin/linkedin_learning/linkedinlearningconnection/add/",
        "/admin/linkedin_learning/lyndaconnection/add/",
        "/admin/getabstract/getabstractconnection/add/",
    ],
)
def test_connection_forms_render(staff_client, path):
    page = staff_client.get(path)
    assert page.status_code == 200
    assert "learner_access" in page.content.decode()
