"""Selection of the learner data a run sends: set-based, a bounded number of queries.

For one configuration the exporter reads, each in one query: the customer's enrollments with
their learners, the learners' remote ids (when the channel needs them), the granted consents
(when the customer enables data-sharing consent), the audit rows, and the courses; then the
completions through the completion backend, ``COMPLETION_BATCH_SIZE`` enrollments per call.
Payloads are formatted by the channel (``learner_payload``, pure mapping) and their hashes
compared with the audit in Python.
"""

from __future__ import annotations

import abc
import datetime
from dataclasses import dataclass
from itertools import islice

from django.utils import timezone

from consent.services import granted_consents
from enterprise.lms import get_catalog, get_completion_backend
from enterprise.lms.completion import Completion, completions_for
from enterprise.lms.interfaces import Course
from enterprise.models import EnterpriseCourseEnrollment
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exporters.records import (
    PreviousAttempt,
    Record,
    Selection,
    SkipReason,
    payload_hash,
)
from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit


@dataclass(slots=True)
class LearnerCompletion:
    """Everything a channel's mapping may use for one enrollment."""

    enrollment_id: int
    learner_id: int
    user_id: int
    username: str
    email: str
    course_id: str
    enrolled_at: datetime.datetime | None  # read only when a channel needs it (see ``needs_enrollment_dates``)
    remote_id: str
    course: Course
    completion: Completion


def _chunks(items, size):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class LearnerDataExporter(abc.ABC):
    """Base of every channel's learner-data exporter. Subclasses implement ``learner_payload``."""

    #: Learners without a remote id (e.g. their SAP user id) are skipped and reported.
    needs_remote_id = False
    #: Channels that send enrollments rather than completions (e.g. LearningStudio) send every one.
    sends_every_enrollment = False

    def __init__(self, *, configuration, api_user=None, now=None, start_date=None, catalog=None, completions=None):
        self.configuration = configuration
        self.customer = configuration.customer
        self.api_user = api_user
        self.now = now or timezone.now()
        self.start_date = start_date
        options = {"api_user": api_user} if api_user is not None else {}
        self.catalog = catalog or get_catalog(**options)
        self.completions = completions or get_completion_backend(**options)

    # What channels implement

    @abc.abstractmethod
    def learner_payload(self, item: LearnerCompletion):
        """The payload to send for one enrollment (JSON-serialisable; pure mapping, no queries)."""

    def remote_ids(self) -> dict[int, str]:
        """The learners' ids in the remote system, by user id, in one query (channels with ``needs_remote_id``)."""
        return {}

    # Selection

    @property
    def needs_enrollment_dates(self) -> bool:
        """Enrollment dates stand for the date of records that are not complete (or filtered by date)."""
        return bool(self.configuration.send_in_progress or self.start_date)

    def enrollments(self):
        fields = [
            "pk",
            "learner_id",
            "learner__user_id",
            "learner__user__username",
            "learner__user__email",
            "course_id",
        ]
        queryset = (
            EnterpriseCourseEnrollment.objects.enrolled()  # unenrolled enrollments are never sent as such
            .filter(learner__customer_id=self.customer.pk, learner__linked=True, learner__active=True)
            .order_by("pk")
        )
        if self.needs_enrollment_dates:
            fields.append("created")
        return queryset.values_list(*fields)

    def previous_attempts(self) -> dict[int, PreviousAttempt]:
        rows = LearnerDataTransmissionAudit.objects.filter(configuration_id=self.configuration.pk).values_list(
            "enrollment_id", "payload_hash", "status", "attempts"
        )
        return {row[0]: PreviousAttempt(row[1], row[2], row[3]) for row in rows}

    def select(self) -> Selection:
        selection = Selection()
        rows = list(self.enrollments())
        selection.considered = len(rows)
        if not rows:
            return selection

        if self.customer.enable_data_sharing_consent:
            granted = granted_consents(customer=self.customer)
            kept = [row for row in rows if (row[2], row[5]) in granted]
            selection.skip(SkipReason.NO_CONSENT, len(rows) - len(kept))
            rows = kept

        remote_ids: dict[int, str] = {}
        if self.needs_remote_id and rows:
            remote_ids = self.remote_ids()
            kept = []
            for row in rows:
                if row[2] in remote_ids:
                    kept.append(row)
                else:
                    selection.skip(SkipReason.NO_REMOTE_ID)
            rows = kept
        if not rows:
            return selection

        previous = self.previous_attempts()
        courses = self.catalog.get_courses({row[5] for row in rows})
        batch_size = max(int(channel_settings.COMPLETION_BATCH_SIZE), 1)
        for chunk in _chunks(rows, batch_size):
            known = []
            for row in chunk:
                if row[5] in courses:
                    known.append(row)
                else:
                    selection.skip(SkipReason.COURSE_NOT_FOUND)
            completions = completions_for(
                {(row[2], row[5]) for row in known}, courses=courses, backend=self.completions, now=self.now
            )
            for row in known:
                self._consider(selection, row, completions[(row[2], row[5])], courses[row[5]], remote_ids, previous)
        return selection

    def _consider(self, selection, row, completion, course, remote_ids, previous) -> None:
        enrollment_id, learner_id, user_id, username, email, course_id, *dates = row
        enrolled_at = dates[0] if dates else None
        if not completion.complete and not (self.configuration.send_in_progress or self.sends_every_enrollment):
            selection.skip(SkipReason.NOT_COMPLETE)
            return
        if self.start_date is not None and (completion.completed_at or enrolled_at) < self.start_date:
            selection.skip(SkipReason.BEFORE_START_DATE)
            return
        item = LearnerCompletion(
            enrollment_id=enrollment_id,
            learner_id=learner_id,
            user_id=user_id,
            username=username,
            email=email,
            course_id=course_id,
            enrolled_at=enrolled_at,
            remote_id=remote_ids.get(user_id, ""),
            course=course,
            completion=completion,
        )
        payload = self.learner_payload(item)
        digest = payload_hash(payload)
        before = previous.get(enrollment_id)
        if before is not None and before.accepted and before.payload_hash == digest:
            selection.skip(SkipReason.UNCHANGED)
            return
        selection.records.append(
            Record(
                course_id=course_id,
                payload=payload,
                payload_hash=digest,
                previous=before,
                enrollment_id=enrollment_id,
                learner_id=learner_id,
                user_id=user_id,
                username=username,
                email=email,
                remote_id=item.remote_id,
                completed=completion.complete,
                grade=self.reported_grade(item),
            )
        )

    def reported_grade(self, item: LearnerCompletion) -> str:
        """The grade shown in the audit (channels may report their own mapping)."""
        return item.completion.grade
