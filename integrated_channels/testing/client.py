"""The test channel's client: appends each call to the outbox instead of sending it."""

from integrated_channels import testing
from integrated_channels.integrated_channel.exceptions import RemoteRejected
from integrated_channels.integrated_channel.transports.base import ChannelClient, Outcome


class TestChannelClient(ChannelClient):
    __test__ = False  # not a pytest test class
    name = "Test channel"

    def learner_batch_size(self) -> int:
        return self.configuration.records_per_call

    def content_batch_size(self) -> int:
        return self.configuration.records_per_call

    def _send(self, kind, records):
        self.calls += 1
        refused = self.configuration.refused_courses()
        accepted = [record for record in records if record.course_id not in refused]
        testing.outbox.append(testing.SentCall(self.configuration.pk, kind, [record.payload for record in accepted]))
        outcomes = []
        for record in records:
            if record.course_id in refused:
                error = RemoteRejected(
                    f"Test channel refused course {record.course_id} (listed in the configuration).",
                    status_code=400,
                    remote_message=f"course {record.course_id} refused",
                )
                outcomes.append(Outcome(record, error=error, status_code=400))
            else:
                outcomes.append(Outcome(record, status_code=200, response_summary="recorded in the outbox"))
        return outcomes

    def send_learner_data(self, records):
        return self._send("learner_data", records)

    def send_content_metadata(self, records):
        return self._send("content_metadata", records)
