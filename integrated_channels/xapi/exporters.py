"""Mapping of enterprise enrollments to xAPI statements (pure functions of the inputs, decision 0070).

Each enrollment's payload is the list of its statements: ``registered`` (timestamp: the
enrollment), and ``completed`` once the completion rules say complete (timestamp: the
completion; result.completion true, result.success false only for a "Fail" grade, result.score
when a score is known). Statement ids are UUID5s of the configuration, the enrollment, the verb
and the statement's content: sending the same statement again is a no-op at the LRS, and a
changed completion is a new statement (an LRS refuses a different statement under a used id).
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from enterprise.lms.completion import FAIL
from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion, LearnerDataExporter
from integrated_channels.integrated_channel.exporters.records import payload_hash
from integrated_channels.xapi import verbs

#: Namespace of the statement ids this app makes (a UUID5 of the DNS name of the project's statements).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:enterprise-learners:xapi:statements")
COURSE_ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/course"


def activity_iri(base: str, course_id: str) -> str:
    return base + quote(course_id, safe=":+@")


def statement_id(*, configuration_id: int, enrollment_id: int, verb: str, content: dict) -> str:
    name = f"{configuration_id}/{enrollment_id}/{verb}/{payload_hash(content)}"
    return str(uuid.uuid5(NAMESPACE, name))


def score(item: LearnerCompletion) -> Decimal | None:
    """The scaled score (0 to 1): the grade's percent, else a certificate grade that is a number."""
    completion = item.completion
    if completion.percent is not None:
        return Decimal(completion.percent)
    try:
        value = Decimal(str(completion.grade))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and 0 <= value <= 1 else None


class XAPILearnerDataExporter(LearnerDataExporter):
    sends_every_enrollment = True  # every enrollment gets its "registered" statement
    needs_email = True  # the actor is a mailto: IRI; an LRS refuses a statement without one

    @property
    def needs_enrollment_dates(self) -> bool:
        return True

    def _statement(self, item: LearnerCompletion, verb: str, timestamp, result: dict | None = None) -> dict:
        content = {
            "actor": {"objectType": "Agent", "name": item.username, "mbox": f"mailto:{item.email.lower()}"},
            "verb": {"id": verb, "display": verbs.display(verb)},
            "object": {
                "objectType": "Activity",
                "id": activity_iri(self.configuration.activity_iri_base, item.course_id),
                "definition": {"type": COURSE_ACTIVITY_TYPE, "name": {"en-US": item.course.title or item.course_id}},
            },
            "timestamp": timestamp.isoformat(),
        }
        if result is not None:
            content["result"] = result
        content["id"] = statement_id(
            configuration_id=self.configuration.pk, enrollment_id=item.enrollment_id, verb=verb, content=content
        )
        return content

    def learner_payload(self, item: LearnerCompletion) -> list[dict]:
        statements = [self._statement(item, verbs.REGISTERED, item.enrolled_at or self.now)]
        completion = item.completion
        if completion.complete:
            result = {"completion": True, "success": completion.grade != FAIL}
            scaled = score(item)
            if scaled is not None:
                result["score"] = {"scaled": float(round(scaled, 4))}
            # a completion date is stable from run to run (never "now" while another date is known)
            when = completion.completed_at or item.enrolled_at or self.now
            statements.append(self._statement(item, verbs.COMPLETED, when, result))
        return statements
