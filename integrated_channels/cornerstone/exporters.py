"""Cornerstone's learner data (completions for the learners who arrived from Cornerstone) and course list entries."""

from __future__ import annotations

from enterprise.lms.completion import FAIL, PASS
from integrated_channels.cornerstone.catalog import cornerstone_id, course_entry
from integrated_channels.cornerstone.models import CornerstoneLearnerSession
from integrated_channels.integrated_channel.exporters.content_metadata import ContentMetadataExporter
from integrated_channels.integrated_channel.exporters.learner_data import (
    IN_LIST_LIMIT,
    LearnerCompletion,
    LearnerDataExporter,
)
from integrated_channels.integrated_channel.exporters.mapping import iso_utc, percent, when_of


class CornerstoneLearnerDataExporter(LearnerDataExporter):
    """Only enrollments whose learner launched the course from Cornerstone (a session) are considered.

    The connection's sessions are read once per selection (decision 0550): ``enrollments`` keeps the
    rows that have a session for their (learner, course) and remembers each learner's GUID, which
    ``remote_ids`` then returns without reading the sessions again.
    """

    needs_remote_id = True  # the learner's Cornerstone GUID

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._guids: dict[int, str] | None = None  # from the last ``enrollments``' read of the sessions

    def _sessions(self):
        return CornerstoneLearnerSession.objects.filter(configuration_id=self.configuration.pk)

    def _read_sessions(self, user_ids=None) -> tuple[set[tuple[int, str]], dict[int, str]]:
        """The launched (user id, course id) pairs and each learner's GUID (the latest session's wins)."""
        rows = self._sessions()
        if user_ids is not None:
            rows = rows.filter(user_id__in=user_ids)
        sessions = list(rows.order_by("modified").values_list("user_id", "course_id", "user_guid"))
        return {(user, course) for user, course, _guid in sessions}, {user: guid for user, _course, guid in sessions}

    def remote_ids(self, user_ids=None) -> dict[int, str]:
        guids = self._guids
        if guids is None:
            return self._read_sessions(user_ids)[1]
        self._guids = None  # used once: a later selection reads the sessions again
        return guids if user_ids is None else {user: guids[user] for user in user_ids if user in guids}

    def remote_ids_changed_since(self, since):
        return self._sessions().filter(modified__gte=since).values("user_id")

    def enrollments(self, *, since=None, changes=None):
        """The customer's enrollments (as the framework selects them) that have a session, in one read of the
        sessions: the candidates' when an incremental selection has few, else the connection's."""
        rows = list(super().enrollments(since=since, changes=changes))
        self._guids = None
        if not rows:
            return rows
        few = since is not None and len(rows) <= IN_LIST_LIMIT
        launched, self._guids = self._read_sessions(sorted({row[2] for row in rows}) if few else None)
        return [row for row in rows if (row[2], row[5]) in launched]

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
