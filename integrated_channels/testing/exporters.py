"""The test channel's payloads: a plain, readable mapping."""

from integrated_channels.integrated_channel.exporters.content_metadata import ContentMetadataExporter
from integrated_channels.integrated_channel.exporters.learner_data import LearnerDataExporter
from integrated_channels.integrated_channel.exporters.records import epoch_millis


class TestLearnerDataExporter(LearnerDataExporter):
    __test__ = False  # not a pytest test class
    incremental_selection = False  # the payload carries the user name and e-mail, which have no modification time

    def learner_payload(self, item):
        completion = item.completion
        return {
            "user": item.username,
            "email": item.email,
            "course": item.course_id,
            "completed": completion.complete,
            "grade": completion.grade,
            "completed_at": epoch_millis(completion.completed_at) if completion.completed_at else None,
        }


class TestContentMetadataExporter(ContentMetadataExporter):
    __test__ = False  # not a pytest test class

    def course_payload(self, course):
        return {"course": course.course_id, "title": course.title, "status": "active"}

    def inactive_payload(self, course_id, last_payload):
        return {**(last_payload or {"course": course_id}), "status": "inactive"}
