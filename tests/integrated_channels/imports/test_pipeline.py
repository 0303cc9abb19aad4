"""The user-import pipeline: mapping, filters, custom fields, leavers, chunked bulk link."""

import pytest

from enterprise.models import EnterpriseCustomerUser, LearnerField, PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.imports.errors import ImportRefused
from integrated_channels.integrated_channel.imports.filters import parse_conditions
from integrated_channels.integrated_channel.imports.pipeline import run_user_import
from integrated_channels.integrated_channel.imports.sources import CsvFilesSource
from integrated_channels.integrated_channel.models import ImportedPerson, PendingLearnerAttributes, Run
from integrated_channels.integrated_channel.services import runs
from integrated_channels.sftp.operations import USER_IMPORT
from tests.factories import LearnerFactory, UserFactory
from tests.integrated_channels.sftp.factories import SFTPConfigurationFactory

pytestmark = pytest.mark.django_db

MAPPING = {"email": "Mail", "manager": "Boss", "department": "Dept"}


def csv_source(*lines: str) -> CsvFilesSource:
    return CsvFilesSource({"people.csv": ("Mail,Boss,Dept,Status\n" + "\n".join(lines) + "\n").encode()})


def run_import(config, source, **kwargs):
    run = runs.start_run(configuration=config, kind=USER_IMPORT, trigger=Run.Trigger.COMMAND)
    try:
        counts = run_user_import(config, source, run, **{"mapping": MAPPING, **kwargs})
    finally:
        runs.finish_run(run, status=Run.Status.COMPLETED)
    return counts, run


def pending_emails(customer):
    return sorted(PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True))


def test_conditions_select_the_rows_to_import():
    config = SFTPConfigurationFactory()
    source = csv_source(
        "a@example.com,,Sales,Active",
        "b@example.com,,Sales,Left",
        "c@example.com,,Ops,ACTIVE",
        "d@example.com,,Marketing,active",
    )
    conditions = parse_conditions(
        [
            {"column": "Status", "op": "eq", "value": "active"},
            {"column": "Dept", "op": "in", "value": ["sales", "ops"]},
        ]
    )
    counts, _run = run_import(config, source, conditions=conditions)
    assert (counts.rows, counts.imported, counts.filtered_out) == (4, 2, 2)
    assert pending_emails(config.customer) == ["a@example.com", "c@example.com"]

    other = SFTPConfigurationFactory()
    conditions = parse_conditions(
        [{"column": "Dept", "op": "ne", "value": "sales"}, {"column": "Dept", "op": "contains", "value": "ket"}]
    )
    run_import(other, source, conditions=conditions)
    assert pending_emails(other.customer) == ["d@example.com"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"column": "X"}, "Filter 1, op: unknown operator None"),
        ([{"op": "eq", "value": "x"}], "Filter 1, column: needs a column."),
        ([{"column": "X", "op": "in", "value": []}], "Filter 1, value: 'in' needs at least one value"),
        ([{"column": "X", "op": "contains", "value": " "}], "Filter 1, value: needs a text value"),
    ],
)
def test_bad_conditions_are_named(data, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=message):
        parse_conditions(data if isinstance(data, list) else [data])


def test_the_manager_hierarchy_is_followed_even_through_rows_the_conditions_leave_out():
    config = SFTPConfigurationFactory()
    source = csv_source(
        "lead@example.com,boss@example.com,A,Contractor",
        "dev@example.com,lead@example.com,A,Active",
        "other@example.com,ceo@example.com,A,Active",
    )
    counts, _run = run_import(
        config,
        source,
        managers=["Boss@example.com"],
        conditions=parse_conditions([{"column": "Status", "op": "eq", "value": "Active"}]),
    )
    assert pending_emails(config.customer) == ["dev@example.com"]
    assert counts.skip_reasons() == {"filtered_out": 1, "not_under_the_managers": 1}


def test_custom_fields_must_be_decided_then_imported_kept_or_cleared():
    config = SFTPConfigurationFactory()
    customer = config.customer
    LearnerField.objects.create(customer=customer, key="cost_center", label="Cost center", kind="imported")
    LearnerField.objects.create(customer=customer, key="tshirt", label="T-shirt size", kind="manual")
    learner = LearnerFactory(customer=customer, user__email="kim@example.com")
    learner.attributes = {"cost_center": "CC-old", "tshirt": "M"}
    learner.save()
    PendingLearnerAttributes.objects.create(customer=customer, email="new@example.com", attributes={"cost_center": "X"})
    source = CsvFilesSource({"a.csv": b"Mail,CC\nkim@example.com,CC-1\n"})

    with pytest.raises(ImportRefused, match=r"Mandatory attributes not mapped: cost_center, tshirt\."):
        run_import(config, source, mapping={"email": "Mail"})

    run_import(config, source, mapping={"email": "Mail", "cost_center": "CC", "tshirt": None})
    learner.refresh_from_db()
    assert learner.attributes == {"cost_center": "CC-1", "tshirt": "M"}  # the manual field is kept

    counts, _run = run_import(config, source, mapping={"email": "Mail", "cost_center": None, "tshirt": None})
    learner.refresh_from_db()
    assert counts.cleared == ["cost_center"]
    assert learner.attributes == {"tshirt": "M"}  # the imported field set to "do not import" is cleared
    assert PendingLearnerAttributes.objects.get(email="new@example.com").attributes == {}


def test_leavers_are_unlinked_only_when_asked_and_only_if_this_connection_imported_them():
    config = SFTPConfigurationFactory()
    customer = config.customer
    UserFactory(email="stay@example.com")
    UserFactory(email="leave@example.com")
    by_hand = LearnerFactory(customer=customer, user__email="manual@example.com")
    first = csv_source("stay@example.com,,A,", "leave@example.com,,A,", "gone-pending@example.com,,A,")
    run_import(config, first, unlink_leavers=True)
    assert ImportedPerson.objects.filter(configuration=config).count() == 3

    second = csv_source("stay@example.com,,A,")
    run_import(config, second)  # not asked: nobody leaves, nothing recorded
    assert EnterpriseCustomerUser.objects.filter(customer=customer, linked=True).count() == 3

    counts, _run = run_import(config, second, unlink_leavers=True)

    assert (counts.unlinked, counts.pending_removed) == (1, 1)
    linked = set(
        EnterpriseCustomerUser.objects.filter(customer=customer, linked=True).values_list("user__email", flat=True)
    )
    assert linked == {"stay@example.com", by_hand.user.email}
    assert pending_emails(customer) == []
    assert list(ImportedPerson.objects.values_list("email", flat=True)) == ["stay@example.com"]


def test_errors_name_where_and_duplicates_are_refused_everywhere():
    config = SFTPConfigurationFactory()
    source = csv_source("x@example.com,,A,", "bad,,A,", "y@example.com,Bob,A,", "X@example.com,,B,")
    counts, run = run_import(config, source)
    assert (counts.rows, counts.imported, counts.failed) == (4, 0, 4)
    twice = "user x@example.com appears several times (people.csv, row 2; people.csv, row 5); not imported."
    assert sorted(run.errors.values_list("message", flat=True)) == [
        f"people.csv, row 2: {twice}",
        "people.csv, row 3, column 'Mail': 'bad' is not an e-mail address (no @).",
        "people.csv, row 4, column 'Boss': 'Bob' is not an e-mail address "
        "(attribute 'manager' must map to a column of e-mails).",
        f"people.csv, row 5: {twice}",
    ]


@pytest.mark.parametrize("rows", [40, 400])
def test_queries_grow_with_chunks_not_rows(settings, rows, django_assert_max_num_queries):
    """Per chunk: users, links, pending, 2 savepoints, 2 inserts, 2 attribute writes, marks, live counts."""
    settings.ENTERPRISE = {"MANAGE_LEARNERS_CHUNK_SIZE": 100}
    config = SFTPConfigurationFactory()
    UserFactory.create_batch(rows // 2, email=factory_email())
    source = csv_source(*(f"p{i}@example.com,boss@example.com,D,A" for i in range(rows)))
    run = runs.start_run(configuration=config, kind=USER_IMPORT, trigger=Run.Trigger.COMMAND)
    live = runs.LiveCounts(run)
    chunks = -(-rows // 100)
    with django_assert_max_num_queries(4 + 12 * chunks):
        counts = run_user_import(config, source, run, mapping=MAPPING, unlink_leavers=True, live=live)
    assert counts.imported == rows


def factory_email():
    import factory

    return factory.Sequence(lambda n: f"P{n * 2}@Example.com")


def test_two_people_sharing_a_key_are_not_taken_for_one_person_found_twice(monkeypatch):
    """Keys are 64-bit hashes (decision 0191): a shared key is checked against the e-mails themselves."""
    from integrated_channels.integrated_channel.imports import filters, pipeline

    monkeypatch.setattr(
        pipeline, "key_of", lambda email: 7 if email in {"a@example.com", "b@example.com"} else hash(email)
    )
    monkeypatch.setattr(filters, "key_of", pipeline.key_of)
    config = SFTPConfigurationFactory()
    counts, _run = run_import(
        config, csv_source("a@example.com,,A,", "b@example.com,,A,", "c@example.com,,A,", "C@example.com,,A,")
    )
    assert (counts.imported, counts.failed) == (2, 2)
    assert pending_emails(config.customer) == ["a@example.com", "b@example.com"]


def test_the_hierarchy_keeps_managers_only_when_someone_reached_manages_them():
    from integrated_channels.integrated_channel.imports.filters import Hierarchy, key_of

    hierarchy = Hierarchy()
    for person, manager in [("b", "a"), ("c", "b"), ("a", "c"), ("x", "y"), ("d", "z")]:
        hierarchy.add(f"{person}@e.com", f"{manager}@e.com")
    assert hierarchy.under(["a@e.com", "z@e.com"]) == {key_of(f"{p}@e.com") for p in "abcd"}


def test_a_file_without_a_column_a_condition_reads_is_refused():
    config = SFTPConfigurationFactory()
    conditions = parse_conditions([{"column": "Country", "op": "eq", "value": "FR"}])
    with pytest.raises(
        ImportRefused, match=r"people.csv: column 'Country' \(used by the filter Country = fr\) is missing"
    ):
        run_import(config, csv_source("a@example.com,,A,"), conditions=conditions)
    assert pending_emails(config.customer) == []


def test_new_learners_get_their_attributes_in_the_insert_and_existing_ones_merge_them():
    """A first import writes each new learner once (no UPDATE after the INSERT); a linked one is merged."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    config = SFTPConfigurationFactory()
    customer = config.customer
    UserFactory(email="new@example.com")
    known = LearnerFactory(customer=customer, user__email="known@example.com")
    known.attributes = {"department": "Old", "kept": "yes"}
    known.save()
    with CaptureQueriesContext(connection) as queries:
        counts, _run = run_import(config, csv_source("new@example.com,boss@example.com,Sales,A"))
    assert counts.imported == 1
    fresh = EnterpriseCustomerUser.objects.get(customer=customer, user__email="new@example.com")
    assert fresh.attributes == {"manager": "boss@example.com", "department": "Sales"}
    assert not [q for q in queries if q["sql"].startswith('UPDATE "enterprise_enterprisecustomeruser"')]

    counts, _run = run_import(config, csv_source("known@example.com,boss@example.com,Ops,A"))
    known.refresh_from_db()
    assert known.attributes == {"department": "Ops", "kept": "yes", "manager": "boss@example.com"}
