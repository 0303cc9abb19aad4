"""Cornerstone's learner data (completions for the learners who arrived from Cornerstone) and course list entries."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from enterprise.lms.completion import FAIL, PASS
from integrated_channels.cornerstone.catalog import cornerstone_id, course_entry
from integrated_channels.cornerstone.models import CornerstoneLearnerSession
from integrated_channels.integrated_channel.exporters.content_metadata import ContentMetadataExporter
from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion, LearnerDataExporter
from integrated_channels.integrated_channel.exporters.mapping import iso_utc, percent, when_of


class CornerstoneLearnerDataExporter(LearnerDataExporter):
    """Only enrollments whose learner launched the course from Cornerstone (a session) are considered."""

    needs_remote_id = True  # the learner's Cornerstone GUID

    def _sessions(self):
        return CornerstoneLearnerSession.objects.filter(configuration_id=self.configuration.pk)

    def remote_ids(self, user_ids=None) -> dict[int, str]:
        rows = self._sessions()
        if user_ids is not None:
            rows = rows.filter(user_id__in=user_ids)
        return dict(rows.order_by("modified").values_list("user_id", "user_guid"))  # the latest GUID wins

    def remote_ids_changed_since(self, since):
        return self._sessions().filter(modified__gte=since).values("user_id")

    def enrollments(self, *, since=None, changes=None):
        session = self._sessions().filter(user_id=OuterRef("learner__user_id"), course_id=OuterRef("course_id"))
        return super().enrollments(since=since, changes=changes).filter(Exists(session))

    def learner_payload(self, item: LearnerCompletion) -> dict:
        completion = item.completion
        payload = {
            "courseId": cornerstone_id(item.course_id),
            "userGuid": item.remote_id,
            "status": "Completed" if completion.complete else "In Progress",
            "completionDate": iso_utc(when_of(item, self.now)),
        }
        if completion.complete:
            payload["successStatus"] = "Fail" if completion.grade == FAIL else "Pass"
        value = percent(item)
        if value is not None:
            payload["score"] = value
        return payload

    def reported_grade(self, item: LearnerCompletion) -> str:
        completion = item.completion
        if not completion.complete:
            return completion.grade
        return FAIL if completion.grade == FAIL else PASS


class CornerstoneContentMetadataExporter(ContentMetadataExporter):
    """A content run publishes the course list Cornerstone polls (no remote call)."""

    def course_payload(self, course) -> dict:
        return course_entry(course, now=self.now)

    def inactive_payload(self, course_id: str, last_payload) -> dict:
        if isinstance(last_payload, dict) and last_payload.get("ID"):
            return {**last_payload, "IsActive": False}
        return {"ID": cornerstone_id(course_id), "Title": course_id, "Description": course_id, "IsActive": False}
