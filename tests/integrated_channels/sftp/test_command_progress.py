"""``sftp_run`` and ``xapi_import``: a progress bar on a terminal only, a summary line, exit status 1 on failure."""

import pytest
from django.core.management import CommandError, call_command

from integrated_channels.integrated_channel.models import Run
from tests.integrated_channels.sftp.factories import connection_to
from tests.integrated_channels.test_commands import TTY, run_command
from tests.integrated_channels.xapi.factories import import_from

pytestmark = pytest.mark.django_db

DIR = "import/user/internal"
ROWS = "Email,Manager,Department\n" + "".join(f"u{i}@example.com,,D\n" for i in range(3))


def test_sftp_run_shows_a_bar_on_a_terminal_and_ends_with_a_summary(sftp_server, capsys):
    connection_to(sftp_server)
    sftp_server.write(f"{DIR}/a.csv", ROWS)

    output = run_command("import", name="sftp_run", stdout=TTY())

    bar = capsys.readouterr().err  # tqdm's bar, on stderr, of the 3 rows to link
    assert "import:" in bar and "0/3 [" in bar
    assert output.splitlines()[-1] == "1 connection(s), 0 run(s) failed or not started: 3 done, 0 failed, 0 skipped."


def test_sftp_run_shows_no_bar_when_not_on_a_terminal_or_asked_not_to(sftp_server, capsys):
    connection_to(sftp_server)
    sftp_server.write(f"{DIR}/a.csv", ROWS)
    run_command("import", name="sftp_run")
    sftp_server.write(f"{DIR}/a.csv", ROWS)
    run_command("import", "--no-progress", name="sftp_run", stdout=TTY())
    assert "import:" not in capsys.readouterr().err


def test_sftp_run_exits_with_status_1_and_a_summary_when_a_run_fails(sftp_server):
    connection_to(sftp_server, password="wrong")
    out = TTY()
    with pytest.raises(CommandError, match="1 of 1 run") as info:
        call_command("sftp_run", "import", stdout=out)
    assert info.value.returncode == 1
    assert out.getvalue().splitlines()[-1].startswith("1 connection(s), 1 run(s) failed or not started")


def test_sftp_run_rerun_of_a_failing_run_exits_with_status_1(sftp_server):
    config = connection_to(sftp_server, password="wrong")
    with pytest.raises(CommandError):
        call_command("sftp_run", "import")
    run = Run.objects.get(configuration_id=config.pk)
    with pytest.raises(CommandError, match="failed") as info:
        call_command("sftp_run", "rerun", "--run", str(run.pk), stdout=TTY())
    assert info.value.returncode == 1


def test_xapi_import_shows_a_bar_and_a_summary(sftp_server, capsys):
    config = import_from(sftp_server)
    sftp_server.write("import/xapi.csv", "Learner,Verb,Activity\nnobody@example.com,http://x.example/v,c\n")

    output = run_command(f"--import={config.pk}", name="xapi_import", stdout=TTY())

    bar = capsys.readouterr().err
    assert "(LMS statements) import:" in bar and "0/1 [" in bar
    summary = "1 import(s), 0 failed or not started: 0 statements imported, 0 skipped, 1 failed."
    assert output.splitlines()[-1] == summary  # the verb is not an IRI: a row error, not a failed run


def test_xapi_import_exits_with_status_1_when_an_import_fails(sftp_server):
    import_from(sftp_server, password="wrong")
    out = TTY()
    with pytest.raises(CommandError, match="1 of 1 import") as info:
        call_command("xapi_import", stdout=out)
    assert info.value.returncode == 1
    assert out.getvalue().splitlines()[-1].startswith("1 import(s), 1 failed or not started")


def test_a_failed_export_is_worded_as_the_admin_words_it(sftp_server):
    """Issue 23 leftover (decision 0220): a failed run's records are "not attempted", never "N skipped"."""
    from tests.integrated_channels.factories import completed_enrollment

    config = connection_to(sftp_server, password="wrong", customer__enable_data_sharing_consent=False)
    completed_enrollment(config.customer)
    out = TTY()
    with pytest.raises(CommandError):
        call_command("sftp_run", "export", stdout=out)
    run = Run.objects.get(configuration_id=config.pk)

    line = out.getvalue().splitlines()[0]
    assert line.startswith(f"{config.customer}: run #{run.pk} failed: nothing done, 1 not attempted (")
    assert "skipped" not in line
    assert out.getvalue().splitlines()[-1].endswith("0 done, 0 failed, 0 skipped, 1 not attempted.")
