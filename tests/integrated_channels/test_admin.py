"""The channel admin: configurations with write-only secrets, runs with error reports, the audit; staff only."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from integrated_channels.integrated_channel.models import ContentTransmissionAudit, LearnerDataTransmissionAudit, Run
from integrated_channels.integrated_channel.services.transmission import (
    transmit_content_metadata,
    transmit_learner_data,
)
from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration
from tests.factories import CourseFactory, CustomerFactory, UserFactory
from tests.integrated_channels.factories import (
    SECRET,
    SAPConfigurationFactory,
    TestChannelConfigurationFactory,
    completed_enrollment,
)

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


@pytest.fixture
def failed_run():
    config = TestChannelConfigurationFactory(customer__name="Acme", customer__enable_data_sharing_consent=False)
    course = CourseFactory()
    config.refuse_course_ids = course.course_id
    config.save()
    completed_enrollment(config.customer, course=course)
    completed_enrollment(config.customer)
    result = transmit_learner_data(configuration=config)
    return Run.objects.get(pk=result.run_id)


def test_sap_configuration_page_never_shows_the_secret(staff_client):
    config = SAPConfigurationFactory()

    page = staff_client.get(url("sap_success_factors_sapsuccessfactorsconfiguration_change", config.pk))

    assert page.status_code == 200
    html = page.content.decode()
    assert SECRET not in html
    assert 'name="client_secret"' in html and 'type="password"' in html


def sap_form(config, **changes):
    data = {
        "customer": config.customer_id,
        "name": config.name,
        "active": "on",
        "notify_when": "never",
        "base_url": config.base_url,
        "company_id": config.company_id,
        "client_id": config.client_id,
        "client_secret": "",
        "sap_user_id": config.sap_user_id,
        "user_type": "admin",
        "provider_id": "EDX",
        "completion_mode": "admin",
        "events_per_call": 1,
        "calls_per_minute": 100,
        "locale": "English",
        "credit_hours": "effort",
    }
    data.update(changes)
    return data


def test_a_blank_secret_keeps_the_stored_one_and_a_new_one_replaces_it(staff_client):
    config = SAPConfigurationFactory()
    change = url("sap_success_factors_sapsuccessfactorsconfiguration_change", config.pk)

    assert staff_client.post(change, sap_form(config, company_id="NEW")).status_code == 302
    config.refresh_from_db()
    assert (config.company_id, config.client_secret) == ("NEW", SECRET)

    staff_client.post(change, sap_form(config, client_secret="another-secret"))
    config.refresh_from_db()
    assert config.client_secret == "another-secret"


def test_a_second_connection_of_the_same_name_is_refused_in_the_form_another_name_is_not(staff_client):
    config = SAPConfigurationFactory()
    add = url("sap_success_factors_sapsuccessfactorsconfiguration_add")

    page = staff_client.post(add, sap_form(config, client_secret="x"))

    assert page.status_code == 200
    assert "already has a connection of this connector with this name" in page.content.decode()
    assert SAPSuccessFactorsConfiguration.objects.count() == 1

    assert staff_client.post(add, sap_form(config, client_secret="x", name="EMEA tenant")).status_code == 302
    assert sorted(SAPSuccessFactorsConfiguration.objects.values_list("name", flat=True)) == ["EMEA tenant", "default"]


def test_the_configuration_warns_when_the_customer_does_not_ask_for_consent(staff_client):
    without = SAPConfigurationFactory(customer__enable_data_sharing_consent=False)
    with_consent = SAPConfigurationFactory(customer__enable_data_sharing_consent=True)

    warned = staff_client.get(url("sap_success_factors_sapsuccessfactorsconfiguration_change", without.pk))
    quiet = staff_client.get(url("sap_success_factors_sapsuccessfactorsconfiguration_change", with_consent.pk))

    assert "without their explicit consent" in warned.content.decode()
    assert "without their explicit consent" not in quiet.content.decode()


def test_configuration_list_shows_the_last_run(staff_client, failed_run, django_assert_max_num_queries):
    TestChannelConfigurationFactory.create_batch(5)

    with django_assert_max_num_queries(10):
        page = staff_client.get(url("channel_testing_testchannelconfiguration_changelist"))

    assert f"#{failed_run.pk} Learner data: Completed with errors" in page.content.decode()


def test_send_learner_data_now_action_runs_in_process(staff_client):
    config = TestChannelConfigurationFactory()
    completed_enrollment(config.customer)

    page = staff_client.post(
        url("channel_testing_testchannelconfiguration_changelist"),
        {"action": "send_learner_data_now", "_selected_action": [config.pk]},
        follow=True,
    )

    run = Run.objects.get()
    assert (run.trigger, run.status, run.sent) == ("admin", "completed", 1)
    assert f"run #{run.pk} completed: 1 sent" in page.content.decode()


def test_runs_list_and_detail(staff_client, failed_run, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        listing = staff_client.get(url("integrated_channel_run_changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Completed with errors" in html
    assert url("integrated_channel_run_error_report", failed_run.pk) in html

    detail = staff_client.get(url("integrated_channel_run_change", failed_run.pk)).content.decode()
    assert "refused" in detail and "Failed" in detail


def test_runs_are_read_only(staff_client, failed_run):
    assert staff_client.get(url("integrated_channel_run_add")).status_code == 403
    page = staff_client.get(url("integrated_channel_run_change", failed_run.pk)).content.decode()
    assert 'name="_save"' not in page


def test_error_report_download(staff_client, failed_run):
    response = staff_client.get(url("integrated_channel_run_error_report", failed_run.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"run-{failed_run.pk}-test-learner_data-errors.csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["run", "outcome", "username", "email"]
    assert len(rows) == 2 and rows[1][1] == "Failed" and rows[1][7] == "400"


def test_error_report_needs_staff(client, failed_run):
    client.force_login(UserFactory())

    response = client.get(url("integrated_channel_run_error_report", failed_run.pk))

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_error_report_needs_the_view_permission(client, failed_run):
    clerk = UserFactory(is_staff=True)
    client.force_login(clerk)
    assert client.get(url("integrated_channel_run_error_report", failed_run.pk)).status_code == 403

    clerk.user_permissions.add(Permission.objects.get(codename="view_run"))
    assert client.get(url("integrated_channel_run_error_report", failed_run.pk)).status_code == 200


def test_error_report_of_an_unknown_run_is_404(staff_client):
    assert staff_client.get(url("integrated_channel_run_error_report", 999)).status_code == 404


def test_audit_lists_stay_bounded_and_read_only(staff_client, django_assert_max_num_queries):
    config = TestChannelConfigurationFactory(customer__enable_data_sharing_consent=False)
    for _ in range(8):
        completed_enrollment(config.customer)
    transmit_learner_data(configuration=config)
    transmit_content_metadata(configuration=config)

    with django_assert_max_num_queries(10):
        page = staff_client.get(url("integrated_channel_learnerdatatransmissionaudit_changelist"))
    assert page.status_code == 200 and page.content.decode().count('class="field-course_id"') == 8
    audit = LearnerDataTransmissionAudit.objects.first()
    detail = staff_client.get(url("integrated_channel_learnerdatatransmissionaudit_change", audit.pk))
    assert detail.status_code == 200 and "completed_at" in detail.content.decode()
    assert staff_client.get(url("integrated_channel_contenttransmissionaudit_changelist")).status_code == 200
    assert ContentTransmissionAudit.objects.count() == 8
    assert staff_client.get(url("integrated_channel_learnerdatatransmissionaudit_add")).status_code == 403


def test_runs_filter_by_channel_from_the_registry(staff_client, failed_run):
    page = staff_client.get(url("integrated_channel_run_changelist"), {"channel": "SAP"})

    assert page.status_code == 200 and "0 channel runs" in page.content.decode()
    assert "SAP SuccessFactors" in page.content.decode() and "Test channel" in page.content.decode()


def test_non_staff_cannot_see_runs(client):
    client.force_login(UserFactory())
    CustomerFactory()

    assert client.get(url("integrated_channel_run_changelist")).status_code == 302


def test_history_cannot_be_deleted_from_the_admin(staff_client, failed_run):
    from enterprise.models import EnrollmentNotification

    transmit_content_metadata(configuration=failed_run.configuration.specific())
    notification = EnrollmentNotification.objects.create(
        customer=failed_run.customer, email="ann@example.com", template_type="course", target_id="course-v1:X+Y+Z"
    )
    histories = [
        ("integrated_channel_run", failed_run.pk),
        ("integrated_channel_learnerdatatransmissionaudit", LearnerDataTransmissionAudit.objects.first().pk),
        ("integrated_channel_contenttransmissionaudit", ContentTransmissionAudit.objects.first().pk),
        ("enterprise_enrollmentnotification", notification.pk),
    ]
    for name, pk in histories:
        assert staff_client.get(url(f"{name}_delete", pk)).status_code == 403, name
        assert staff_client.post(url(f"{name}_delete", pk), {"post": "yes"}).status_code == 403, name
        listing = staff_client.get(url(f"{name}_changelist")).content.decode()
        assert 'value="delete_selected"' not in listing, name
        refused = staff_client.post(
            url(f"{name}_changelist"), {"action": "delete_selected", "_selected_action": [pk], "post": "yes"}
        )
        assert refused.status_code in (200, 302), name
        detail = staff_client.get(url(f"{name}_change", pk)).content.decode()
        assert 'class="deletelink"' not in detail and 'name="_save"' not in detail, name
    assert Run.objects.filter(pk=failed_run.pk).exists()
    assert LearnerDataTransmissionAudit.objects.exists() and ContentTransmissionAudit.objects.exists()
    assert EnrollmentNotification.objects.filter(pk=notification.pk).exists()
