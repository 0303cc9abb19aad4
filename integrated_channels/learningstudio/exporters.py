"""What LearningStudio receives: a person and a course membership per enterprise enrollment.

Every enrollment of the customer's linked, active learners is sent (enrollment, not completion,
is what LearningStudio needs). An enrollment that was sent and whose learner is no longer linked
or active is sent once more with the campus's "Dropped User" role. Payloads are hashed like every
channel's: nothing unchanged is sent twice.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion, LearnerDataExporter
from integrated_channels.integrated_channel.exporters.records import (
    PreviousAttempt,
    Record,
    Selection,
    SkipReason,
    payload_hash,
)
from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit


def person_id(user_id: int) -> str:
    """The learner's sourcedid id (this system's identifier, stable across renames)."""
    return str(user_id)


class LearningStudioLearnerDataExporter(LearnerDataExporter):
    sends_every_enrollment = True
    incremental_selection = False  # persons carry names and e-mail addresses, which have no modification time

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.names: dict[int, tuple[str, str]] = {}

    def select(self, *, since=None) -> Selection:
        users = get_user_model().objects.filter(
            enterprise_links__customer_id=self.customer.pk, enterprise_links__linked=True
        )
        self.names = {pk: (first, last) for pk, first, last in users.values_list("pk", "first_name", "last_name")}
        selection = super().select(since=since)
        self.select_drops(selection)
        return selection

    def learner_payload(self, item: LearnerCompletion) -> dict:
        given, family = self.names.get(item.user_id, ("", ""))
        return {
            "person": {
                "id": person_id(item.user_id),
                "userid": item.username,
                "given": given,
                "family": family,
                "email": item.email,
            },
            "course": item.course_id,
            "role": self.configuration.student_role_id,
        }

    def select_drops(self, selection: Selection) -> None:
        """Sent enrollments of learners no longer linked or active: one membership with the dropped role each."""
        dropped_role = self.configuration.dropped_role_id
        rows = (
            LearnerDataTransmissionAudit.objects.filter(configuration_id=self.configuration.pk)
            .exclude(enrollment__learner__linked=True, enrollment__learner__active=True)
            .values_list(
                "enrollment_id",
                "enrollment__learner_id",
                "enrollment__learner__user_id",
                "enrollment__learner__user__username",
                "enrollment__learner__user__email",
                "course_id",
                "payload",
                "payload_hash",
                "status",
                "attempts",
            )
        )
        for enrollment_id, learner_id, user_id, username, email, course_id, sent, digest, status, attempts in rows:
            selection.considered += 1
            if not isinstance(sent, dict) or "person" not in sent:
                selection.skip(SkipReason.UNCHANGED)
                continue
            payload = {**sent, "role": dropped_role}
            new_digest = payload_hash(payload)
            before = PreviousAttempt(digest, status, attempts)
            if before.accepted and digest == new_digest:
                selection.skip(SkipReason.UNCHANGED)
                continue
            selection.records.append(
                Record(
                    course_id=course_id,
                    payload=payload,
                    payload_hash=new_digest,
                    previous=before,
                    enrollment_id=enrollment_id,
                    learner_id=learner_id,
                    user_id=user_id,
                    username=username,
                    email=email,
                    grade="dropped",
                )
            )
