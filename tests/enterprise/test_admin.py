"""The admin pages of the seed's four items and the local catalog: they load, search, stay bounded."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent.models import DataSharingConsent
from enterprise.admin.paginator import EstimatedCountPaginator, estimated_row_count
from enterprise.lms.local import models as lms
from enterprise.models import (
    EnrollmentNotificationEmailTemplate,
    EnterpriseCourseEnrollment,
    EnterpriseCustomer,
    EnterpriseCustomerUser,
    PendingEnterpriseCustomerUser,
)
from tests.factories import (
    CertificateFactory,
    ConsentFactory,
    CourseFactory,
    CustomerFactory,
    EmailTemplateFactory,
    EnrollmentFactory,
    GradeFactory,
    LearnerFactory,
    PendingLearnerFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ADMIN_MODELS = [
    EnterpriseCustomer,
    EnterpriseCustomerUser,
    PendingEnterpriseCustomerUser,
    EnrollmentNotificationEmailTemplate,
    EnterpriseCourseEnrollment,
    lms.Course,
    lms.Program,
    lms.LmsEnrollment,
    lms.Certificate,
    lms.Grade,
    DataSharingConsent,
]


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.fixture
def data():
    learner = LearnerFactory()
    PendingLearnerFactory(customer=learner.customer)
    EmailTemplateFactory(customer=learner.customer)
    course = CourseFactory()
    ProgramFactory(courses=[course])
    EnrollmentFactory(learner=learner, course_id=course.course_id)
    lms.LmsEnrollment.objects.create(user=learner.user, course=course, mode="audit")
    CertificateFactory(user=learner.user, course=course)
    GradeFactory(user=learner.user, course=course)
    ConsentFactory(customer=learner.customer, user=learner.user, course_id=course.course_id)
    return learner


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_changelist_and_add_pages_load_for_staff(staff_client, data, model):
    assert staff_client.get(changelist(model)).status_code == 200
    add = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    assert staff_client.get(add).status_code == 200


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_change_page_loads_for_staff(staff_client, data, model):
    obj = model.objects.first()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    assert staff_client.get(url).status_code == 200


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_non_staff_users_are_sent_to_login(client, data, model):
    client.force_login(UserFactory(is_staff=False))
    response = client.get(changelist(model))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_user_fields_are_raw_id_not_a_select_of_every_user():
    model_admin = admin.site._registry[EnterpriseCustomerUser]
    assert "user" in model_admin.raw_id_fields
    for model in (lms.LmsEnrollment, lms.Certificate, lms.Grade):
        assert "user" in admin.site._registry[model].raw_id_fields


@pytest.mark.parametrize(
    ("term", "expected"),
    [("ANN@example.com", ["ann"]), ("an", ["ann", "anna"]), ("zed", []), ("", ["ann", "anna", "bob"])],
)
def test_linked_learner_search_is_exact_email_or_username_prefix(staff_client, term, expected):
    customer = CustomerFactory()
    for name in ("ann", "anna", "bob"):
        LearnerFactory(customer=customer, user=UserFactory(username=name, email=f"{name}@example.com"))
    response = staff_client.get(changelist(EnterpriseCustomerUser), {"q": term})
    shown = sorted(obj.user.username for obj in response.context["cl"].result_list)
    assert shown == expected


def test_linked_learner_search_by_user_id(staff_client):
    learner = LearnerFactory()
    LearnerFactory()
    response = staff_client.get(changelist(EnterpriseCustomerUser), {"q": str(learner.user_id)})
    assert list(response.context["cl"].result_list) == [learner]


def test_pending_learner_search_exact_and_prefix(staff_client):
    PendingLearnerFactory(user_email="carol@example.com")
    PendingLearnerFactory(user_email="carl@example.com")
    exact = staff_client.get(changelist(PendingEnterpriseCustomerUser), {"q": " Carol@Example.com"})
    assert [p.user_email for p in exact.context["cl"].result_list] == ["carol@example.com"]
    prefix = staff_client.get(changelist(PendingEnterpriseCustomerUser), {"q": "car"})
    assert len(prefix.context["cl"].result_list) == 2


def test_learner_changelist_queries_do_not_grow_with_rows(staff_client):
    customer = CustomerFactory()

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(changelist(EnterpriseCustomerUser)).status_code == 200
        return len(queries)

    LearnerFactory(customer=customer)
    few = count_queries()
    for _ in range(30):
        LearnerFactory(customer=customer)
    assert count_queries() == few


def test_changelist_does_not_count_the_whole_table_twice(staff_client):
    LearnerFactory()
    with CaptureQueriesContext(connection) as queries:
        staff_client.get(changelist(EnterpriseCustomerUser), {"linked__exact": "1"})
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "enterprisecustomeruser" in q["sql"]]
    assert len(counts) == 1, counts  # the filtered count only; no full-table COUNT(*)


def test_customer_without_consent_shows_a_warning(staff_client):
    customer = CustomerFactory(enable_data_sharing_consent=False)
    url = reverse("admin:enterprise_enterprisecustomer_change", args=[customer.pk])
    assert "without their explicit consent" in staff_client.get(url).content.decode()
    customer.enable_data_sharing_consent = True
    customer.save()
    assert "without their explicit consent" not in staff_client.get(url).content.decode()


def test_estimated_count_is_not_used_off_postgres_or_when_filtered(settings):
    settings.ENTERPRISE = {"ADMIN_ESTIMATED_COUNT_THRESHOLD": 0}
    LearnerFactory()
    LearnerFactory()
    paginator = EstimatedCountPaginator(EnterpriseCustomerUser.objects.filter(linked=True).order_by("pk"), 10)
    assert paginator.count == 2
    if connection.vendor != "postgresql":
        assert estimated_row_count(EnterpriseCustomerUser) is None


@pytest.mark.postgresql
def test_unfiltered_huge_table_uses_the_planner_estimate(settings):
    settings.ENTERPRISE = {"ADMIN_ESTIMATED_COUNT_THRESHOLD": 10}
    customer = CustomerFactory()
    users = UserFactory.create_batch(40)
    EnterpriseCustomerUser.objects.bulk_create([EnterpriseCustomerUser(customer=customer, user=u) for u in users])
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {EnterpriseCustomerUser._meta.db_table}")
    paginator = EstimatedCountPaginator(EnterpriseCustomerUser.objects.order_by("pk"), 10)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 40
    assert not any("COUNT(" in q["sql"].upper() for q in queries)
