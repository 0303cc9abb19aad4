"""transmit_learner_data / transmit_content_metadata: arguments, summary, progress bar, exit status."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import CommandError, call_command

from integrated_channels import testing
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import runs
from tests.factories import CourseFactory, CustomerFactory, StaffFactory, UserFactory
from tests.integrated_channels.factories import TestChannelConfigurationFactory, completed_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def staff():
    return StaffFactory(username="staff")


@pytest.fixture
def config():
    config = TestChannelConfigurationFactory(customer__name="Acme")
    completed_enrollment(config.customer)
    return config


class TTY(io.StringIO):
    def isatty(self):
        return True


def run_command(*args, name="transmit_learner_data", stdout=None, **options):
    out = stdout or io.StringIO()
    call_command(name, *args, stdout=out, **options)
    return out.getvalue()


def test_summary_table_and_exit_status_zero(config):
    output = run_command("--api_user", "staff")

    lines = output.splitlines()
    assert lines[0].split()[:5] == ["Customer", "Channel", "Run", "Status", "Selected"]
    assert "Acme" in lines[2] and "TEST" in lines[2] and "completed" in lines[2]
    assert lines[-1] == "1 run(s): 1 selected, 1 sent, 0 failed."


def test_api_user_must_exist():
    with pytest.raises(CommandError, match="no such user") as info:
        run_command("--api_user", "nobody")
    assert info.value.returncode == 2


def test_api_user_must_be_staff():
    UserFactory(username="learner")

    with pytest.raises(CommandError, match="must be an active staff user") as info:
        run_command("--api_user", "learner")
    assert info.value.returncode == 2


def test_api_user_is_required():
    with pytest.raises(CommandError, match="api_user"):
        run_command()


def test_unknown_customer_is_a_usage_error(config):
    with pytest.raises(CommandError, match="Unknown enterprise customer") as info:
        run_command("--api_user", "staff", "--enterprise-customer", str(uuid.uuid4()))
    assert info.value.returncode == 2


def test_an_unknown_slug_is_a_usage_error_naming_it(config):
    with pytest.raises(CommandError, match=r"no such UUID or slug\): 12") as info:
        run_command("--api_user", "staff", "--enterprise-customer", "12")
    assert info.value.returncode == 2


@pytest.mark.parametrize("name", ["transmit_learner_data", "transmit_content_metadata"])
def test_a_customer_is_named_by_slug_as_well_as_uuid(config, name):
    """Issue 22 item 8: like ``unenroll_learners``, the commands take a customer's slug."""
    other = TestChannelConfigurationFactory(customer__slug="globex")
    completed_enrollment(other.customer)
    TestChannelConfigurationFactory(customer__slug="initech")

    run_command("--api_user", "staff", "--enterprise-customer", "globex", name=name)
    assert list(Run.objects.values_list("configuration_id", flat=True)) == [other.pk]

    Run.objects.all().delete()
    run_command(
        "--api_user",
        "staff",
        "--enterprise-customer",
        "globex",
        "--enterprise-customer",
        str(other.customer.pk),
        name=name,
    )
    assert list(Run.objects.values_list("configuration_id", flat=True)) == [other.pk]


@pytest.mark.parametrize("flag", ["--enterprise-customer", "--enterprise_customer"])
def test_enterprise_customer_restricts_the_runs(config, flag):
    other = TestChannelConfigurationFactory()
    completed_enrollment(other.customer)

    run_command("--api_user", "staff", flag, str(config.customer.pk))

    assert list(Run.objects.values_list("configuration_id", flat=True)) == [config.pk]


def test_channel_codes_are_case_insensitive_and_checked(config):
    run_command("--api_user", "staff", "--channel", "test")
    assert Run.objects.count() == 1

    with pytest.raises(CommandError, match="invalid choice"):
        run_command("--api_user", "staff", "--channel", "NOPE")


def test_inactive_configurations_and_customers_are_not_run(config):
    TestChannelConfigurationFactory(active=False)
    TestChannelConfigurationFactory(customer=CustomerFactory(active=False))

    run_command("--api_user", "staff")

    assert list(Run.objects.values_list("configuration_id", flat=True)) == [config.pk]


def test_nothing_to_run_says_so():
    assert "No active channel configuration" in run_command("--api_user", "staff")


def test_dry_run_sends_nothing(config):
    output = run_command("--api_user", "staff", "--dry-run")

    assert testing.outbox == []
    assert "(dry run)" in output and "skipped 1 dry run" in output


def test_records_failing_exit_with_status_3(config):
    course = CourseFactory()
    config.refuse_course_ids = course.course_id
    config.save()
    completed_enrollment(config.customer, course=course)

    with pytest.raises(CommandError, match="1 record\\(s\\) failed") as info:
        run_command("--api_user", "staff")
    assert info.value.returncode == 3


def test_a_failed_run_exits_with_status_1(config, monkeypatch):
    from integrated_channels.integrated_channel.exceptions import AuthenticationFailed
    from integrated_channels.testing.client import TestChannelClient

    def refuse(self, records):
        raise AuthenticationFailed("Test channel answered HTTP 401: bad key", status_code=401)

    monkeypatch.setattr(TestChannelClient, "send_learner_data", refuse)

    with pytest.raises(
        CommandError, match="1 of 1 run\\(s\\) failed: Acme / TEST: Test channel answered HTTP 401"
    ) as info:
        run_command("--api_user", "staff")
    assert info.value.returncode == 1


def test_a_locked_configuration_is_skipped_without_failing(config):
    runs.start_run(configuration=config, kind="learner_data", trigger=Run.Trigger.COMMAND)

    output = run_command("--api_user", "staff")

    assert "locked (another run in progress)" in output


def test_start_date_option(config):
    run_command("--api_user", "staff", "--start-date", "2999-01-01")

    assert Run.objects.get().skip_reasons == {"before_start_date": 1}


def test_progress_bar_only_on_a_terminal(config, capsys):
    run_command("--api_user", "staff")
    assert "rec" not in capsys.readouterr().err

    completed_enrollment(config.customer)
    run_command("--api_user", "staff", stdout=TTY())
    assert "rec" in capsys.readouterr().err

    completed_enrollment(config.customer)
    run_command("--api_user", "staff", "--no-progress", stdout=TTY())
    assert "rec" not in capsys.readouterr().err


def test_transmit_content_metadata(config):
    output = run_command("--api_user", "staff", name="transmit_content_metadata")

    assert "1 run(s): 1 selected, 1 sent, 0 failed." in output
    assert [call.kind for call in testing.outbox] == ["content_metadata"]
    assert Run.objects.get().kind == "content_metadata"
