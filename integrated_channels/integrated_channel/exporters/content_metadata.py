"""Selection of the course metadata a run exports: the courses the customer's learners are enrolled in.

Courses the catalog still knows are sent as active when their payload is new or changed; a
course sent before as active that the catalog no longer knows is sent once more as inactive
(``inactive_payload``), so the remote catalog stops offering it.
"""

from __future__ import annotations

import abc

from django.utils import timezone

from enterprise.lms import get_catalog
from enterprise.lms.interfaces import Course
from enterprise.models import EnterpriseCourseEnrollment
from integrated_channels.integrated_channel.exporters.records import (
    PreviousAttempt,
    Record,
    Selection,
    SkipReason,
    payload_hash,
)
from integrated_channels.integrated_channel.models import ContentTransmissionAudit

ACTIVE = ContentTransmissionAudit.ContentStatus.ACTIVE
INACTIVE = ContentTransmissionAudit.ContentStatus.INACTIVE


class ContentMetadataExporter(abc.ABC):
    def __init__(self, *, configuration, api_user=None, now=None, start_date=None, catalog=None):
        self.configuration = configuration
        self.customer = configuration.customer
        self.now = now or timezone.now()
        self.catalog = catalog or get_catalog(**({"api_user": api_user} if api_user is not None else {}))

    @abc.abstractmethod
    def course_payload(self, course: Course):
        """The payload describing an active course (pure mapping)."""

    @abc.abstractmethod
    def inactive_payload(self, course_id: str, last_payload):
        """The payload that withdraws a course sent before (``last_payload`` is what was sent)."""

    def course_ids(self) -> set[str]:
        return set(
            EnterpriseCourseEnrollment.objects.enrolled()
            .filter(learner__customer_id=self.customer.pk, learner__linked=True)
            .values_list("course_id", flat=True)
            .distinct()
        )

    def select(self) -> Selection:
        selection = Selection()
        audits = {
            row[0]: (PreviousAttempt(row[1], row[2], row[3], payload=row[5]), row[4])
            for row in ContentTransmissionAudit.objects.filter(configuration_id=self.configuration.pk).values_list(
                "course_id", "payload_hash", "status", "attempts", "content_status", "payload"
            )
        }
        wanted = self.course_ids()
        withdrawn = {cid for cid, (prev, status) in audits.items() if status == ACTIVE or not prev.accepted} - wanted
        courses = self.catalog.get_courses(wanted | withdrawn)
        for course_id in sorted(wanted | withdrawn):
            previous, sent_status = audits.get(course_id, (None, None))
            course = courses.get(course_id)
            if course is not None and course_id in wanted:
                payload, status = self.course_payload(course), ACTIVE
            elif course is None and previous is not None and (sent_status == ACTIVE or not previous.accepted):
                payload, status = self.inactive_payload(course_id, previous.payload), INACTIVE
            elif course is None and previous is not None:
                selection.considered += 1
                selection.skip(SkipReason.UNCHANGED)  # withdrawn already
                continue
            elif course is None:
                selection.considered += 1
                selection.skip(SkipReason.COURSE_NOT_FOUND)
                continue
            else:  # still in the catalog, no longer enrolled in: leave it offered
                continue
            selection.considered += 1
            digest = payload_hash(payload)
            if previous is not None and previous.accepted and previous.payload_hash == digest:
                selection.skip(SkipReason.UNCHANGED)
                continue
            selection.records.append(
                Record(
                    course_id=course_id,
                    payload=payload,
                    payload_hash=digest,
                    previous=previous,
                    content_status=status,
                )
            )
        return selection
