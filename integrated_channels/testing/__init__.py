"""A channel that sends nothing and records what it would send — for your own tests and for demos.

Add ``"integrated_channels.testing"`` to ``INSTALLED_APPS`` (the standalone host has it), give a
customer a "Test channel configuration", run ``transmit_learner_data`` or
``transmit_content_metadata``, then look at ``outbox``::

    from integrated_channels import testing

    testing.outbox.clear()
    call_command("transmit_learner_data", api_user="staff", channel=["TEST"])
    assert [call.payloads for call in testing.outbox] == [[{"user": "alice", "course": ..., ...}]]

Every call the framework makes is appended to ``outbox`` as a ``SentCall`` (configuration id,
kind, payloads). Records of the courses listed in the configuration's "Refuse course ids" fail
as the remote system refusing them would, so the failure paths can be tested too. Runs, audit
rows and error reports are written exactly as for a real channel. The outbox lives in the
process's memory: with Celery workers, read the audit rows instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SentCall:
    configuration_id: int
    kind: str  # "learner_data" or "content_metadata"
    payloads: list = field(default_factory=list)


outbox: list[SentCall] = []
