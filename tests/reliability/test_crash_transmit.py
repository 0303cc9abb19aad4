"""Crash safety of a transmit run (issue 9, item 1): a run sending completions to the fake SAP
SuccessFactors tenant is killed with SIGKILL in the middle of sending — the process of
``manage.py transmit_learner_data``, or the Celery worker running the fan-out task (with
CELERY_BROKER_URL). The run lock it leaves is refused while its heartbeat is fresh and taken over
once it is older than ``RUN_LOCK_EXPIRY`` (decision 0022; 12 s here); the next run delivers every
remaining completion. Nothing is lost, and the duplicates at the remote are exactly the records
in flight at the kill: received by the tenant, not yet in the audit — at most one audit batch
(``AUDIT_FLUSH_RECORDS`` / ``AUDIT_FLUSH_SECONDS``, decision 0025) plus the call on the wire.
Separate processes share the database: PostgreSQL. Marked ``slow`` (about 40 s each): run by
.ci/run. Print the figures with ``-s``."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.utils import timezone

from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit, Run
from tests.celery_worker import BROKER, celery_worker
from tests.factories import StaffFactory
from tests.reliability.test_concurrency import ROOT, _env

pytestmark = [pytest.mark.postgresql, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RECORDS, KILL_AFTER = 1200, 700  # killed after the first audit batch (500) was written
CHANNELS = {
    "RUN_LOCK_EXPIRY": 12,  # long enough for a new process (or worker) to start while the lock is fresh
    "HEARTBEAT_INTERVAL": 0.5,
    # the production defaults of the audit batches, written here so that the bound is explicit
    "AUDIT_FLUSH_RECORDS": 500,
    "AUDIT_FLUSH_SECONDS": 2.0,
}


class CommandProcess:
    """Each run is a ``manage.py transmit_learner_data`` process; the victim is that process."""

    def __init__(self, tmp_path):
        self.env = {
            **_env(),
            "DJANGO_SETTINGS_MODULE": "tests.reliability.crash_settings",
            "RELIABILITY_INTEGRATED_CHANNELS": json.dumps({**CHANNELS, "USE_CELERY": False}),
        }

    @contextlib.contextmanager
    def session(self):
        yield

    def start(self) -> tuple[subprocess.Popen, subprocess.Popen]:
        process = self._command()
        return process, process

    def _command(self) -> subprocess.Popen:
        command = [sys.executable, "manage.py", "transmit_learner_data", "--api-user", "staff", "--channel", "SAP"]
        return subprocess.Popen(
            [*command, "--no-progress"],
            cwd=ROOT,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def run(self) -> str:
        process = self._command()
        out, _err = process.communicate(timeout=300)
        assert process.returncode == 0, out[-3000:]
        return out


class CeleryWorker(CommandProcess):
    """The command dispatches to a real Celery worker (broker CELERY_BROKER_URL); the victim is the
    worker (solo pool: the task runs in its process). A new worker serves the next runs."""

    def __init__(self, tmp_path):
        if not BROKER:
            pytest.skip("needs CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/13)")
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []
        self.queue = ""
        self.worker_env = {
            "DJANGO_SETTINGS_MODULE": "tests.reliability.crash_settings",
            "RELIABILITY_INTEGRATED_CHANNELS": json.dumps(CHANNELS),
        }
        super().__init__(tmp_path)

    def _worker(self, name: str):
        log_dir = self.tmp_path / name
        log_dir.mkdir()
        return celery_worker(log_dir, queue_prefix="crash-test", env=self.worker_env, processes=self.processes)

    @contextlib.contextmanager
    def session(self):
        with self._worker("first") as (queue, _log):
            self.queue = queue
            self._configure()
            yield

    def _configure(self):
        dispatch = {**CHANNELS, "USE_CELERY": True, "CELERY_QUEUE": self.queue, "TASK_RESULT_TIMEOUT": 120}
        self.env = {**self.env, "CELERY_BROKER_URL": BROKER, "RELIABILITY_INTEGRATED_CHANNELS": json.dumps(dispatch)}

    def start(self):
        return self._command(), self.processes[-1]

    def run(self) -> str:
        with self._worker(f"worker{len(self.processes)}") as (queue, _log):
            self.queue = queue
            self._configure()
            return super().run()


@pytest.mark.parametrize("runner", [CommandProcess, CeleryWorker], ids=["command", "celery-worker"])
def test_a_transmit_run_killed_mid_send_loses_nothing_and_duplicates_only_what_was_in_flight(runner, tmp_path, capsys):
    from tests.fakes.sap import FakeSAPSuccessFactors
    from tests.integrated_channels.factories import SAPConfigurationFactory, completed_enrollment

    way = runner(tmp_path)
    StaffFactory(username="staff")
    with FakeSAPSuccessFactors() as fake, way.session():
        fake.add_tenant("ACME", "acme-client", "s3cret")
        config = SAPConfigurationFactory(
            base_url=fake.base_url, company_id="ACME", client_id="acme-client", client_secret="s3cret"
        )
        remote_ids = {f"sap-{i}" for i in range(RECORDS)}
        for remote_id in remote_ids:
            completed_enrollment(config.customer, remote_id=remote_id)

        started = time.monotonic()
        command, victim = way.start()
        while len(fake.events("ACME")) < KILL_AFTER and victim.poll() is None and time.monotonic() - started < 120:
            time.sleep(0.005)
        assert victim.poll() is None, "the run ended before it could be killed"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        killed_after = time.monotonic() - started
        assert victim.returncode == -signal.SIGKILL
        if command is not victim:  # the dispatching command waits for a result that never comes
            command.terminate()
        command.communicate(timeout=30)

        received = len(fake.events("ACME"))  # what the tenant holds, the call on the wire included
        audited = LearnerDataTransmissionAudit.objects.filter(configuration=config, status="sent").count()
        in_flight = received - audited
        [dead] = Run.objects.filter(configuration=config)
        assert dead.status == Run.Status.RUNNING  # the lock the killed process left

        # At once: the lock is still fresh, the new run is refused and says so (exit 0).
        locked = way.run()
        assert "another run in progress" in locked, locked
        # After the expiry: the dead run is declared abandoned and the new one delivers the rest.
        dead.refresh_from_db()
        expired = dead.heartbeat_at + datetime.timedelta(seconds=CHANNELS["RUN_LOCK_EXPIRY"] + 0.5)
        time.sleep(max((expired - timezone.now()).total_seconds(), 0))
        rerun_started = time.monotonic()
        way.run()
        rerun_seconds = time.monotonic() - rerun_started
        events = fake.events("ACME")

    dead.refresh_from_db()
    assert (dead.status, dead.error_code) == (Run.Status.FAILED, "abandoned")
    rerun = Run.objects.filter(configuration=config).exclude(pk=dead.pk).get()
    assert rerun.status == Run.Status.COMPLETED, rerun.error_message
    assert (rerun.sent, rerun.failed) == (RECORDS - audited, 0)

    delivered = Counter(event["userID"] for event in events)
    assert set(delivered) == remote_ids  # no completion lost
    assert LearnerDataTransmissionAudit.objects.filter(configuration=config, status="sent").count() == RECORDS
    duplicates = sum(delivered.values()) - RECORDS
    assert max(delivered.values()) <= 2
    assert duplicates == in_flight  # exactly the records the tenant had and the audit had not
    assert duplicates <= CHANNELS["AUDIT_FLUSH_RECORDS"] + 1
    with capsys.disabled():
        print(
            f"\nfigure ({runner.__name__}): transmit of {RECORDS:,} SAP completions killed (SIGKILL) after "
            f"{killed_after:.1f} s, {received:,} received by the tenant, {audited:,} in the audit: {in_flight} "
            f"in flight; rerun after the lock expiry sent {rerun.sent:,} in {rerun_seconds:.1f} s; "
            f"0 lost, {duplicates} duplicate(s) at the remote"
        )
