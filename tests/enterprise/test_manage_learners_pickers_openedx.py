"""The Manage Learners pickers with the Open edX catalog (course-discovery) and with provider content."""

import uuid

import pytest

from enterprise.lms.content import services as content
from enterprise.lms.openedx.auth import token_store
from tests.factories import CustomerFactory
from tests.fakes.openedx import FakeOpenEdX

pytestmark = pytest.mark.django_db

SEARCH_URL = "/admin/enterprise/enterprisecustomer/manage_learners/catalog_search/"
OPENEDX_CATALOG = "enterprise.lms.openedx.backends.OpenEdXCatalog"


@pytest.fixture
def fake_openedx(settings):
    with FakeOpenEdX() as fake:
        fake.add_client("worker-client", "worker-secret", "enterprise_worker", staff=True)
        token_store.clear()
        settings.ENTERPRISE_OPENEDX = {
            "LMS_URL": fake.lms_url,
            "DISCOVERY_API_URL": fake.discovery_api_url,
            "CLIENT_ID": "worker-client",
            "CLIENT_SECRET": "worker-secret",
            "MAX_RETRIES": 0,
        }
        settings.ENTERPRISE = {**settings.ENTERPRISE, "CATALOG_BACKEND": OPENEDX_CATALOG}
        yield fake
        token_store.clear()


def suggestions(staff_client, kind, query):
    response = staff_client.get(SEARCH_URL, {"kind": kind, "q": query})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_program_picker_suggests_open_edx_programs(staff_client, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+Lead1+2027", title="Leading people")
    fake_openedx.add_course_run("course-v1:Acme+Lead2+2027", title="Leading change")
    track = uuid.uuid4()
    fake_openedx.add_program(track, "Leadership Track", ["Acme+Lead1", "Acme+Lead2"])
    fake_openedx.add_program(uuid.uuid4(), "Leadership 2019", ["Acme+Lead1"], status="retired")
    fake_openedx.add_program(uuid.uuid4(), "Data Science", ["Acme+Lead1"])

    assert suggestions(staff_client, "program", "leader") == [
        {"id": str(track), "title": "Leadership Track", "detail": "2 courses"}
    ]
    assert [s["id"] for s in suggestions(staff_client, "program", str(track)[:8])] == [str(track)]
    (call, _by_uuid) = fake_openedx.calls("discovery", "/api/v1/programs/")
    assert (call.query["q"], call.query["status"]) == ("leader*", "active")


def test_the_course_picker_suggests_open_edx_course_runs_with_their_modes(staff_client, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+Data101+2027", title="Data Literacy", modes=("audit", "verified"))

    (suggestion,) = suggestions(staff_client, "course", "literacy")

    assert (suggestion["id"], suggestion["title"]) == ("course-v1:Acme+Data101+2027", "Data Literacy")
    assert suggestion["detail"].endswith("audit, verified")


def test_an_unreachable_discovery_leaves_the_raw_id_usable(staff_client, fake_openedx):
    fake_openedx.fail("discovery", "/api/v1/programs/", status=503, times=5)

    response = staff_client.get(SEARCH_URL, {"kind": "program", "q": "leader"})

    assert response.status_code == 502
    assert response.json()["results"] == []


def test_provider_courses_are_suggested_and_retired_ones_are_not(staff_client):
    customer_id = CustomerFactory().pk
    records = [
        content.CourseRecord(provider_id="hmm-coaching", title="Coaching for Results"),
        content.CourseRecord(provider_id="hmm-coaching-old", title="Coaching (2019)", retired=True),
    ]
    content.import_courses(provider="hmm", customer_id=customer_id, records=records)

    found = suggestions(staff_client, "course", "coaching")

    assert [(s["id"], s["title"]) for s in found] == [("hmm:hmm-coaching", "Coaching for Results")]
    assert found[0]["detail"] == "audit"


def test_with_open_edx_the_course_picker_suggests_provider_courses_beside_runs(staff_client, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+Coach+2027", title="Coaching teams", modes=("verified",))
    content.import_courses(
        provider="hmm",
        customer_id=CustomerFactory().pk,
        records=[content.CourseRecord(provider_id="hmm-coaching", title="Coaching for Results")],
    )

    found = suggestions(staff_client, "course", "coaching")

    assert [(s["id"], s["title"]) for s in found] == [
        ("course-v1:Acme+Coach+2027", "Coaching teams"),
        ("hmm:hmm-coaching", "Coaching for Results"),
    ]
    modes = staff_client.get(SEARCH_URL.replace("catalog_search", "course_modes"), {"course_id": "hmm:hmm-coaching"})
    assert modes.status_code == 200, modes.content
    assert modes.json()["modes"] == ["audit"]
    assert fake_openedx.calls("discovery", "/api/v1/course_runs/") == []  # the look-up stayed local
