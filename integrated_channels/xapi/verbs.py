"""The xAPI verbs this package knows (ADL verb IRIs, decision 0070).

Sent to an LRS: ``registered`` for every enterprise enrollment, ``completed`` once the completion
rules say complete. Imported from statements: the verbs of ``COMPLETING`` record a passed
completion in the local LMS, those of ``FAILING`` a failed attempt; other verbs are skipped.
"""

from __future__ import annotations

ADL = "http://adlnet.gov/expapi/verbs/"

REGISTERED = ADL + "registered"
COMPLETED = ADL + "completed"
PASSED = ADL + "passed"
MASTERED = ADL + "mastered"
FAILED = ADL + "failed"
VOIDED = ADL + "voided"

#: Verbs that mean the learner completed the course (a result.success of false turns them into a failure).
COMPLETING = frozenset({COMPLETED, PASSED, MASTERED})
#: Verbs that mean the learner did not pass.
FAILING = frozenset({FAILED})
RECOGNISED = COMPLETING | FAILING


def display(verb_id: str) -> dict[str, str]:
    return {"en-US": verb_id.rsplit("/", 1)[-1]}
