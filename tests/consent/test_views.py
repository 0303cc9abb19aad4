"""The learner-facing consent page: grant or decline for a course, allow-listed redirects."""

from __future__ import annotations

import pytest
from django.urls import reverse

from consent.models import DataSharingConsent
from tests.factories import ConsentFactory, CourseFactory, CustomerFactory, LearnerFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/consent/"


@pytest.fixture
def learner(client):
    user = UserFactory()
    client.force_login(user)
    return user


def linked_customer(learner, **fields):
    """A customer ``learner`` is a linked learner of: only they answer its consent (decision 0052)."""
    customer = CustomerFactory(**fields)
    LearnerFactory(customer=customer, user=learner)
    return customer


@pytest.fixture
def customer(learner):
    return linked_customer(
        learner, name="Acme", enable_data_sharing_consent=True, enforce_data_sharing_consent="at_enrollment"
    )


@pytest.fixture
def course():
    return CourseFactory(title="Data Science 101")


def params(customer, course, **extra):
    return {"enterprise_customer_uuid": str(customer.pk), "course_id": course.course_id, **extra}


def consent_of(customer, user, course):
    return DataSharingConsent.objects.filter(customer=customer, user=user, course_id=course.course_id).first()


def test_the_url_is_mounted():
    assert reverse("consent:consent_page") == URL


def test_login_is_required(client, customer, course):
    client.logout()  # the customer's learner fixture signs in
    response = client.get(URL, params(customer, course))

    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_names_the_customer_and_the_course(client, learner, customer, course):
    page = client.get(URL, params(customer, course))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Share your course data with Acme?" in html and "Data Science 101" in html
    assert 'value="grant"' in html and 'value="decline"' in html


@pytest.mark.parametrize(
    "query",
    [{}, {"course_id": "course-v1:A+B+C"}, {"enterprise_customer_uuid": "not-a-uuid", "course_id": "x"}],
)
def test_missing_or_invalid_parameters_are_404(client, learner, query):
    assert client.get(URL, query).status_code == 404


def test_unknown_customer_or_course_is_404(client, learner, customer, course):
    assert client.get(URL, params(CustomerFactory(active=False), course)).status_code == 404
    customer.__class__.objects.filter(pk=customer.pk).update(active=False)
    assert client.get(URL, params(customer, course)).status_code == 404
    assert client.get(URL, {**params(customer, course), "course_id": "course-v1:No+Such+Course"}).status_code == 404


def test_granting_records_consent_and_goes_to_next(client, learner, customer, course):
    response = client.post(URL, params(customer, course, answer="grant", next="/courses/mine/"))

    assert response.status_code == 302 and response["Location"] == "/courses/mine/"
    consent = consent_of(customer, learner, course)
    assert consent.granted is True
    assert list(consent.history.values_list("granted", flat=True)) == [True]


def test_declining_records_it_and_goes_to_the_failure_url(client, learner, customer, course):
    ConsentFactory(customer=customer, user=learner, course_id=course.course_id, granted=True)

    response = client.post(URL, params(customer, course, answer="decline", failure_url="/declined/"))

    assert response["Location"] == "/declined/"
    consent = consent_of(customer, learner, course)
    assert consent.granted is False
    assert list(consent.history.order_by("id").values_list("granted", flat=True)) == [True, False]


def test_an_outside_next_url_is_never_followed(client, learner, customer, course):
    response = client.post(URL, params(customer, course, answer="grant", next="https://evil.example.com/"))

    assert response.status_code == 200  # the "recorded" page instead of an open redirect
    assert "Your answer was recorded" in response.content.decode()
    assert consent_of(customer, learner, course).granted is True


def test_allowed_hosts_may_be_redirected_to(client, learner, customer, course, settings):
    settings.CONSENT = {"REDIRECT_ALLOWED_HOSTS": ["lms.example.com"]}

    response = client.post(URL, params(customer, course, answer="grant", next="http://lms.example.com/dashboard"))

    assert response["Location"] == "http://lms.example.com/dashboard"


def test_an_outside_next_url_is_not_put_back_in_the_form(client, learner, customer, course):
    page = client.get(URL, params(customer, course, next="https://evil.example.com/"))

    assert "evil.example.com" not in page.content.decode()


def test_the_current_answer_is_shown(client, learner, customer, course):
    ConsentFactory(customer=customer, user=learner, course_id=course.course_id, granted=False)

    assert "You currently do not agree" in client.get(URL, params(customer, course)).content.decode()


def test_a_post_without_a_valid_answer_is_refused(client, learner, customer, course):
    response = client.post(URL, params(customer, course, answer="maybe"))

    assert response.status_code == 400
    assert consent_of(customer, learner, course) is None


def test_customers_without_consent_record_nothing(client, learner, course):
    customer = linked_customer(learner, enable_data_sharing_consent=False)

    page = client.get(URL, params(customer, course))
    client.post(URL, params(customer, course, answer="grant"))

    assert "does not ask for data-sharing consent" in page.content.decode()
    assert consent_of(customer, learner, course) is None


def test_externally_managed_consent_is_not_asked_here(client, learner, course):
    customer = linked_customer(
        learner, enable_data_sharing_consent=True, enforce_data_sharing_consent="externally_managed"
    )

    page = client.get(URL, params(customer, course))
    client.post(URL, params(customer, course, answer="grant"))

    assert "in its own system" in page.content.decode() and 'value="grant"' not in page.content.decode()
    assert consent_of(customer, learner, course) is None


def test_the_form_is_protected_against_csrf(learner, customer, course):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner)

    assert strict.post(URL, params(customer, course, answer="grant")).status_code == 403


def test_a_user_not_linked_to_the_customer_is_refused_and_nothing_is_recorded(client, learner, course):
    """Decision 0052: only the customer's own learners answer; the page names neither it nor its learners."""
    stranger = CustomerFactory(name="Globex", enable_data_sharing_consent=True)
    LearnerFactory(customer=stranger)  # someone else's customer, with its own learners
    elsewhere = linked_customer(learner, name="Acme", enable_data_sharing_consent=True)

    page = client.get(URL, params(stranger, course))
    post = client.post(URL, params(stranger, course, answer="grant", next="/done/"))

    for response in (page, post):
        html = response.content.decode()
        assert response.status_code == 404
        assert "not a learner of this organisation" in html
        assert "Globex" not in html and 'value="grant"' not in html
    assert not DataSharingConsent.objects.filter(customer=stranger).exists()
    assert consent_of(elsewhere, learner, course) is None


def test_an_unlinked_learner_is_refused_like_a_stranger(client, learner, customer, course):
    customer.learners.filter(user=learner).update(linked=False)

    response = client.post(URL, params(customer, course, answer="grant"))

    assert response.status_code == 404 and "not a learner of this organisation" in response.content.decode()
    assert consent_of(customer, learner, course) is None
