"""Remote faults, every HTTP channel, one table (issue 9, item 3).

Each channel — SAP SuccessFactors (fake tenant), Pearson LearningStudio (fake SOAP service), xAPI
(a real LRS, ralph) — is reached through a ``FaultProxy`` that forwards to it, except the calls a
case scripts; a connect timeout points the configuration at a ``Blackhole`` port. For every
(channel, fault) the test checks the calls the remote received, the run's status and counts, the
audit row (status, attempts, error code, last error), the error report (the learner and the
remote system's message), and — when the record failed — that the next run delivers it once.
Retries wait for nothing: ``pause`` is replaced by a recorder, and the settings make backoffs and
timeouts short. The SFTP connector's faults are at the end of the file.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

import pytest

from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit, Run
from integrated_channels.integrated_channel.services.error_report import report_rows
from integrated_channels.integrated_channel.services.transmission import transmit_learner_data
from integrated_channels.integrated_channel.transports import base as transport_base
from tests.fakes.faults import Blackhole, FaultProxy, answer, hook, reset, stall
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db

READ_TIMEOUT = 0.4  # in the read-timeout cases only: a real LRS on a loaded machine may take longer
SETTINGS = {
    "USE_CELERY": False,
    "MAX_RETRIES": 2,  # three calls in all
    "BACKOFF_SECONDS": 0.01,
    "MAX_RETRY_WAIT": 400,  # SAP's 300 s default for a 429 is honoured (recorded, not slept)
    "CONNECT_TIMEOUT": 0.3,
    "READ_TIMEOUT": 20,
    "SFTP_CONNECT_TIMEOUT": 20,  # 0.5 s in the timeout cases only
}


@pytest.fixture(autouse=True)
def fast(settings):
    settings.INTEGRATED_CHANNELS = dict(SETTINGS)


@pytest.fixture(autouse=True)
def waits(monkeypatch):
    recorded: list[float] = []
    monkeypatch.setattr(transport_base, "pause", recorded.append)
    return recorded


# The channels


class Channel:
    code = ""
    data_path = ""  # the proxy faults only requests whose path contains this
    default_429_wait = 60.0

    def __init__(self, proxy: FaultProxy):
        self.proxy = proxy

    def error_body(self, message: str) -> tuple[str, str]:
        """An error answer of this remote system: (body, content type)."""
        return f'{{"error": {{"code": "SCRIPTED", "message": "{message}"}}}}', "application/json"

    def malformed_body(self) -> tuple[str, str]:
        return '{"value": [ this is not json', "application/json"

    def point_at(self, base_url: str) -> None:
        raise NotImplementedError

    def delivered(self, enrollment) -> int:
        """How many times the remote system holds this enrollment's completion."""
        raise NotImplementedError


class SAP(Channel):
    code = "SAP"
    data_path = "OCNLearningEvents"
    default_429_wait = 300.0  # SAP's documented wait

    def __init__(self, proxy, fake):
        super().__init__(proxy)
        from tests.integrated_channels.factories import SAPConfigurationFactory

        self.fake = fake
        fake.add_tenant("ACME", "acme-client", "sap-secret-value")
        self.config = SAPConfigurationFactory(
            base_url=proxy.base_url + "/", company_id="ACME", client_id="acme-client", client_secret="sap-secret-value"
        )

    def learner(self):
        return completed_enrollment(self.config.customer, remote_id="sap-learner-1")

    def point_at(self, base_url):
        self.config.base_url = base_url + "/"
        self.config.save()

    def delivered(self, enrollment):
        return sum(1 for event in self.fake.events("ACME") if event["userID"] == "sap-learner-1")


class LearningStudio(Channel):
    code = "LEARNINGSTUDIO"
    data_path = "UserManagement"

    def __init__(self, proxy, fake):
        super().__init__(proxy)
        from tests.integrated_channels.learningstudio.conftest import (
            SIS_PASSWORD,
            LearningStudioConfigurationFactory,
        )

        self.fake = fake
        self.config = LearningStudioConfigurationFactory(endpoint_url=proxy.url(fake.url), sis_password=SIS_PASSWORD)

    def error_body(self, message):
        return f"<html><body><h1>{message}</h1></body></html>", "text/html"

    def malformed_body(self):
        return "<soap:Envelope><soap:Body><ProcessSingleRequestResponse> this is not xml", "text/xml"

    def learner(self):
        return completed_enrollment(self.config.customer)

    def point_at(self, base_url):
        self.config.endpoint_url = base_url + "/UserManagement/v1_6/UserManagementServices.asmx"
        self.config.save()

    def delivered(self, enrollment):
        return len(self.fake.memberships())


class XAPI(Channel):
    code = "XAPI"
    data_path = "statements"

    def __init__(self, proxy, lrs):
        super().__init__(proxy)
        from tests.integrated_channels.xapi.factories import lrs_config

        self.lrs = lrs
        self.config = lrs_config(lrs, endpoint=proxy.url(lrs.statements_url))

    def error_body(self, message):
        return f'{{"detail": "{message}"}}', "application/json"

    def learner(self):
        return completed_enrollment(self.config.customer, consent=None)

    def point_at(self, base_url):
        self.config.endpoint = base_url + "/xAPI/statements"
        self.config.save()

    def delivered(self, enrollment):
        mbox = f"mailto:{enrollment.learner.user.email.lower()}"
        statements = [s for s in self.lrs.statements() if s["actor"].get("mbox") == mbox]
        per_record = len(LearnerDataTransmissionAudit.objects.get(enrollment=enrollment).payload)
        return len(statements) // per_record


class Degreed(Channel):
    code = "DEGREED2"
    data_path = "completions"

    def __init__(self, proxy, fake):
        super().__init__(proxy)
        from tests.integrated_channels.degreed.conftest import DegreedConfigurationFactory

        self.fake = fake
        fake.setup("acme", "degreed-secret-value")
        self.config = DegreedConfigurationFactory(
            base_url=proxy.base_url, client_id="acme", client_secret="degreed-secret-value"
        )

    def error_body(self, message):
        return f'{{"errors": [{{"status": "500", "title": "Error", "detail": "{message}"}}]}}', "application/json"

    def learner(self):
        enrollment = completed_enrollment(self.config.customer)
        self.fake.organisation.users.add(enrollment.learner.user.email.lower())
        return enrollment

    def point_at(self, base_url):
        self.config.base_url = base_url
        self.config.save()

    def delivered(self, enrollment):
        email = enrollment.learner.user.email.lower()
        return sum(1 for c in self.fake.organisation.completions if c["user-id"] == email)


def keep_authorized(config, base_url: str) -> None:
    """Point an authorized connection elsewhere without losing its grant (a changed host forgets it)."""
    config.refresh_from_db()
    token = config.refresh_token
    config.base_url = base_url
    config.save()
    config.refresh_token = token
    config.save()


class Canvas(Channel):
    code = "CANVAS"
    data_path = "submissions"

    def __init__(self, proxy, fake):
        super().__init__(proxy)
        from tests.integrated_channels.canvas.conftest import CanvasConfigurationFactory

        self.fake = fake
        fake.setup(7, "10000000000001", "canvas-secret-value")
        self.config = CanvasConfigurationFactory(
            base_url=proxy.base_url, client_secret="canvas-secret-value", refresh_token=fake.issue_refresh_token()
        )

    def error_body(self, message):
        return f'{{"errors": [{{"message": "{message}"}}]}}', "application/json"

    def learner(self):
        enrollment = completed_enrollment(self.config.customer)
        course = self.fake.add_course(enrollment.course_id, integration_id=enrollment.course_id)
        self.fake.enroll(course, self.fake.add_user(enrollment.learner.user.email))
        return enrollment

    def point_at(self, base_url):
        keep_authorized(self.config, base_url)

    def delivered(self, enrollment):
        return len(self.fake.account.grades)


class Blackboard(Channel):
    code = "BLACKBOARD"
    data_path = "columns/_"  # the grade of a learner in a column (not the columns' list)

    def __init__(self, proxy, fake):
        super().__init__(proxy)
        from tests.integrated_channels.blackboard.conftest import BlackboardConfigurationFactory

        self.fake = fake
        fake.setup("bb-app-key", "bb-secret-value")
        self.config = BlackboardConfigurationFactory(
            base_url=proxy.base_url, client_secret="bb-secret-value", refresh_token=fake.issue_refresh_token()
        )

    def error_body(self, message):
        return f'{{"status": 500, "message": "{message}"}}', "application/json"

    def learner(self):
        enrollment = completed_enrollment(self.config.customer)
        course = self.fake.add_course(enrollment.course_id)
        self.fake.add_member(course, enrollment.learner.user.email)
        return enrollment

    def point_at(self, base_url):
        keep_authorized(self.config, base_url)

    def delivered(self, enrollment):
        return len(self.fake.server_state.grades)


ISSUE_25 = {
    "DEGREED2": ("tests.fakes.degreed", "FakeDegreed", Degreed),
    "CANVAS": ("tests.fakes.canvas", "FakeCanvas", Canvas),
    "BLACKBOARD": ("tests.fakes.blackboard", "FakeBlackboard", Blackboard),
}


@pytest.fixture(scope="module")
def ralph(tmp_path_factory):
    from tests.fakes.lrs import RalphLRS, ralph_python

    python = ralph_python()
    if python is None:
        if os.environ.get("REQUIRE_LRS") or os.environ.get("CI") == "true":
            pytest.fail("ralph-malph is not installed (make test installs it in .venv/ralph)")
        yield None
        return
    with RalphLRS(tmp_path_factory.mktemp("lrs"), python=python) as server:
        yield server


@pytest.fixture
def channel(request, db, ralph):
    code = request.param
    with contextlib.ExitStack() as stack:
        if code == "SAP":
            from tests.fakes.sap import FakeSAPSuccessFactors

            fake = stack.enter_context(FakeSAPSuccessFactors())
            proxy = stack.enter_context(FaultProxy(fake.base_url))
            yield SAP(proxy, fake)
        elif code in ISSUE_25:
            import importlib

            module, name, wrapper = ISSUE_25[code]
            fake = stack.enter_context(getattr(importlib.import_module(module), name)())
            proxy = stack.enter_context(FaultProxy(fake.base_url))
            yield wrapper(proxy, fake)
        elif code == "LEARNINGSTUDIO":
            from tests.fakes.learningstudio import FakeLearningStudio
            from tests.integrated_channels.learningstudio.conftest import SIS_PASSWORD

            fake = stack.enter_context(FakeLearningStudio(username="sis-user", password=SIS_PASSWORD))
            proxy = stack.enter_context(FaultProxy(fake.url))
            yield LearningStudio(proxy, fake)
        else:
            if ralph is None:
                pytest.skip("ralph-malph is not installed: make test installs it in .venv/ralph")
            proxy = stack.enter_context(FaultProxy(ralph.base_url))
            yield XAPI(proxy, ralph)


# The faults


@dataclass
class Case:
    """A fault and what must follow. ``outcome``: "sent" (recovered by the retries), "failed" (the
    record failed, the run completed with errors), "run_failed" (nothing could be sent: the run
    failed, the record is reported not attempted)."""

    name: str
    outcome: str
    calls: int  # calls the remote (the proxy) received on the data path
    code: str = ""  # error code of the audit row / the run
    message: str = ""  # the remote system's message, expected in last error and the report
    transient: bool = True
    waits: object = None  # a list of expected waits, or a function of the channel giving it
    channels: tuple = ("SAP", "LEARNINGSTUDIO", "XAPI", "DEGREED2", "CANVAS", "BLACKBOARD")
    overrides: dict = field(default_factory=dict)  # per channel: field -> value


def _script(name: str, channel: Channel, blackhole: Blackhole) -> None:
    proxy, path = channel.proxy, channel.data_path
    if name == "429 with Retry-After":
        body, kind = channel.error_body("Slow down, please")
        proxy.script(answer(429, body, content_type=kind, **{"Retry-After": "7"}), match=path)
    elif name == "429 without Retry-After":
        body, kind = channel.error_body("Slow down, please")
        proxy.script(answer(429, body, content_type=kind), match=path)
    elif name == "429 every time":
        body, kind = channel.error_body("Quota exhausted for this hour")
        proxy.script(answer(429, body, content_type=kind, **{"Retry-After": "2"}), match=path, times=None)
    elif name == "500 every time":
        body, kind = channel.error_body("Internal failure 8812")
        proxy.script(answer(500, body, content_type=kind), match=path, times=None)
    elif name == "503 once":
        body, kind = channel.error_body("Down for maintenance")
        proxy.script(answer(503, body, content_type=kind), match=path)
    elif name == "503 every time":
        body, kind = channel.error_body("Down for maintenance")
        proxy.script(answer(503, body, content_type=kind), match=path, times=None)
    elif name == "connect timeout":
        channel.point_at(blackhole.base_url)
    elif name == "read timeout":
        proxy.script(stall(READ_TIMEOUT + 1.0), match=path, times=None)
    elif name == "connection reset":
        proxy.script(reset(), match=path, times=None)
    elif name == "malformed body":
        body, kind = channel.malformed_body()
        proxy.script(answer(200, body, content_type=kind), match=path, times=None)
    elif name == "expired token":
        proxy.script(hook(channel.fake.revoke_tokens), match=path)  # SAP drops the token just before the call
    elif name == "SOAP client fault":
        channel.fake.fail("soap:Client", "Invalid enterprise document: group 42 unknown")
    elif name == "SOAP server fault once":
        channel.fake.fail("soap:Server", "Server was unable to process request. Deadlock on USERS.")
    elif name == "digest rejected":
        channel.config.sis_password = "not-the-sis-password"
        channel.config.save()
    else:  # pragma: no cover
        raise AssertionError(name)


CASES = [
    Case("429 with Retry-After", "sent", calls=2, waits=[7.0]),
    Case("429 without Retry-After", "sent", calls=2, waits=lambda channel: [channel.default_429_wait]),
    Case("429 every time", "failed", calls=3, code="rate_limited", message="Quota exhausted", waits=[2.0, 2.0]),
    Case("500 every time", "failed", calls=3, code="server_error", message="Internal failure 8812"),
    Case("503 once", "sent", calls=2),
    Case("503 every time", "failed", calls=3, code="server_error", message="Down for maintenance"),
    Case(
        "connect timeout",
        "failed",
        calls=0,
        code="timeout",
        message="did not answer in time",
        # The OAuth channels' first call is their token request: without a token nothing can be sent.
        overrides={
            code: {"outcome": "run_failed", "code": "token_request_failed"}
            for code in ("SAP", "DEGREED2", "CANVAS", "BLACKBOARD")
        },
    ),
    Case("read timeout", "failed", calls=3, code="timeout", message="did not answer in time"),
    Case("connection reset", "failed", calls=3, code="connection_error", message="reset"),
    Case("malformed body", "failed", calls=1, code="malformed_response", message="this is not", transient=False),
    Case("expired token", "sent", calls=2, channels=("SAP", "DEGREED2")),
    Case(
        "SOAP client fault",
        "failed",
        calls=1,
        code="soap_client_fault",
        message="group 42 unknown",
        transient=False,
        channels=("LEARNINGSTUDIO",),
    ),
    Case("SOAP server fault once", "sent", calls=2, channels=("LEARNINGSTUDIO",)),
    Case(
        "digest rejected",
        "run_failed",
        calls=1,
        code="authentication_failed",
        message="FailedAuthentication",
        transient=False,
        channels=("LEARNINGSTUDIO",),
    ),
]

MATRIX = [
    pytest.param(code, case, id=f"{code}-{case.name.replace(' ', '-')}")
    for case in CASES
    for code in ("SAP", "LEARNINGSTUDIO", "XAPI", "DEGREED2", "CANVAS", "BLACKBOARD")
    if code in case.channels
]


def _expect(case: Case, code: str) -> Case:
    values = {**case.__dict__, **case.overrides.get(code, {})}
    return Case(**values)


def _report(run_id) -> list[dict]:
    rows = list(report_rows(Run.objects.get(pk=run_id)))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize(("channel", "case"), MATRIX, indirect=["channel"])
def test_remote_fault(channel, case, waits, settings):
    expected = _expect(case, channel.code)
    if case.name == "read timeout":
        settings.INTEGRATED_CHANNELS = {**SETTINGS, "READ_TIMEOUT": READ_TIMEOUT}
    enrollment = channel.learner()
    with Blackhole() as blackhole:
        _script(case.name, channel, blackhole)

        result = transmit_learner_data(configuration=channel.config)

    run = Run.objects.get(pk=result.run_id)
    username = enrollment.learner.user.username
    assert channel.proxy.calls(channel.data_path) == expected.calls, channel.proxy.received
    audit = LearnerDataTransmissionAudit.objects.filter(enrollment=enrollment).first()
    report = _report(run.pk)

    if expected.outcome == "sent":
        assert (run.status, run.selected, run.sent, run.failed, run.not_attempted) == ("completed", 1, 1, 0, 0)
        assert (audit.status, audit.attempts, audit.error_code, audit.last_error) == ("sent", 1, "", "")
        assert report == []
        assert channel.delivered(enrollment) == 1
        if channel.code in ("SAP", "DEGREED2") and case.name == "expired token":
            assert channel.fake.calls("token") == 2  # the token refused once, replaced once
    elif expected.outcome == "failed":
        assert (run.status, run.selected, run.sent, run.failed, run.not_attempted) == (
            "completed_with_errors",
            1,
            0,
            1,
            0,
        )
        assert (audit.status, audit.attempts, audit.error_code) == ("failed", 1, expected.code)
        assert expected.message.lower() in audit.last_error.lower(), audit.last_error
        [line] = report
        assert (line["outcome"], line["username"], line["error code"]) == ("Failed", username, expected.code)
        assert expected.message.lower() in line["message"].lower(), line
        assert line["retry may help"] == ("yes" if expected.transient else "no")
    else:  # run_failed
        assert (run.status, run.selected, run.sent, run.failed, run.not_attempted) == ("failed", 1, 0, 0, 1)
        assert run.error_code == expected.code and expected.message.lower() in run.error_message.lower()
        assert audit is None  # not attempted: nothing to record, the next run selects it again
        by_outcome = {line["outcome"]: line for line in report}
        assert by_outcome["Not attempted"]["username"] == username
        assert expected.message.lower() in by_outcome["Not attempted"]["message"].lower()
        assert expected.message.lower() in by_outcome["Run failed"]["message"].lower()

    if expected.waits is not None:
        want = expected.waits(channel) if callable(expected.waits) else expected.waits
        assert waits == want
    elif expected.outcome != "sent" and not expected.transient:
        assert waits == []  # a permanent error is not tried again in the run

    if expected.outcome != "sent":  # nothing is lost: the fault gone, the next run delivers it once
        channel.proxy.clear()
        settings.INTEGRATED_CHANNELS = dict(SETTINGS)
        if case.name == "digest rejected":
            from tests.integrated_channels.learningstudio.conftest import SIS_PASSWORD

            channel.config.sis_password = SIS_PASSWORD
            channel.config.save()
        if case.name == "connect timeout":
            channel.point_at(channel.proxy.base_url)
        again = transmit_learner_data(configuration=channel.config)
        assert (again.status, again.sent) == ("completed", 1), again
        audit = LearnerDataTransmissionAudit.objects.get(enrollment=enrollment)
        attempts = 1 if expected.outcome == "run_failed" else 2
        assert (audit.status, audit.attempts, audit.last_error) == ("sent", attempts, "")
        assert channel.delivered(enrollment) == 1


# The SFTP connector (user import, transcript export): one connection per run, no retry inside the
# run (decision 0063: the files stay until an import commits); the run fails with a typed error
# naming the server, changes nothing, and the next scheduled run does the work.

SFTP_FAULTS = ["auth failure", "dropped connection", "connect timeout", "silent server"]
SFTP_CODES = {"auth failure": "auth_failed"}
SFTP_MESSAGES = {
    "auth failure": "by password was refused",
    "dropped connection": "Connection lost",
    "connect timeout": "timed out after 0.5 s",
    "silent server": "timed out after 0.5 s",
}
IMPORT_DIR = "import/user/internal"


@pytest.mark.parametrize("direction", ["import", "export"])
@pytest.mark.parametrize("fault", SFTP_FAULTS)
def test_sftp_fault(tmp_path, fault, direction, settings):
    import datetime

    from django.utils import timezone

    from enterprise.models import PendingEnterpriseCustomerUser
    from integrated_channels.sftp.services.export import export_transcripts
    from integrated_channels.sftp.services.user_import import import_users
    from tests.fakes.faults import Silent
    from tests.fakes.sftp import FakeSFTPServer
    from tests.integrated_channels.sftp.factories import connection_to

    today = timezone.localdate()
    with FakeSFTPServer(tmp_path / "sftp") as server, Blackhole() as blackhole, Silent() as silent:
        config = connection_to(server, customer__enable_data_sharing_consent=True)
        server.write(f"{IMPORT_DIR}/people.csv", "Email,Manager,Department\nnew.hire@example.com,,Sales\n")
        completed_enrollment(config.customer)
        if fault == "auth failure":
            config.password = "not-the-password"
        elif fault == "dropped connection":
            server.drop_on_read = "people.csv" if direction == "import" else "learner_transcript"
        elif fault == "connect timeout":
            config.port = blackhole.port
        else:
            config.port = silent.port
        if fault in ("connect timeout", "silent server"):
            settings.INTEGRATED_CHANNELS = {**SETTINGS, "SFTP_CONNECT_TIMEOUT": 0.5}
        config.save()

        def run_once():
            if direction == "import":
                return import_users(configuration=config).run
            return export_transcripts(
                configuration=config, date_from=today - datetime.timedelta(days=7), date_to=today
            ).run

        run = run_once()

        assert run.status == "failed" and run.sent == 0
        assert run.error_code == SFTP_CODES.get(fault, "transfer_failed")
        assert SFTP_MESSAGES[fault] in run.error_message and f"@127.0.0.1:{config.port}" in run.error_message
        assert "not-the-password" not in run.error_message
        [line] = _report(run.pk)
        assert line["outcome"] == "Run failed" and line["message"] == run.error_message
        # Nothing changed: no learner imported, the file is still there; no transcript written.
        assert not PendingEnterpriseCustomerUser.objects.filter(user_email="new.hire@example.com").exists()
        assert server.path(f"{IMPORT_DIR}/people.csv").exists()
        assert not list(server.path(".").rglob("learner_transcript*"))

        # The fault gone, the next run does the work.
        settings.INTEGRATED_CHANNELS = dict(SETTINGS)
        config.password, config.port, server.drop_on_read = server.password, server.port, ""
        config.save()
        again = run_once()
        assert (again.status, again.sent) == ("completed", 1)
