"""What LearningStudio receives: a person and a course membership per enterprise enrollment.

Every enrollment in force of the customer's linked, active learners is sent (enrollment, not
completion, is what LearningStudio needs) with the enrollment's role, or else the learner's
(``persons.role_of``). The
person carries the learner's well-known attributes and the configured person properties
(``persons.person_data``); a learner whose attributes LearningStudio would refuse gets a failed
record naming the bad value, and nothing is sent for them.

An enrollment that was sent and is now unenrolled, or whose learner is no longer linked or active,
is sent once more with the campus's "Dropped User" role (decision 0042). Payloads are hashed like
every channel's: nothing unchanged is sent twice.
"""

from __future__ import annotations

from django.db.models import Q

from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomerUser
from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion, LearnerDataExporter
from integrated_channels.integrated_channel.exporters.records import (
    PreviousAttempt,
    Record,
    Selection,
    SkipReason,
    payload_hash,
)
from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit
from integrated_channels.learningstudio.nodes import nodes_of
from integrated_channels.learningstudio.persons import person_data


def person_id(user_id: int) -> str:
    """The learner's sourcedid id (this system's identifier, stable across renames)."""
    return str(user_id)


class LearningStudioLearnerDataExporter(LearnerDataExporter):
    sends_every_enrollment = True
    incremental_selection = False  # persons carry names and e-mail addresses, which have no modification time

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.learners: dict[int, tuple[str, str, dict]] = {}
        self.enrollment_roles: dict[int, str] = {}
        self.node_mapping: dict[str, tuple[str, ...]] = {}

    def select(self, *, since=None) -> Selection:
        rows = EnterpriseCustomerUser.objects.filter(customer_id=self.customer.pk, linked=True).values_list(
            "user_id", "user__first_name", "user__last_name", "attributes"
        )
        self.learners = {user_id: (first, last, attributes) for user_id, first, last, attributes in rows}
        # roles per enrollment (issue 22 item 4): a learner may teach one course and study another
        self.enrollment_roles = dict(
            EnterpriseCourseEnrollment.objects.filter(learner__customer_id=self.customer.pk)
            .exclude(role="")
            .values_list("pk", "role")
        )
        self.node_mapping = self.configuration.node_mapping
        selection = super().select(since=since)
        self.select_drops(selection)
        return selection

    def learner_payload(self, item: LearnerCompletion) -> dict:
        given, family, attributes = self.learners.get(item.user_id, ("", "", {}))
        config = self.configuration
        data = person_data(
            user_id=item.user_id,
            username=item.username,
            email=item.email,
            first_name=given,
            last_name=family,
            attributes=attributes,
            properties=config.property_names,
            role_attribute=config.role_attribute,
        )
        role = self.enrollment_roles.get(item.enrollment_id) or data.role  # the learner's attribute: the default
        payload = {"person": data.person, "course": item.course_id, "role": config.role_id(role)}
        if config.node_role_id is not None:  # enrollable nodes (issue 22 item 3)
            nodes = nodes_of(self.node_mapping, attributes, config.node_attribute)
            if nodes:
                payload["nodes"], payload["node_role"] = nodes, config.node_role_id
        if data.errors:  # the client reports these and sends nothing for this record
            payload["errors"] = data.errors
        return payload

    def select_drops(self, selection: Selection) -> None:
        """Sent enrollments now unenrolled, or of learners no longer linked or active: one membership with
        the dropped role each (once: the payload of the drop is then the last one sent)."""
        dropped_role = self.configuration.dropped_role_id
        rows = (
            LearnerDataTransmissionAudit.objects.filter(configuration_id=self.configuration.pk)
            .filter(
                Q(enrollment__unenrolled_at__isnull=False)
                | Q(enrollment__learner__linked=False)
                | Q(enrollment__learner__active=False)
            )
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
            # the person of a record refused for a bad attribute holds only the valid values: droppable
            # a course left is not a node left: the drop names the course only
            kept = {key: value for key, value in sent.items() if key not in ("errors", "nodes", "node_role")}
            payload = kept | {"role": dropped_role}
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
