"""Selection of the learner data a run sends: set-based, a bounded number of queries.

For one configuration the exporter reads, each in one query: the customer's enrollments with
their learners, the learners' remote ids (when the channel needs them), the granted consents
(when the customer enables data-sharing consent), the audit rows, and the courses; then the
completions through the completion backend, ``COMPLETION_BATCH_SIZE`` enrollments per call.
Payloads are formatted by the channel (``learner_payload``, pure mapping) and their hashes
compared with the audit in Python.

``select(since=…)`` is the incremental form (decision 0090): only the enrollments whose inputs
changed since that moment are considered — the enrollment, its learner (linked, active), the
learner's remote ids, consents, the course in the catalog (changed, or its end passed), the
completion backend's certificates, grades and LMS enrollments — plus every enrollment whose
last attempt failed. The candidates may be a superset (a learner's other enrollments, say):
the payload hash still decides what is sent. When the channel or a backend cannot say what
changed, the selection is full and says why (``Selection.full_reason``).
"""

from __future__ import annotations

import abc
import datetime
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter

from django.db.models import Q
from django.utils import timezone

from consent.services import consents_changed_since, granted_consents
from enterprise.lms import get_catalog, get_completion_backend
from enterprise.lms.completion import Completion, completions_for
from enterprise.lms.interfaces import Course
from enterprise.models import EnterpriseCourseEnrollment, LearnerRemoteIdentity
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exporters.gc_pause import gc_paused
from integrated_channels.integrated_channel.exporters.records import (
    FullReason,
    PreviousAttempt,
    Record,
    Selection,
    SkipReason,
    payload_hash,
)
from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit, TransmissionStatus

#: Above this many candidates (or learners whose completion changed), ids are not sent as IN lists:
#: the lookups read the whole configuration's rows, and past the second limit the selection is full.
IN_LIST_LIMIT = 10_000
MAX_CHANGED_LEARNERS = 20_000


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


@dataclass(frozen=True, slots=True)
class _Changes:
    user_ids: frozenset[int]  # learners with a completion input changed (certificate, grade, LMS enrollment)
    course_ids: frozenset[str]  # courses changed in the catalog, or whose end passed


class LearnerDataExporter(abc.ABC):
    """Base of every channel's learner-data exporter. Subclasses implement ``learner_payload``."""

    #: Learners without a remote id (e.g. their SAP user id) are skipped and reported.
    needs_remote_id = False
    #: Learners without an e-mail address are skipped and reported (channels that identify learners by it).
    needs_email = False
    #: Channels that send enrollments rather than completions (e.g. LearningStudio) send every one.
    sends_every_enrollment = False
    #: Whether ``select(since=…)`` may consider only what changed. Channels whose payload reads data
    #: without a modification time (the user's name or e-mail address) turn it off: they select in full.
    incremental_selection = True

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

    def remote_ids(self, user_ids=None) -> dict[int, str]:
        """The learners' ids in the remote system, by user id, in one query (channels with ``needs_remote_id``);
        only those of ``user_ids`` when given."""
        return {}

    def remote_ids_changed_since(self, since: datetime.datetime):
        """The users (a ``user_id`` values queryset) whose remote ids changed since ``since`` (a superset is fine)."""
        return LearnerRemoteIdentity.objects.filter(
            identity_provider__customer_id=self.customer.pk, modified__gte=since
        ).values("user_id")

    def learners_with_ids_changed_since(self, since: datetime.datetime):
        """The learners (a learner-id values queryset) whose remote id kept by hand changed since ``since``;
        None when the channel keeps none."""
        return None

    # Selection

    @property
    def needs_enrollment_dates(self) -> bool:
        """Enrollment dates stand for the date of records that are not complete (or filtered by date)."""
        return bool(self.configuration.send_in_progress or self.start_date)

    def enrollments(self, *, since: datetime.datetime | None = None, changes: _Changes | None = None):
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
        if since is not None:
            queryset = queryset.filter(self._changed_since(since, changes))
        if self.needs_enrollment_dates:
            fields.append("created")
        return queryset.values_list(*fields)

    def _changed_since(self, since: datetime.datetime, changes: _Changes) -> Q:
        """Enrollments whose inputs changed since ``since``, or whose last attempt failed."""
        failed = LearnerDataTransmissionAudit.objects.filter(configuration_id=self.configuration.pk).exclude(
            status=TransmissionStatus.SENT
        )
        condition = (
            Q(modified__gte=since)  # new, or its course id / mode changed
            | Q(learner__modified__gte=since)  # linked again, activated
            | Q(pk__in=failed.values("enrollment_id"))
        )
        if changes.course_ids:
            condition |= Q(course_id__in=sorted(changes.course_ids))
        if changes.user_ids:
            condition |= Q(learner__user_id__in=sorted(changes.user_ids))
        if self.customer.enable_data_sharing_consent:
            condition |= Q(learner__user_id__in=consents_changed_since(customer=self.customer, since=since))
        if self.needs_remote_id:
            condition |= Q(learner__user_id__in=self.remote_ids_changed_since(since))
            learners = self.learners_with_ids_changed_since(since)
            if learners is not None:
                condition |= Q(learner_id__in=learners)
        return condition

    def _changes(self, since: datetime.datetime) -> tuple[_Changes | None, str]:
        """What the backends say changed since ``since``; None and why when the selection must be full."""
        if not self.incremental_selection:
            return None, FullReason.CHANNEL
        course_ids = self.catalog.courses_changed_since(since=since, now=self.now)
        if course_ids is None:
            return None, FullReason.BACKEND
        pairs = self.completions.changed_since(since=since, now=self.now)
        if pairs is None:
            return None, FullReason.BACKEND
        user_ids = frozenset(user_id for user_id, _course_id in pairs)
        if len(user_ids) > MAX_CHANGED_LEARNERS:
            return None, FullReason.TOO_MANY_CHANGES
        return _Changes(user_ids=user_ids, course_ids=frozenset(course_ids)), ""

    def previous_attempts(self, enrollment_ids=None) -> dict[int, tuple[str, str, int]]:
        """(payload hash, status, attempts) of the audit rows, by enrollment id; only ``enrollment_ids`` when given."""
        rows = LearnerDataTransmissionAudit.objects.filter(configuration_id=self.configuration.pk)
        if enrollment_ids is not None:
            rows = rows.filter(enrollment_id__in=enrollment_ids)
        return {row[0]: row[1:] for row in rows.values_list("enrollment_id", "payload_hash", "status", "attempts")}

    @gc_paused  # a selection's objects live until it returns: no collector passes over them (decision 0506)
    def select(self, *, since: datetime.datetime | None = None) -> Selection:
        """The records to send; with ``since``, only among the enrollments whose inputs changed since then."""
        selection = Selection()
        changes = None
        if since is not None:
            changes, selection.full_reason = self._changes(since)
            if changes is None:
                since = None
        selection.since = since
        rows = list(self.enrollments(since=since, changes=changes))
        selection.considered = len(rows)
        if not rows:
            return selection
        # An incremental selection looks up only its candidates' consents, remote ids and audit rows.
        few = since is not None and len(rows) <= IN_LIST_LIMIT
        user_ids = sorted({row[2] for row in rows}) if few else None

        if self.customer.enable_data_sharing_consent:
            granted = granted_consents(customer=self.customer, user_ids=user_ids)
            kept = [row for row in rows if (row[2], row[5]) in granted]
            selection.skip(SkipReason.NO_CONSENT, len(rows) - len(kept))
            rows = kept

        remote_ids: dict[int, str] = {}
        if self.needs_remote_id and rows:
            remote_ids = self.remote_ids(user_ids) if few else self.remote_ids()
            kept = [row for row in rows if row[2] in remote_ids]
            selection.skip(SkipReason.NO_REMOTE_ID, len(rows) - len(kept))
            rows = kept
        if self.needs_email and rows:
            kept = [row for row in rows if row[4] and row[4].strip()]
            selection.skip(SkipReason.NO_EMAIL, len(rows) - len(kept))
            rows = kept
        if not rows:
            return selection

        previous = self.previous_attempts([row[0] for row in rows]) if few else self.previous_attempts()
        courses = self.catalog.get_courses({row[5] for row in rows})
        batch_size = max(int(channel_settings.COMPLETION_BATCH_SIZE), 1)
        if len(rows) > batch_size:  # a learner's enrollments in one batch: each user id is asked for once
            rows.sort(key=itemgetter(2, 0))
        for chunk in _chunks(rows, batch_size):
            known = [row for row in chunk if row[5] in courses]
            selection.skip(SkipReason.COURSE_NOT_FOUND, len(chunk) - len(known))
            completions = completions_for(
                [(row[2], row[5]) for row in known], courses=courses, backend=self.completions, now=self.now
            )
            self._consider(selection, known, completions, courses, remote_ids, previous)
        return selection

    def _consider(self, selection, rows, completions, courses, remote_ids, previous) -> None:
        """Format and hash the rows' payloads; keep the new or changed ones (a hot loop: kept lean)."""
        keep_incomplete = bool(self.configuration.send_in_progress or self.sends_every_enrollment)
        start_date = self.start_date
        learner_payload, reported_grade = self.learner_payload, self.reported_grade
        records, skipped = selection.records, selection.skipped
        append, previous_get, remote_id_of = records.append, previous.get, remote_ids.get
        not_complete = unchanged = before_start = 0
        sent = TransmissionStatus.SENT
        for row in rows:
            enrollment_id, learner_id, user_id, username, email, course_id, *dates = row
            completion = completions[(user_id, course_id)]
            if not completion.complete and not keep_incomplete:
                not_complete += 1
                continue
            enrolled_at = dates[0] if dates else None
            if start_date is not None and (completion.completed_at or enrolled_at) < start_date:
                before_start += 1
                continue
            item = LearnerCompletion(
                enrollment_id,
                learner_id,
                user_id,
                username,
                email,
                course_id,
                enrolled_at,
                remote_id_of(user_id, ""),
                courses[course_id],
                completion,
            )
            payload = learner_payload(item)
            digest = payload_hash(payload)
            before = previous_get(enrollment_id)
            if before is not None:
                if before[0] == digest and before[1] == sent:
                    unchanged += 1
                    continue
                before = PreviousAttempt(*before)
            # positional, in Record's field order: a keyword call costs more per record
            append(
                Record(
                    course_id,
                    payload,
                    digest,
                    before,
                    enrollment_id,
                    learner_id,
                    user_id,
                    username,
                    email,
                    item.remote_id,
                    completion.complete,
                    reported_grade(item),
                )
            )
        for reason, count in (
            (SkipReason.NOT_COMPLETE, not_complete),
            (SkipReason.BEFORE_START_DATE, before_start),
            (SkipReason.UNCHANGED, unchanged),
        ):
            if count:
                skipped[reason] += count

    def reported_grade(self, item: LearnerCompletion) -> str:
        """The grade shown in the audit (channels may report their own mapping)."""
        return item.completion.grade
