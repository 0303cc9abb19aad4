"""Run pages for people (issue 23): outcomes announced in their colour, failed runs visible in the chart,
a failed export's records not called skipped, codes worded as sentences, dates in the admin's format."""

from __future__ import annotations

import datetime

import pytest
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.test import RequestFactory
from django.urls import reverse

from integrated_channels.integrated_channel.admin.connectors import report
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import run_wording

pytestmark = pytest.mark.django_db

STARTED = datetime.datetime(2026, 12, 7, 0, 14, tzinfo=datetime.UTC)


def make_run(connection, *, status, selected=0, sent=0, skipped=0, failed=0, not_attempted=0, **fields):
    return Run.objects.create(
        configuration=connection,
        customer=connection.customer,
        channel=connection.channel,
        connection_name=connection.name,
        kind="echo_export",
        status=status,
        started_at=fields.pop("started_at", STARTED),
        heartbeat_at=STARTED,
        finished_at=STARTED + datetime.timedelta(minutes=1),
        selected=selected,
        sent=sent,
        skipped=skipped,
        failed=failed,
        not_attempted=not_attempted,
        **fields,
    )


class Recorder:
    def __init__(self):
        self.messages: list[Message] = []

    def add(self, level, message, extra_tags=""):
        self.messages.append(Message(level, message))


def reported(connection, run) -> Message:
    request = RequestFactory().get("/")
    request._messages = Recorder()
    report(request, connection, run)
    [message] = request._messages.messages
    return message


def test_completed_with_errors_is_a_warning_failed_an_error_completed_a_success(echo):
    levels = {
        status: reported(echo, make_run(echo, status=status, selected=2, sent=1, failed=1)).level
        for status in (Run.Status.COMPLETED_WITH_ERRORS, Run.Status.FAILED)
    }
    levels[Run.Status.COMPLETED] = reported(echo, make_run(echo, status=Run.Status.COMPLETED, selected=1, sent=1)).level

    assert levels == {
        Run.Status.COMPLETED_WITH_ERRORS: messages.WARNING,
        Run.Status.FAILED: messages.ERROR,
        Run.Status.COMPLETED: messages.SUCCESS,
    }


def test_a_failed_export_reports_what_it_did_not_attempt_not_skipped_records(echo):
    run = make_run(
        echo,
        status=Run.Status.FAILED,
        selected=400,
        skipped=338,
        not_attempted=62,
        skip_reasons={"unchanged": 338},
        error_message="Could not connect to sftp.example.com",
    )

    text = reported(echo, run).message

    assert f"run #{run.pk} failed: nothing done, 62 not attempted, 338 left out by the selection" in text
    assert "skipped" not in text and "Could not connect" in text


def test_the_send_now_action_announces_errors_in_amber(admin_client):
    from tests.factories import CourseFactory
    from tests.integrated_channels.factories import TestChannelConfigurationFactory, completed_enrollment

    config = TestChannelConfigurationFactory(customer__enable_data_sharing_consent=False)
    course = CourseFactory()
    config.refuse_course_ids = course.course_id
    config.save()
    completed_enrollment(config.customer, course=course)
    completed_enrollment(config.customer)

    page = admin_client.post(
        reverse("admin:channel_testing_testchannelconfiguration_changelist"),
        {"action": "send_learner_data_now", "_selected_action": [config.pk]},
        follow=True,
    ).content.decode()

    run = Run.objects.get()
    assert run.status == Run.Status.COMPLETED_WITH_ERRORS
    assert f'<li class="warning">{config.customer.name} / TEST: run #{run.pk} completed with errors' in page


def test_a_failed_run_without_records_is_visible_in_the_chart(admin_client, echo):
    make_run(echo, status=Run.Status.COMPLETED, selected=3, sent=3, started_at=STARTED)
    failed = make_run(echo, status=Run.Status.FAILED, started_at=STARTED + datetime.timedelta(hours=1))

    page = admin_client.get(reverse("admin:integrated_channel_operation", args=[echo.pk, "echo_export"]))

    html = page.content.decode()
    assert html.count('class="chart-run-failed"') == 1
    column = html[html.index(f"#{failed.pk} ") :]
    assert column.index('class="chart-run-failed"') < column.index("</g>")


def test_the_run_page_words_skip_and_selection_reasons_as_sentences(admin_client, echo):
    run = make_run(
        echo,
        status=Run.Status.COMPLETED,
        selected=340,
        sent=2,
        skipped=338,
        skip_reasons={"unchanged": 300, "no_consent": 38, "a_new_reason": 0},
        full_selection_reason="no_successful_run",
    )

    html = admin_client.get(reverse("admin:integrated_channel_run_change", args=[run.pk])).content.decode()

    assert "<li>300: Already sent and unchanged since.</li>" in html
    assert "<li>38: The learner has not given data-sharing consent.</li>" in html
    assert "No earlier run of this operation succeeded, so every enrollment was considered" in html
    assert "no_successful_run" not in html and "no_consent" not in html and "{&quot;" not in html


def test_every_reason_a_run_records_has_a_sentence():
    from integrated_channels.integrated_channel.exporters.records import FullReason, SkipReason

    for holder, words in ((SkipReason, run_wording.SKIP_REASONS), (FullReason, run_wording.FULL_REASONS)):
        codes = {value for name, value in vars(holder).items() if name.isupper()}
        assert codes <= set(words), holder
    assert run_wording.skip_reason("some_new_reason") == "Some new reason."


def test_the_run_list_combines_its_columns_and_the_first_errors_are_a_table(admin_client, echo):
    run = make_run(echo, status=Run.Status.COMPLETED_WITH_ERRORS, selected=5, sent=3, skipped=1, failed=1)
    from integrated_channels.integrated_channel.models import RunError

    RunError.objects.create(run=run, outcome=RunError.Outcome.FAILED, username="ann", message="refused " * 40)

    listing = admin_client.get(reverse("admin:integrated_channel_run_changelist")).content.decode()
    start = listing.index('<table id="result_list">')
    head = listing[start : listing.index("</thead>", start)]
    # id, customer / connection, operation, status, started, records, error report (no checkbox: no action)
    assert head.count('<th scope="col"') == 7
    assert "3 of 5 sent<br><small>1 skipped, 1 failed</small>" in listing
    detail = admin_client.get(reverse("admin:integrated_channel_run_change", args=[run.pk])).content.decode()
    assert '<table class="run-first-errors">' in detail and 'class="run-error-message">refused' in detail


def test_the_operation_page_prints_dates_as_the_rest_of_the_admin(admin_client, echo, settings):
    from integrated_channels.integrated_channel.schedules import save_schedule

    settings.TIME_ZONE = "UTC"
    run = make_run(echo, status=Run.Status.COMPLETED, selected=1, sent=1)
    save_schedule(echo, "echo_export", enabled=False, start=STARTED, every=1, unit="days")

    html = admin_client.get(
        reverse("admin:integrated_channel_operation", args=[echo.pk, "echo_export"])
    ).content.decode()

    assert "2026-12-07 00:14" not in html
    assert "<td>Dec. 7, 2026, 12:14 a.m.</td>" in html  # the run's start, as Django's admin prints dates
    assert f"#{run.pk} Dec. 7, 2026, 12:14 a.m. Completed" in html  # the chart's label
    connection = admin_client.get(reverse("admin:testconnector_echoconnection_change", args=[echo.pk]))
    assert "from Dec. 7, 2026, 12:14 a.m." in connection.content.decode()  # the schedule of the operation
