"""The xAPI statement store: every imported statement kept (not only the completions), statements sent to
the LRS recorded too, deduplicated by statement id per customer."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from integrated_channels.integrated_channel.services.transmission import transmit_learner_data
from integrated_channels.xapi import paths, statements, verbs
from integrated_channels.xapi.models import XAPIStatement
from integrated_channels.xapi.services.statement_import import import_statements
from tests.factories import CourseFactory, LearnerFactory
from tests.integrated_channels.factories import completed_enrollment
from tests.integrated_channels.xapi.factories import DEFAULT_COLUMNS, import_from, lrs_config

pytestmark = pytest.mark.django_db

WITH_ID = {
    **DEFAULT_COLUMNS,
    "id": ("Id", paths.STRING),
    "timestamp": ("When", paths.DATE),
    "result.score.scaled": ("Score", paths.NUMBER),
}
ID_1, ID_2 = str(uuid.uuid4()), str(uuid.uuid4())


def test_every_imported_statement_is_stored_with_its_parts(sftp_server):
    config = import_from(sftp_server, mapping=WITH_ID)
    LearnerFactory(customer=config.customer, user__email="alice@example.com")
    course = CourseFactory()
    sftp_server.write(
        "import/xapi.csv",
        "Learner,Verb,Activity,Id,When,Score\n"
        f"alice@example.com,{verbs.COMPLETED},{course.course_id},{ID_1},2026-11-01T10:00:00Z,0.5\n"
        f"stranger@example.com,{verbs.ADL}experienced,https://video.example.com/1,{ID_2},2026-11-02,\n"
        f"alice@example.com,{verbs.ADL}experienced,https://video.example.com/1,not-a-uuid,2026-11-02,\n",
    )

    result = import_statements(configuration=config)

    stored = {str(row.statement_id): row for row in XAPIStatement.objects.filter(customer=config.customer)}
    assert set(stored) == {ID_1, ID_2}  # the unknown learner's and the unrecognised verb's too
    first = stored[ID_1]
    assert (first.actor, first.verb, first.object_id, first.source, first.run_id) == (
        "mailto:alice@example.com",
        verbs.COMPLETED,
        course.course_id,
        "imported",
        result.run.pk,
    )
    assert first.result == {"score": {"scaled": 0.5}} and first.timestamp.isoformat() == "2026-11-01T10:00:00+00:00"
    assert first.raw["id"] == ID_1 and first.raw["verb"]["id"] == verbs.COMPLETED
    assert [error.message for error in result.errors if "not-a-uuid" in error.message] == [
        "line 4, column 'Id' (id): 'not-a-uuid' is not a UUID (a statement id is one)"
    ]


def test_importing_the_same_statements_again_adds_nothing_and_ids_are_per_customer(sftp_server):
    text = f"Learner,Verb,Activity\nalice@example.com,{verbs.ADL}experienced,https://video.example.com/1\n"
    config = import_from(sftp_server)
    other = import_from(sftp_server, name="Other customer's")
    for configuration in (config, config, other):
        sftp_server.write("import/xapi.csv", text)
        import_statements(configuration=configuration)

    assert XAPIStatement.objects.filter(customer=config.customer).count() == 1
    assert XAPIStatement.objects.filter(customer=other.customer).count() == 1
    # No id in the file: the id is a UUID5 of the content, the same for the same statement.
    assert len(set(XAPIStatement.objects.values_list("statement_id", flat=True))) == 1


def test_store_keeps_the_first_statement_of_an_id_in_one_query_per_thousand(django_assert_max_num_queries):
    customer = LearnerFactory().customer
    given = [
        {"id": str(uuid.UUID(int=index)), "actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "v"}}
        for index in range(1500)
    ]

    # PostgreSQL: 1,000 per INSERT; SQLite's variable limit cuts the batches smaller.
    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 20):
        statements.store(customer.pk, given, source="imported")
    changed = {**given[0], "verb": {"id": "changed"}}
    statements.store(customer.pk, [changed], source="sent")

    assert XAPIStatement.objects.filter(customer=customer).count() == 1500
    assert XAPIStatement.objects.get(statement_id=uuid.UUID(int=0)).verb == "v"


def test_statements_the_lrs_accepted_are_recorded(lrs):
    config = lrs_config(lrs)
    completed_enrollment(config.customer)

    run = transmit_learner_data(configuration=config)

    sent = {statement["id"] for statement in lrs.statements()}
    stored = XAPIStatement.objects.filter(customer=config.customer)
    assert run.status == "completed" and {str(row.statement_id) for row in stored} == sent
    assert {row.source for row in stored} == {"sent"} and {row.run_id for row in stored} == {run.run_id}
    transmit_learner_data(configuration=config)  # nothing new: nothing added
    assert XAPIStatement.objects.filter(customer=config.customer).count() == len(sent)
