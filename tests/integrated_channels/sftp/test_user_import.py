import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.models import PendingLearnerAttributes, Run
from integrated_channels.sftp.services.user_import import import_users
from tests.factories import CustomerFactory, LearnerFactory, UserFactory
from tests.fakes.sftp import fingerprint, generate_key
from tests.integrated_channels.sftp.factories import connection_to

pytestmark = pytest.mark.django_db

DIR = "import/user/internal"


def remaining(server):
    folder = server.path(DIR)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_files_are_merged_into_linked_and_pending_learners_with_attributes(sftp_server):
    user = UserFactory(email="Ann@Example.com")
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nann@example.com,boss@example.com,Sales\n")
    sftp_server.write(f"{DIR}/b.csv", "Department,Email,Manager,Extra\nOps,new@example.com,boss@example.com,x\n")
    sftp_server.write(f"{DIR}/notes.txt", "not a csv")
    config = connection_to(sftp_server)

    result = import_users(configuration=config)

    run = result.run
    assert (run.status, run.kind, run.selected, run.sent, run.failed) == ("completed", "user_import", 2, 2, 0)
    assert result.files == [f"{DIR}/a.csv", f"{DIR}/b.csv"] and result.deleted
    learner = EnterpriseCustomerUser.objects.get(customer=config.customer, user=user)
    assert learner.attributes == {"manager": "boss@example.com", "department": "Sales"}
    assert PendingEnterpriseCustomerUser.objects.filter(customer=config.customer, user_email="new@example.com").exists()
    assert PendingLearnerAttributes.objects.get(customer=config.customer, email="new@example.com").attributes == {
        "manager": "boss@example.com",
        "department": "Ops",
    }
    assert remaining(sftp_server) == ["notes.txt"]  # processed CSV files only are removed


def test_pending_learner_gets_the_imported_attributes_when_they_register(sftp_server):
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nlater@example.com,boss@example.com,Sales\n")
    config = connection_to(sftp_server)
    import_users(configuration=config)

    user = UserFactory(email="later@example.com")  # registration converts the pending learner

    learner = EnterpriseCustomerUser.objects.get(customer=config.customer, user=user)
    assert learner.attributes == {"manager": "boss@example.com", "department": "Sales"}
    assert not PendingLearnerAttributes.objects.exists()


def test_do_not_import_attributes_are_left_intact(sftp_server):
    config = connection_to(sftp_server, attribute_mapping={"email": "Email", "department": None, "manager": "Manager"})
    learner = LearnerFactory(customer=config.customer, user__email="kim@example.com")
    learner.attributes = {"department": "Kept by hand", "manager": "old@example.com"}
    learner.save()
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nkim@example.com,new@example.com,From file\n")

    import_users(configuration=config)

    learner.refresh_from_db()
    assert learner.attributes == {"department": "Kept by hand", "manager": "new@example.com"}


def test_a_user_in_two_files_is_an_error_for_that_user_only(sftp_server):
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\ndup@example.com,,A\nok@example.com,,A\n")
    sftp_server.write(f"{DIR}/b.csv", "Email,Manager,Department\nDUP@example.com,,B\n")
    config = connection_to(sftp_server)

    result = import_users(configuration=config)

    run = result.run
    assert (run.status, run.selected, run.sent, run.failed) == ("completed_with_errors", 3, 1, 2)
    messages = list(run.errors.values_list("message", flat=True))
    assert messages == [
        f"{DIR}/a.csv, row 2: user dup@example.com appears several times ({DIR}/a.csv, row 2; {DIR}/b.csv, row 2); "
        "not imported.",
        f"{DIR}/b.csv, row 2: user dup@example.com appears several times ({DIR}/a.csv, row 2; {DIR}/b.csv, row 2); "
        "not imported.",
    ]
    assert not PendingEnterpriseCustomerUser.objects.filter(user_email="dup@example.com").exists()
    assert PendingEnterpriseCustomerUser.objects.filter(user_email="ok@example.com").exists()
    assert remaining(sftp_server) == []


def test_malformed_rows_are_errors_naming_file_row_and_column(sftp_server):
    sftp_server.write(
        f"{DIR}/a.csv",
        "Email,Manager,Department\nnot-an-email,,A\ngood@example.com,Bob Smith,A\nfine@example.com,,A\n",
    )
    config = connection_to(sftp_server)

    result = import_users(configuration=config)

    assert result.run.failed == 2 and result.run.sent == 1
    assert sorted(result.run.errors.values_list("message", flat=True)) == [
        f"{DIR}/a.csv, row 2, column 'Email': 'not-an-email' is not an e-mail address (no @).",
        f"{DIR}/a.csv, row 3, column 'Manager': 'Bob Smith' is not an e-mail address (attribute 'manager' must "
        "map to a column of e-mails).",
    ]


def test_a_learner_of_another_customer_is_a_conflict(sftp_server):
    other = LearnerFactory(customer=CustomerFactory(name="Globex"), user__email="taken@example.com")
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\ntaken@example.com,,A\n")
    config = connection_to(sftp_server)

    result = import_users(configuration=config)

    assert result.run.failed == 1
    assert "Globex" in result.run.errors.get().message and f"{DIR}/a.csv, row 2" in result.run.errors.get().message
    assert not EnterpriseCustomerUser.objects.filter(customer=config.customer, user=other.user).exists()


def test_a_file_missing_a_mapped_column_fails_the_run_and_nothing_changes(sftp_server):
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")
    sftp_server.write(f"{DIR}/b.csv", "Email,Department\ny@example.com,B\n")
    config = connection_to(sftp_server)

    result = import_users(configuration=config)

    assert result.run.status == Run.Status.FAILED
    assert result.run.error_message == f"{DIR}/b.csv: column 'Manager' (mapped to 'manager') is missing."
    assert not PendingEnterpriseCustomerUser.objects.exists()
    assert remaining(sftp_server) == ["a.csv", "b.csv"]


def test_wrong_host_key_is_refused_and_nothing_is_touched(sftp_server):
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")
    config = connection_to(sftp_server, host_key_fingerprint=fingerprint(generate_key()))

    result = import_users(configuration=config)

    assert (result.run.status, result.run.error_code) == ("failed", "host_key_refused")
    assert f"it has fingerprint {sftp_server.fingerprint}" in result.run.error_message
    assert sftp_server.logins == [] and remaining(sftp_server) == ["a.csv"]


@pytest.mark.parametrize("use_key", [False, True])
def test_authentication_failure_fails_the_run(sftp_server, use_key):
    if use_key:
        from tests.fakes.sftp import private_key_text

        config = connection_to(sftp_server, password="", private_key=private_key_text(generate_key()))
    else:
        config = connection_to(sftp_server, password="wrong")

    result = import_users(configuration=config)

    assert (result.run.status, result.run.error_code) == ("failed", "auth_failed")
    assert "wrong" not in result.run.error_message
    assert ("SSH key" if use_key else "password") in result.run.error_message


def test_ssh_key_authentication(sftp_server):
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")
    config = connection_to(sftp_server, password="", private_key=sftp_server.client_private_key)

    result = import_users(configuration=config)

    assert result.run.status == "completed" and set(sftp_server.logins) == {"publickey:acme"}


def test_dropped_connection_deletes_nothing_and_the_rerun_completes(sftp_server):
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")
    sftp_server.write(f"{DIR}/b.csv", "Email,Manager,Department\ny@example.com,,B\n")
    sftp_server.drop_on_read = "b.csv"
    config = connection_to(sftp_server)

    failed = import_users(configuration=config)

    assert (failed.run.status, failed.run.error_code) == ("failed", "transfer_failed")
    assert not PendingEnterpriseCustomerUser.objects.exists()
    assert remaining(sftp_server) == ["a.csv", "b.csv"]

    sftp_server.drop_on_read = ""
    rerun = import_users(configuration=config)

    assert (rerun.run.status, rerun.run.sent) == ("completed", 2)
    assert remaining(sftp_server) == []


def test_files_that_cannot_be_deleted_leave_the_import_committed_with_errors(sftp_server):
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")
    sftp_server.deny_remove = True
    config = connection_to(sftp_server)

    result = import_users(configuration=config)

    assert (result.run.status, result.run.error_code, result.run.sent) == ("completed_with_errors", "not_deleted", 1)
    assert PendingEnterpriseCustomerUser.objects.filter(user_email="x@example.com").exists()


def test_a_connection_without_mandatory_mapping_cannot_run(sftp_server):
    config = connection_to(sftp_server, active=False, attribute_mapping={"manager": "Manager"})

    result = import_users(configuration=config)

    assert result.run.status == "failed"
    assert result.run.error_message == "Mandatory attributes not mapped: email."


def test_an_empty_folder_completes_with_no_rows(sftp_server):
    result = import_users(configuration=connection_to(sftp_server))
    assert (result.run.status, result.run.selected, result.files) == ("completed", 0, [])


def test_filter_imports_only_people_under_the_managers_transitively(sftp_server):
    sftp_server.write(
        f"{DIR}/a.csv",
        "Email,Manager,Department\n"
        "boss@example.com,ceo@example.com,A\n"
        "lead@example.com,boss@example.com,A\n"
        "dev@example.com,lead@example.com,A\n"
        "other@example.com,ceo@example.com,B\n",
    )
    sftp_server.write(f"{DIR}/b.csv", "Email,Manager,Department\nintern@example.com,DEV@example.com,A\n")
    config = connection_to(sftp_server, import_under_managers="Boss@Example.com\n")

    result = import_users(configuration=config)

    run = result.run
    assert (run.status, run.selected, run.sent, run.skipped) == ("completed", 5, 3, 2)
    assert run.skip_reasons == {"not_under_the_managers": 2}
    assert sorted(PendingEnterpriseCustomerUser.objects.values_list("user_email", flat=True)) == [
        "dev@example.com",
        "intern@example.com",
        "lead@example.com",
    ]


def test_manager_cycles_do_not_loop(sftp_server):
    sftp_server.write(
        f"{DIR}/a.csv", "Email,Manager,Department\na@example.com,b@example.com,A\nb@example.com,a@example.com,A\n"
    )
    config = connection_to(sftp_server, import_under_managers="a@example.com")

    assert import_users(configuration=config).run.sent == 2


def test_error_report_lines_carry_the_row_email(sftp_server):
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\ngood@example.com,Bob Smith,A\n")
    result = import_users(configuration=connection_to(sftp_server))
    assert list(result.run.errors.values_list("email", "outcome")) == [("good@example.com", "failed")]


def test_a_second_import_merges_into_the_stored_attributes_of_linked_and_pending_learners(sftp_server):
    user = UserFactory(email="ann@example.com")
    config = connection_to(sftp_server)
    sftp_server.write(
        f"{DIR}/a.csv", "Email,Manager,Department\nann@example.com,a@example.com,Sales\nnew@example.com,,Ops\n"
    )
    import_users(configuration=config)
    learner = EnterpriseCustomerUser.objects.get(customer=config.customer, user=user)
    learner.attributes = {**learner.attributes, "location": "Kept by hand"}
    learner.save()
    stored = PendingLearnerAttributes.objects.get(customer=config.customer, email="new@example.com")
    stored.attributes = {**stored.attributes, "location": "Kept too"}
    stored.save()

    sftp_server.write(
        f"{DIR}/b.csv", "Email,Manager,Department\nann@example.com,b@example.com,=HR\nnew@example.com,,IT\n"
    )
    result = import_users(configuration=config)

    assert result.run.status == "completed" and result.imported == 2
    learner.refresh_from_db()
    assert learner.attributes == {"manager": "b@example.com", "department": "=HR", "location": "Kept by hand"}
    stored.refresh_from_db()
    assert stored.attributes == {"manager": "", "department": "IT", "location": "Kept too"}
    assert PendingLearnerAttributes.objects.filter(customer=config.customer).count() == 1


def test_the_query_count_of_an_import_does_not_grow_with_the_rows(sftp_server):
    def queries_for(rows):
        config = connection_to(sftp_server)
        lines = ["Email,Manager,Department"]
        for i in range(rows):
            if i % 2:
                UserFactory(email=f"user{rows}.{i}@example.com")
            lines.append(f"user{rows}.{i}@example.com,boss@example.com,D{i}")
        sftp_server.write(f"{DIR}/a.csv", "\n".join(lines) + "\n")
        with CaptureQueriesContext(connection) as captured:
            result = import_users(configuration=config)
        assert (result.run.status, result.imported) == ("completed", rows)
        return len(captured)

    small, large = queries_for(4), queries_for(60)
    # incl. the live counts after each chunk (one here) and the customer's learner fields
    assert small == large <= 19  # 19: the import report reads the refused rows (one query)


def test_a_file_over_the_size_limit_fails_the_run_before_any_file_is_downloaded(sftp_server, settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "SFTP_MAX_FILE_BYTES": 60}
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")  # 42 bytes
    sftp_server.write(
        f"{DIR}/b.csv", "Email,Manager,Department\n" + "".join(f"{c}@example.com,,B\n" for c in "yzw")
    )  # 76 bytes
    sftp_server.drop_on_read = ".csv"  # opening any file would drop the connection (transfer_failed)
    config = connection_to(sftp_server)

    result = import_users(configuration=config)

    run = result.run
    assert (run.status, run.error_code, run.selected, run.sent) == ("failed", "file_too_large", 0, 0)
    assert f"{DIR}/b.csv" in run.error_message and "76 bytes" in run.error_message
    assert "limit of 60 bytes" in run.error_message and "SFTP_MAX_FILE_BYTES" in run.error_message
    assert not PendingEnterpriseCustomerUser.objects.exists()
    assert remaining(sftp_server) == ["a.csv", "b.csv"]

    sftp_server.drop_on_read = ""
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "SFTP_MAX_FILE_BYTES": 76}
    assert import_users(configuration=config).run.status == "completed"  # at the limit: read
