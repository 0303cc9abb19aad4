import pytest

from consent.models import DataSharingConsent
from tests.api.conftest import errors_of
from tests.factories import ConsentFactory, LearnerFactory

BASE = "/consent/api/v1/consents"
COURSE = "course-v1:Org+DSC+1"


@pytest.fixture
def consents(customer, other_customer, learner):
    own = ConsentFactory(customer=customer, user=learner.user, course_id=COURSE)
    colleague = ConsentFactory(customer=customer, user=LearnerFactory(customer=customer).user)
    foreign = ConsentFactory(customer=other_customer, user=LearnerFactory(customer=other_customer).user)
    return own, colleague, foreign


def _ids(client, query=""):
    return {row["id"] for row in client.get(f"{BASE}/{query}").json()["results"]}


def test_read_is_scoped_by_role(api_staff, api_admin, api_learner, api_other, consents):
    own, colleague, foreign = consents
    assert _ids(api_staff) == {own.pk, colleague.pk, foreign.pk}
    assert _ids(api_admin) == {own.pk, colleague.pk}
    assert _ids(api_learner) == {own.pk}
    assert _ids(api_other) == {foreign.pk}
    assert api_other.get(f"{BASE}/{own.pk}/").status_code == 404
    assert api_learner.get(f"{BASE}/{colleague.pk}/").status_code == 404
    assert api_learner.get(f"{BASE}/{own.pk}/").json()["state"] == "granted"


def test_list_query_count_and_filters(api_staff, consents, customer, django_assert_max_num_queries):
    for _ in range(20):
        ConsentFactory(customer=customer)
    with django_assert_max_num_queries(3):
        assert len(api_staff.get(f"{BASE}/?customer={customer.uuid}").json()["results"]) == 22
    own = consents[0]
    assert _ids(api_staff, f"?user_id={own.user_id}") == {own.pk}
    assert errors_of(api_staff.get(f"{BASE}/?user_id=x"))[0]["field"] == "user_id"
    assert errors_of(api_staff.get(f"{BASE}/?customer=x"))[0]["field"] == "customer"


def test_learner_revokes_and_grants_own_consent_with_history(api_learner, learner, customer):
    payload = {"customer": str(customer.uuid), "course_id": COURSE}
    body = api_learner.post(f"{BASE}/revoke/", payload, format="json").json()
    assert (body["granted"], body["state"], body["user_id"]) == (False, "revoked", learner.user_id)
    body = api_learner.post(f"{BASE}/grant/", payload, format="json").json()
    consent = DataSharingConsent.objects.get(pk=body["id"])
    assert [h.granted for h in consent.history.all()] == [False, True]


def test_learner_cannot_answer_for_others_or_other_customers(api_learner, api_admin, other_customer, customer, learner):
    payload = {"customer": str(other_customer.uuid), "course_id": COURSE}
    assert api_learner.post(f"{BASE}/grant/", payload, format="json").status_code == 404
    other_user = LearnerFactory(customer=customer).user
    payload = {"customer": str(customer.uuid), "course_id": COURSE, "user_id": other_user.pk}
    response = api_learner.post(f"{BASE}/grant/", payload, format="json")
    assert response.status_code == 403
    assert api_admin.post(f"{BASE}/grant/", payload, format="json").status_code == 403
    assert not DataSharingConsent.objects.exists()


def test_other_customers_admin_cannot_answer_for_the_customer(api_other, customer, learner):
    payload = {"customer": str(customer.uuid), "course_id": COURSE}
    assert api_other.post(f"{BASE}/grant/", payload, format="json").status_code == 404
    response = api_other.post(f"{BASE}/revoke/", {**payload, "user_id": learner.user_id}, format="json")
    assert response.status_code == 403
    assert not DataSharingConsent.objects.exists()


def test_staff_records_on_behalf(api_staff, customer, learner):
    payload = {"customer": str(customer.uuid), "course_id": COURSE, "user_id": learner.user_id}
    assert api_staff.post(f"{BASE}/grant/", payload, format="json").json()["granted"] is True


@pytest.mark.parametrize(("method", "path"), [("get", ""), ("get", "{pk}/"), ("post", "grant/"), ("post", "revoke/")])
def test_anonymous_gets_401(api_anon, consents, customer, method, path):
    url = f"{BASE}/" + path.format(pk=consents[0].pk)
    response = getattr(api_anon, method)(url, {"customer": str(customer.uuid), "course_id": COURSE}, format="json")
    assert response.status_code == 401
    assert not DataSharingConsent.objects.filter(course_id=COURSE, granted=False).exists()


def test_bad_input(api_learner):
    response = api_learner.post(f"{BASE}/grant/", {"customer": "nope"}, format="json")
    assert {e["field"] for e in errors_of(response)} == {"customer", "course_id"}
