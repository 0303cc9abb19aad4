"""What a run's codes mean, in sentences for people: skip reasons, why every enrollment was selected, and
the one-line outcome an admin message gives. The one place these codes are worded (the admin uses it).

A code this module does not know is shown as it is, its underscores turned to spaces: a connector adding
a reason is never hidden, only less well worded until it is added here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.exporters.records import FullReason, SkipReason
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services.execution_status import admin_datetime

SKIP_REASONS = {
    SkipReason.UNCHANGED: _("Already sent and unchanged since."),
    SkipReason.NOT_COMPLETE: _("Not completed yet."),
    SkipReason.NO_CONSENT: _("The learner has not given data-sharing consent."),
    SkipReason.NO_REMOTE_ID: _("The learner has no account on the remote system (no remote id)."),
    SkipReason.NO_EMAIL: _("The learner has no e-mail address."),
    SkipReason.COURSE_NOT_FOUND: _("The course is not in the catalog."),
    SkipReason.BEFORE_START_DATE: _("Before the run's start date."),
    SkipReason.DRY_RUN: _("Dry run: nothing is sent."),
    SkipReason.NO_SUBSECTION_GRADES: _("The learner has no grade in a graded subsection of the course yet."),
    "after_end_date": _("After the export's end date."),
    "course_without_skills": _("The course teaches no skill."),
    "achieved_outside_the_range": _("Achieved outside the export's dates."),
    "filtered_out": _("Left out by the import's conditions."),
    "not_under_the_managers": _("Not in the hierarchy of the chosen managers."),
    "duplicate": _("A duplicate of another row of the file."),
    "verb_not_recognised": _("The statement's verb is not one the import knows."),
    "superseded": _("Replaced by a later statement of the same learner and course."),
    "status_filtered_out": _("Left out by the connection's transcript status filter."),
}

FULL_REASONS = {
    FullReason.DISABLED: _("Change tracking is turned off, so every enrollment was considered."),
    FullReason.FIRST_RUN: _(
        "No earlier run of this operation succeeded, so every enrollment was considered (later runs send "
        "only what changed)."
    ),
    FullReason.REQUESTED: _("Every enrollment was considered, as asked when the run was started."),
    FullReason.START_DATE: _("A start date was given, so every enrollment since that day was considered."),
    FullReason.CONFIGURATION_CHANGED: _(
        "The connection's settings changed since the last run, so every enrollment was considered."
    ),
    FullReason.PERIODIC: _("The periodic full run: every enrollment was considered, to catch anything missed."),
    FullReason.CHANNEL: _("This connector cannot send only changes, so every enrollment was considered."),
    FullReason.BACKEND: _("The learning platform cannot tell what changed, so every enrollment was considered."),
    FullReason.TOO_MANY_CHANGES: _("So much changed that considering every enrollment was quicker."),
}


def _fallback(code: str) -> str:
    return code.replace("_", " ").capitalize() + "."


def skip_reason(code: str) -> str:
    return str(SKIP_REASONS.get(code) or _fallback(code))


def full_selection_reason(code: str) -> str:
    return str(FULL_REASONS.get(code) or _fallback(code)) if code else ""


def selection(run: Run) -> str:
    """How the run chose its records, as a sentence."""
    if run.full_selection_reason:
        return full_selection_reason(run.full_selection_reason)
    if run.changes_since:
        return str(_("Only what changed since %(moment)s.")) % {"moment": admin_datetime(run.changes_since)}
    return ""


def skip_lines(skip_reasons: dict) -> list[tuple[str, int]]:
    """(sentence, count) of each skip reason, the largest first."""
    return [
        (skip_reason(code), count)
        for code, count in sorted((skip_reasons or {}).items(), key=lambda item: (-item[1], item[0]))
        if count
    ]


def outcome(run: Run, *, done: str = "sent") -> str:
    """The run's outcome in one line: ``run #12 completed with errors: 3 sent, 1 failed, 5 skipped``."""
    return outcome_of(
        run_id=run.pk,
        status=run.status,
        sent=run.sent,
        failed=run.failed,
        skipped=run.skipped,
        not_attempted=run.not_attempted,
        error=run.error_message,
        done=done,
    )


def outcome_of(
    *, run_id, status: str, sent: int, failed: int, skipped: int, not_attempted: int, error: str = "", done="sent"
) -> str:
    """A run's outcome in one line (see ``outcome``); ``done`` names what was done ("sent", "imported").

    A failed run says how many records it did not attempt, and its skipped records (left out by the
    selection, before any connection) are named as such, never as the failure's doing.
    """
    label = Run.Status(status).label.lower()
    if status == Run.Status.FAILED:
        parts = [f"{sent} {done}"] if sent else [str(_("nothing %(done)s")) % {"done": done}]
        if failed:
            parts.append(f"{failed} failed")
        if not_attempted:
            parts.append(str(_("%(count)d not attempted")) % {"count": not_attempted})
        if skipped:
            parts.append(str(_("%(count)d left out by the selection")) % {"count": skipped})
    else:
        parts = [f"{sent} {done}", f"{failed} failed", f"{skipped} skipped"]
    text = f"run #{run_id} {label}: {', '.join(parts)}"
    if error:
        text += f" ({error})"
    return text
