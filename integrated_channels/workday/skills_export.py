"""Export user skills to Workday (the seed's "User-skill Export"; decision 0261).

Each learner's skills achieved from the start date (a completion of a course teaching them; the
catalogue's current skills only) are sent as skill items of their Workday worker with the Talent
service's ``Manage_Skills``: one call per worker, each skill item named "<skill> (<level>)" — the
seed maps Learning Manager's name and level together to Workday's skill item; Workday finds or
creates a skill item by its name, so the same skill name from two customers is the same Workday
skill. Workers are the ones this connection imported (``WorkdayWorker``, by e-mail); a learner
who is not one is left out (skip reason). A worker Workday refuses (a validation fault) is one
failed record; an authentication failure or a service down after its retries fails the run.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from enterprise.emails import normalize_email
from integrated_channels.integrated_channel.exceptions import ChannelError, SoapClientFault
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs
from integrated_channels.sftp.exporters import SkillAchievementExporter
from integrated_channels.sftp.operations import export_range
from integrated_channels.sftp.services.export import day_bounds
from integrated_channels.sftp.services.skills_export import first_achievements
from integrated_channels.workday.client import WorkdayTalentClient
from integrated_channels.workday.models import WorkdayWorker

logger = logging.getLogger(__name__)
SKILLS_EXPORT = "skills_export"
HEARTBEAT_EVERY = 100


def item_name(skill: str, level: str) -> str:
    return f"{skill} ({level})" if level else skill


def export_skills(configuration, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    date_from, date_to = export_range(timezone.localdate(start_date) if start_date else None)
    start, end = day_bounds(date_from, date_to)
    run = run or runs.start_run(
        configuration=configuration, kind=SKILLS_EXPORT, trigger=trigger, api_user=api_user, start_date=start
    )
    client = WorkdayTalentClient(configuration)
    sent = failed = 0
    try:
        selection = SkillAchievementExporter(configuration=configuration, api_user=api_user).select()
        completed = [record.payload for record in selection.records if record.completed]
        achievements, _without = first_achievements(completed)
        skills: dict[str, dict[str, str]] = {}
        for a in achievements:
            if start <= a.achieved_at < end:
                name = item_name(a.skill, a.level)
                skills.setdefault(normalize_email(a.email), {}).setdefault(name.casefold(), name)
        workers = dict(
            WorkdayWorker.objects.filter(configuration=configuration, email__in=list(skills)).values_list(
                "email", "worker_uuid"
            )
        )
        not_workers = [email for email in skills if email not in workers]
        for number, email in enumerate(sorted(workers), start=1):
            names = sorted(skills[email].values(), key=str.casefold)
            try:
                client.manage_skills(workers[email], names)
                sent += 1
            except SoapClientFault as exc:  # this worker refused; the others go on
                failed += 1
                RunError.objects.create(
                    run=run, outcome=RunError.Outcome.FAILED, email=email, code=exc.code, message=exc.message
                )
            if number % HEARTBEAT_EVERY == 0:
                runs.heartbeat(run, sent=sent, failed=failed)
    except ChannelError as exc:
        RunError.objects.create(run=run, outcome=RunError.Outcome.RUN, code=exc.code, message=exc.message)
        runs.finish_run(
            run,
            status=Run.Status.FAILED,
            error_code=exc.code,
            error_message=exc.message,
            selected=sent + failed,
            sent=sent,
            failed=failed,
        )
        return run
    finally:
        client.close()
    skipped = len(not_workers)
    runs.finish_run(
        run,
        status=Run.Status.COMPLETED_WITH_ERRORS if failed else Run.Status.COMPLETED,
        selected=len(skills),
        sent=sent,
        failed=failed,
        skipped=skipped,
        skip_reasons={"not_a_workday_worker": skipped} if skipped else {},
        remote_calls=client.calls,
    )
    return run
