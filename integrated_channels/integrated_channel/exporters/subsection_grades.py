"""Selection of assessment-level data: a grade per graded subsection of each enrollment (decision 0340).

The enrollments, consents and e-mail addresses are selected as for learner data (the same
queries, the same consent gating); the subsection grades of the kept enrollments come from the
completion backend (``get_subsection_grades``), ``COMPLETION_BATCH_SIZE`` enrollments per call;
the audit rows, one per (configuration, enrollment, subsection), are read in one query. A record
is one subsection grade; it is sent when its payload hash differs from the audit's last accepted
one (or its last attempt failed): an unchanged grade is never sent again.
"""

from __future__ import annotations

import abc

from consent.services import granted_consents
from enterprise.lms.interfaces import SubsectionGrade
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exporters.gc_pause import gc_paused
from integrated_channels.integrated_channel.exporters.learner_data import LearnerDataExporter, _chunks
from integrated_channels.integrated_channel.exporters.records import (
    PreviousAttempt,
    Record,
    Selection,
    SkipReason,
    payload_hash,
)
from integrated_channels.integrated_channel.models import SubsectionGradeTransmissionAudit, TransmissionStatus


class SubsectionGradeExporter(LearnerDataExporter):
    """Base of the channels' assessment-level exporters. Subclasses implement ``subsection_payload``."""

    @abc.abstractmethod
    def subsection_payload(self, *, email: str, remote_id: str, grade: SubsectionGrade):
        """The payload to send for one subsection grade (JSON-serialisable; pure mapping, no queries)."""

    def learner_payload(self, item):  # pragma: no cover - the learner-data path does not use this exporter
        raise NotImplementedError("A subsection-grade exporter formats subsection grades only.")

    def reported_subsection_grade(self, grade: SubsectionGrade) -> str:
        return f"{grade.percent * 100:.2f}".rstrip("0").rstrip(".") + "%"

    def previous_subsection_attempts(self) -> dict[tuple[int, str], tuple[str, str, int]]:
        rows = SubsectionGradeTransmissionAudit.objects.filter(configuration_id=self.configuration.pk).values_list(
            "enrollment_id", "subsection_id", "payload_hash", "status", "attempts"
        )
        return {(row[0], row[1]): row[2:] for row in rows}

    @gc_paused  # as learner data's (decision 0506)
    def select(self, *, since=None) -> Selection:
        """Every subsection grade of the customer's enrollments whose payload changed since it was accepted."""
        selection = Selection()
        rows = list(self.enrollments())
        selection.considered = len(rows)
        if not rows:
            return selection
        if self.customer.enable_data_sharing_consent:
            granted = granted_consents(customer=self.customer, user_ids=None)
            kept = [row for row in rows if (row[2], row[5]) in granted]
            selection.skip(SkipReason.NO_CONSENT, len(rows) - len(kept))
            rows = kept
        remote_ids: dict[int, str] = {}
        if self.needs_remote_id and rows:
            remote_ids = self.remote_ids()
            kept = [row for row in rows if row[2] in remote_ids]
            selection.skip(SkipReason.NO_REMOTE_ID, len(rows) - len(kept))
            rows = kept
        if self.needs_email and rows:
            kept = [row for row in rows if row[4] and row[4].strip()]
            selection.skip(SkipReason.NO_EMAIL, len(rows) - len(kept))
            rows = kept
        if not rows:
            return selection
        previous = self.previous_subsection_attempts()
        batch_size = max(int(channel_settings.COMPLETION_BATCH_SIZE), 1)
        sent = TransmissionStatus.SENT
        for chunk in _chunks(rows, batch_size):
            grades = self.completions.get_subsection_grades([(row[2], row[5]) for row in chunk])
            for enrollment_id, learner_id, user_id, username, email, course_id, *_dates in chunk:
                found = grades.get((user_id, course_id))
                if not found:
                    selection.skip(SkipReason.NO_SUBSECTION_GRADES)
                    continue
                remote_id = remote_ids.get(user_id, "")
                for grade in found:
                    payload = self.subsection_payload(email=email, remote_id=remote_id, grade=grade)
                    digest = payload_hash(payload)
                    before = previous.get((enrollment_id, grade.subsection_id))
                    if before is not None:
                        if before[0] == digest and before[1] == sent:
                            selection.skip(SkipReason.UNCHANGED)
                            continue
                        before = PreviousAttempt(*before)
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
                            remote_id=remote_id,
                            completed=False,
                            grade=self.reported_subsection_grade(grade),
                            subsection_id=grade.subsection_id,
                        )
                    )
        # Each subsection grade is a record: what is considered is what was sent or skipped, whatever the unit.
        selection.considered = sum(selection.skipped.values()) + len(selection.records)
        return selection
