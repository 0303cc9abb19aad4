"""Provider courses in the catalog and provider progress as completions (issue 18 items 1 and 2)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from enterprise.lms import get_catalog, get_completion_backend
from enterprise.lms.completion import completions_for
from enterprise.lms.content import progress as content_progress
from enterprise.lms.content import services
from enterprise.lms.content.models import Catalog, CatalogCourse, CourseTag, ProviderCourse, ProviderProgress
from enterprise.lms.content.services import CourseRecord, ProgressRecord
from enterprise.lms.local.models import Certificate, Course, Grade, LmsEnrollment
from enterprise.models import EnterpriseCourseEnrollment
from tests.factories import CourseFactory, CustomerFactory, LearnerFactory

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.UTC)


def record(n: int, **fields) -> CourseRecord:
    values = {
        "provider_id": f"urn:li:lyndaCourse:{n}",
        "title": f"Course {n}",
        "description": f"About {n}",
        "language": "en",
        "library": "Lynda",
        "duration_seconds": 5400,
        "launch_url": f"https://www.linkedin.com/learning/course-{n}",
        "tags": ("Python", "python", "Data"),
        "source": f"page 1, item {n}",
    }
    return CourseRecord(**(values | fields))


@pytest.fixture
def customer():
    return CustomerFactory(name="Acme")


def test_provider_courses_are_catalog_courses_with_their_provider_fields(customer):
    catalogs = services.catalogs_named(customer_id=customer.pk, names=["Tech", "tech", " Data "])
    assert [catalog.name for catalog in catalogs] == ["Data", "Tech"]
    result = services.import_courses(
        provider="linkedin",
        customer_id=customer.pk,
        records=[record(1), record(2)],
        catalogs=catalogs,
        custom_tags=["Onboarding", " "],
        now=NOW,
    )
    assert (result.created, result.updated, result.unchanged, result.errors) == (2, 0, 0, [])
    course = get_catalog().get_course("linkedin:urn:li:lyndaCourse:1")
    assert course.title == "Course 1"
    assert course.self_paced and course.modes == ("audit",)
    assert course.effort_hours == Decimal("1.50")
    assert (course.provider, course.provider_id, course.language, course.library) == (
        "linkedin",
        "urn:li:lyndaCourse:1",
        "en",
        "Lynda",
    )
    assert course.launch_url == "https://www.linkedin.com/learning/course-1"
    assert course.tags == ("Data", "Python")  # the provider's: custom tags are the customer's own
    assert services.tags_of(customer_id=customer.pk, course_ids=[course.course_id]) == {
        course.course_id: ["Data", "Onboarding", "Python"]
    }
    assert services.tags_of(customer_id=CustomerFactory().pk, course_ids=[course.course_id]) == {
        course.course_id: ["Data", "Python"]
    }
    assert not course.retired
    assert {c.course_id for c in get_catalog().search_courses("Course")} == {
        "linkedin:urn:li:lyndaCourse:1",
        "linkedin:urn:li:lyndaCourse:2",
    }
    assert CatalogCourse.objects.count() == 4
    # The LMS's own courses are unchanged by it
    CourseFactory(course_id="course-v1:Org+X+1", title="Own course")
    own = get_catalog().get_course("course-v1:Org+X+1")
    assert own.provider == "" and own.tags == ()


def test_reimport_changes_only_what_changed_and_never_deletes(customer):
    catalog = services.catalogs_named(customer_id=customer.pk, names=["Tech"])
    services.import_courses(
        provider="linkedin", customer_id=customer.pk, records=[record(1), record(2)], catalogs=catalog, now=NOW
    )
    modified = Course.objects.get(course_id="linkedin:urn:li:lyndaCourse:2").modified
    later = NOW + datetime.timedelta(days=1)
    result = services.import_courses(
        provider="linkedin",
        customer_id=customer.pk,
        records=[record(1, title="Course one", tags=("AI",)), record(2), record(3, retired=True)],
        catalogs=catalog,
        now=later,
    )
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert get_catalog().get_course("linkedin:urn:li:lyndaCourse:1").tags == ("AI",)
    assert Course.objects.get(course_id="linkedin:urn:li:lyndaCourse:2").modified == modified
    assert ProviderCourse.objects.get(provider_id="urn:li:lyndaCourse:2").last_seen == later
    retired = get_catalog().get_course("linkedin:urn:li:lyndaCourse:3")
    assert retired.retired
    assert "linkedin:urn:li:lyndaCourse:3" not in {c.course_id for c in get_catalog().search_courses("Course")}
    # A full listing without course 2 retires it, keeps the row
    result = services.import_courses(
        provider="linkedin",
        customer_id=customer.pk,
        records=[record(1, title="Course one", tags=("AI",))],
        catalogs=catalog,
        retire_missing=True,
        now=later + datetime.timedelta(days=1),
    )
    assert result.retired == 1
    assert ProviderCourse.objects.get(provider_id="urn:li:lyndaCourse:2").retired
    assert Course.objects.filter(course_id="linkedin:urn:li:lyndaCourse:2").exists()


def test_bad_records_fail_alone_with_their_source(customer):
    result = services.import_courses(
        provider="hmm",
        customer_id=customer.pk,
        records=[
            record(1, provider_id="ok-1"),
            record(2, provider_id="bad id/with slash"),
            record(3, provider_id="ok-3", title=" "),
            record(4, provider_id="ok-4", launch_url="javascript:alert(1)"),
        ],
        now=NOW,
    )
    assert result.created == 1
    assert [(error.source, error.message) for error in result.errors] == [
        ("page 1, item 2", "the provider id 'bad id/with slash' holds characters a course id cannot"),
        ("page 1, item 3", "no title"),
        ("page 1, item 4", "the launch URL 'javascript:alert(1)' is not an http(s) URL"),
    ]


def test_course_import_query_count_does_not_grow_with_rows(customer, django_assert_max_num_queries):
    catalogs = services.catalogs_named(customer_id=customer.pk, names=["A", "B"])
    # A bounded number of statements per chunk (SQLite splits an INSERT at its parameter limit): 300 rows, ≤ 24
    with django_assert_max_num_queries(24):
        services.import_courses(
            provider="linkedin",
            customer_id=customer.pk,
            records=[record(n) for n in range(300)],
            catalogs=catalogs,
            custom_tags=["x"],
            now=NOW,
        )
    assert ProviderCourse.objects.count() == 300
    assert CourseTag.objects.filter(customer=customer).count() == 300
    with django_assert_max_num_queries(8):  # no-change rerun: read, touch last_seen, catalog and tag inserts
        result = services.import_courses(
            provider="linkedin",
            customer_id=customer.pk,
            records=[record(n) for n in range(300)],
            catalogs=catalogs,
            custom_tags=["x"],
            now=NOW,
        )
    assert result.unchanged == 300


def test_database_refuses_a_provider_course_twice(customer):
    services.import_courses(provider="linkedin", customer_id=customer.pk, records=[record(1)], now=NOW)
    other = CourseFactory(course_id="other-course")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderCourse.objects.create(
            course=other, provider="linkedin", provider_id="urn:li:lyndaCourse:1", first_seen=NOW, last_seen=NOW
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Catalog.objects.create(customer=customer, name="X")
        Catalog.objects.create(customer=customer, name="x")


def test_hidden_catalog_hides_its_courses_from_the_pickers(customer):
    catalog = services.catalogs_named(customer_id=customer.pk, names=["Tech"])
    services.import_courses(
        provider="linkedin", customer_id=customer.pk, records=[record(1)], catalogs=catalog, now=NOW
    )
    Catalog.objects.update(hidden=True)
    assert get_catalog().search_courses("Course") == []
    assert get_catalog().get_course("linkedin:urn:li:lyndaCourse:1").title == "Course 1"


# Progress -------------------------------------------------------------------------------------------------


@pytest.fixture
def imported(customer):
    services.import_courses(provider="linkedin", customer_id=customer.pk, records=[record(1), record(2)], now=NOW)
    return [LearnerFactory(customer=customer, user__email=f"Learner{n}@Example.com") for n in range(3)]


def test_progress_becomes_completions_the_channels_read(customer, imported):
    done = NOW - datetime.timedelta(days=2)
    result = content_progress.import_progress(
        provider="linkedin",
        customer_id=customer.pk,
        records=[
            ProgressRecord("learner0@example.com", "urn:li:lyndaCourse:1", done, done, 3600, Decimal(1), done, "l2"),
            ProgressRecord(
                "LEARNER1@example.com", "urn:li:lyndaCourse:1", done, done, None, Decimal("0.4"), None, "l3"
            ),
            ProgressRecord("nobody@example.com", "urn:li:lyndaCourse:1", source="l4"),
            ProgressRecord("learner2@example.com", "urn:li:lyndaCourse:99", source="l5"),
            ProgressRecord("learner2@example.com", "urn:li:lyndaCourse:2", percent=Decimal("1.5"), source="l6"),
        ],
        now=NOW,
    )
    assert (result.changed, result.unchanged, result.completions_written) == (2, 0, 1)  # the completion's rows
    assert [(error.source, error.message) for error in result.errors] == [
        ("l4", "nobody@example.com is not a linked learner"),
        ("l5", "unknown linkedin course 'urn:li:lyndaCourse:99'"),
        ("l6", "percent 1.5 is not between 0 and 100"),
    ]
    first, second = imported[0].user_id, imported[1].user_id
    progress = ProviderProgress.objects.get(user_id=first)
    assert (progress.time_spent_seconds, progress.completed_at) == (3600, done)
    assert ProviderProgress.objects.get(user_id=second).time_spent_seconds is None
    course_id = "linkedin:urn:li:lyndaCourse:1"
    completions = completions_for(
        [(first, course_id), (second, course_id)],
        courses=get_catalog().get_courses([course_id]),
        backend=get_completion_backend(),
        now=NOW,
    )
    assert completions[(first, course_id)].complete
    assert completions[(first, course_id)].completed_at == done
    assert not completions[(second, course_id)].complete
    assert completions[(second, course_id)].grade == "In Progress"
    # the course in progress has no grade row: the completion interface reads its percent from the progress row,
    # and lists it among the changes the channels send (decision 0560)
    assert Certificate.objects.count() == 1 and Grade.objects.count() == 1
    backend = get_completion_backend()
    grades = backend.get_grades([(first, course_id), (second, course_id), (second, "linkedin:urn:li:lyndaCourse:2")])
    assert grades == {
        (first, course_id): (first, course_id, Decimal(1), done),
        (second, course_id): (second, course_id, Decimal("0.4"), None),
    }
    assert {(first, course_id), (second, course_id)} <= backend.changed_since(since=NOW, now=NOW)


def test_progress_rerun_writes_nothing(customer, imported, django_assert_max_num_queries):
    rows = [
        ProgressRecord(f"learner{n % 3}@example.com", f"urn:li:lyndaCourse:{1 + n % 2}", percent=Decimal("0.5"))
        for n in range(6)
    ]
    content_progress.import_progress(provider="linkedin", customer_id=customer.pk, records=rows, now=NOW)
    grades = dict(Grade.objects.values_list("pk", "modified"))
    # learners, courses, savepoint, staging table (create if missing, empty, fill), the SQL comparison, release
    with django_assert_max_num_queries(8):
        result = content_progress.import_progress(provider="linkedin", customer_id=customer.pk, records=rows, now=NOW)
    assert (result.changed, result.unchanged) == (0, 6)
    assert dict(Grade.objects.values_list("pk", "modified")) == grades


def test_progress_import_query_count_does_not_grow_with_rows(customer, django_assert_max_num_queries):
    services.import_courses(
        provider="hmm", customer_id=customer.pk, records=[record(n, provider_id=f"c{n}") for n in range(20)], now=NOW
    )
    learners = LearnerFactory.create_batch(30, customer=customer)
    rows = [
        ProgressRecord(learner.user.email, f"c{n}", percent=Decimal(1), completed_at=NOW)
        for learner in learners
        for n in range(20)
    ]
    # 600 rows, 600 enrollments made; SQLite splits the INSERTs at its parameter limit
    with django_assert_max_num_queries(45):
        result = content_progress.import_progress(provider="hmm", customer_id=customer.pk, records=rows, now=NOW)
    assert result.changed == 600 and Certificate.objects.count() == 600


def _progress_rows(learners, course_count, *, completed=True):
    return [
        ProgressRecord(
            learner.user.email,
            f"c{n}",
            first_activity=NOW - datetime.timedelta(days=3),
            last_activity=NOW - datetime.timedelta(days=1),
            time_spent_seconds=600,
            percent=Decimal(1) if completed else Decimal("0.25"),
            completed_at=NOW - datetime.timedelta(days=1) if completed else None,
        )
        for learner in learners
        for n in range(course_count)
    ]


def test_progress_chunk_takes_the_same_statements_whatever_its_size(customer, django_assert_num_queries):
    """First imports (everything new: progress, grades, certificates, enrollments) of 20 and of 200 rows."""
    services.import_courses(
        provider="hmm", customer_id=customer.pk, records=[record(n, provider_id=f"c{n}") for n in range(20)], now=NOW
    )
    small, large = LearnerFactory.create_batch(1, customer=customer), LearnerFactory.create_batch(10, customer=customer)
    counts = []
    for learners in (small, large):
        rows = _progress_rows(learners, 20)
        with CaptureQueriesContext(connection) as captured:
            result = content_progress.import_progress(provider="hmm", customer_id=customer.pk, records=rows, now=NOW)
        assert (result.changed, result.enrolled, result.completions_written) == (len(rows),) * 3
        counts.append(len(captured))
    if connection.vendor == "postgresql":
        # learners, courses, savepoint, staging table (create if missing, empty; the COPY is not a query),
        # progress upsert marking the unchanged rows, grades, certificates, both enrollments in one statement, release
        assert counts == [10, 10]
    else:  # the new pairs' LMS enrollments through enroll_many, whose bulk INSERT SQLite splits at 999 parameters
        assert counts[0] <= counts[1] <= 22, counts
    assert Certificate.objects.count() == 220 and Grade.objects.count() == 220  # completions: a grade each
    assert LmsEnrollment.objects.filter(mode="audit", is_active=True).count() == 220
    assert EnterpriseCourseEnrollment.objects.filter(source="import", mode="audit").count() == 220


def test_progress_after_a_completion_never_takes_the_pass_back(customer):
    services.import_courses(provider="hmm", customer_id=customer.pk, records=[record(0, provider_id="c0")], now=NOW)
    learners = LearnerFactory.create_batch(2, customer=customer)
    content_progress.import_progress(
        provider="hmm", customer_id=customer.pk, records=_progress_rows(learners[:1], 1), now=NOW
    )
    grade = Grade.objects.get()
    assert (grade.percent, grade.passed_at) == (Decimal(1), NOW - datetime.timedelta(days=1))

    later = NOW + datetime.timedelta(hours=1)
    result = content_progress.import_progress(
        provider="hmm", customer_id=customer.pk, records=_progress_rows(learners, 1, completed=False), now=later
    )

    assert (result.changed, result.completions_written, result.enrolled) == (2, 0, 1)  # no grade row written
    kept = Grade.objects.get(user=learners[0].user)
    assert (kept.percent, kept.passed_at, kept.modified) == (grade.percent, grade.passed_at, grade.modified)
    assert Certificate.objects.get().user_id == learners[0].user_id
    assert not Grade.objects.filter(user=learners[1].user).exists()  # in progress: read from its progress (0560)
    backend = get_completion_backend()
    key = (learners[1].user_id, "hmm:c0")
    assert backend.get_grades([key, (learners[0].user_id, "hmm:c0")]) == {
        key: (*key, Decimal("0.25"), None),
        (learners[0].user_id, "hmm:c0"): (learners[0].user_id, "hmm:c0", Decimal(1), grade.passed_at),
    }
    assert ProviderProgress.objects.get(user=learners[0].user).percent == Decimal("0.25")  # as last reported


def test_progress_in_progress_without_a_percent_keeps_the_last_one_reported(customer):
    """A record that reports no percent keeps the stored one, as a grade kept it (``record_completions``); one that
    never reported any reads as 0 through the completion interface (decision 0560)."""
    services.import_courses(provider="hmm", customer_id=customer.pk, records=[record(0, provider_id="c0")], now=NOW)
    learners = LearnerFactory.create_batch(2, customer=customer)
    content_progress.import_progress(
        provider="hmm", customer_id=customer.pk, records=_progress_rows(learners[:1], 1, completed=False), now=NOW
    )
    later = NOW + datetime.timedelta(hours=1)
    rows = [
        ProgressRecord(learner.user.email, "c0", last_activity=later, percent=None, source=str(n))
        for n, learner in enumerate(learners)
    ]
    result = content_progress.import_progress(provider="hmm", customer_id=customer.pk, records=rows, now=later)
    assert (result.changed, result.completions_written) == (2, 0)
    assert ProviderProgress.objects.get(user=learners[0].user).percent == Decimal("0.25")
    assert ProviderProgress.objects.get(user=learners[1].user).percent is None
    keys = [(learner.user_id, "hmm:c0") for learner in learners]
    grades = get_completion_backend().get_grades(keys)
    assert [(grades[key].percent, grades[key].passed) for key in keys] == [
        (Decimal("0.25"), False),
        (Decimal(0), False),
    ]
    again = content_progress.import_progress(provider="hmm", customer_id=customer.pk, records=rows, now=later)
    assert (again.changed, again.unchanged) == (0, 2)


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://www.linkedin.com/learning/course-1?u=2#t", True),
        ("http://hmm.example.com:8443/c/1", True),
        ("https://[2001:db8::1]/course", True),  # not the plain form: Django's validator decides
        ("https://xn--bcher-kva.example/kurs", True),
        ("https://bad host.example.com/x", False),
        ("ftp://files.example.com/c", False),
        ("https://-bad.example.com/", False),
        ("javascript:alert(1)", False),
    ],
)
def test_launch_urls_are_checked_as_django_checks_them(url, accepted):
    problem = services._check_course("linkedin", record(1, launch_url=url))
    assert (problem == "") is accepted, problem


def test_progress_finds_learners_through_the_user_tables_email_index(customer):
    """The learners of a chunk are looked up as the index of the user table is built (decision 0110: UPPER(email)
    on PostgreSQL), whatever the case of the addresses in the records (decision 0455)."""
    services.import_courses(provider="hmm", customer_id=customer.pk, records=[record(0, provider_id="c0")], now=NOW)
    learner = LearnerFactory(customer=customer, user__email="Mixed.Case@Example.com")
    rows = [ProgressRecord(" MIXED.case@example.COM ", "c0", percent=Decimal("0.5"))]
    with CaptureQueriesContext(connection) as captured:
        result = content_progress.import_progress(provider="hmm", customer_id=customer.pk, records=rows, now=NOW)
    assert (result.changed, result.errors) == (1, [])
    assert ProviderProgress.objects.get().user_id == learner.user_id
    if connection.vendor != "postgresql":
        return
    (lookup,) = [query["sql"] for query in captured.captured_queries if "UPPER(" in query["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make an index the plan's only way
        cursor.execute("EXPLAIN " + lookup)
        plan = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
    assert "hostdb_user_email_ci" in plan or "hostdb_user_email_trgm" in plan, plan


def _plain_indexes(model) -> list[list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [info["columns"] for info in constraints.values() if info["index"] and not info["unique"]]


def test_tables_a_progress_import_writes_carry_no_covered_index():
    """The enterprise enrollment is found by learner through its unique (learner, course_id) (decision 0561); provider
    progress is read by ``modified`` for the channels (decision 0560)."""
    enrollment = _plain_indexes(EnterpriseCourseEnrollment)
    assert ["learner_id"] not in enrollment and ["course_id"] in enrollment
    assert ["modified"] in _plain_indexes(ProviderProgress)


def _plain_or_upsert_import(customer):
    """Two learners in two courses: a completion new to both tables, progress of a pair stored before (changed), one
    stored and unchanged, and a pair with an inactive LMS enrollment of its own and no enterprise enrollment."""
    services.import_courses(
        provider="hmm", customer_id=customer.pk, records=[record(n, provider_id=f"c{n}") for n in range(2)], now=NOW
    )
    learners = LearnerFactory.create_batch(2, customer=customer)
    first = [
        ProgressRecord(learners[0].user.email, "c0", last_activity=NOW, percent=Decimal("0.25")),
        ProgressRecord(learners[0].user.email, "c1", last_activity=NOW, percent=Decimal("0.5")),
    ]
    content_progress.import_progress(provider="hmm", customer_id=customer.pk, records=first, now=NOW)
    course = Course.objects.get(course_id="hmm:c1")
    LmsEnrollment.objects.create(user=learners[1].user, course=course, mode="verified", is_active=False)
    later = NOW + datetime.timedelta(hours=1)
    rows = [
        ProgressRecord(learners[0].user.email, "c0", last_activity=later, percent=Decimal(1), completed_at=later),
        ProgressRecord(learners[0].user.email, "c1", last_activity=NOW, percent=Decimal("0.5")),  # as stored
        ProgressRecord(learners[1].user.email, "c0", last_activity=later, percent=Decimal(1), completed_at=later),
        ProgressRecord(learners[1].user.email, "c1", last_activity=later, percent=Decimal("0.75")),
    ]
    result = content_progress.import_progress(provider="hmm", customer_id=customer.pk, records=rows, now=later)
    stored = sorted(
        ProviderProgress.objects.values_list("user_id", "course__provider_id", "percent", "completed_at", "modified")
    )
    enrolled = sorted(LmsEnrollment.objects.values_list("user_id", "course__course_id", "mode", "is_active"))
    ece = sorted(EnterpriseCourseEnrollment.objects.values_list("learner_id", "course_id", "source"))
    completions = sorted(Certificate.objects.values_list("user_id", "course__course_id", "issued_at"))
    counts = (result.changed, result.unchanged, result.enrolled, result.completions_written, result.errors)
    u0, u1 = (learner.user_id for learner in learners)
    assert counts == (3, 1, 2, 2, [])  # two completions (a grade and a certificate each, counted by pair)
    assert stored == [
        (u0, "c0", Decimal(1), later, later),
        (u0, "c1", Decimal("0.5"), None, NOW),
        (u1, "c0", Decimal(1), later, later),
        (u1, "c1", Decimal("0.75"), None, later),
    ]
    assert enrolled == [
        (u0, "hmm:c0", "audit", True),
        (u0, "hmm:c1", "audit", True),
        (u1, "hmm:c0", "audit", True),
        (u1, "hmm:c1", "audit", True),  # the inactive enrollment taken up again, in the provider's mode
    ]
    assert [(course, source) for _learner, course, source in ece] == [("hmm:c0", "import"), ("hmm:c1", "import")] * 2
    return counts, stored, enrolled, ece, completions


def test_progress_new_pairs_go_in_plainly_and_stored_ones_by_upsert(customer):
    """PostgreSQL: the pairs not stored yet are inserted without ``ON CONFLICT`` (decision 0580); both kinds in one
    chunk give what the upserts gave."""
    with CaptureQueriesContext(connection) as captured:
        _plain_or_upsert_import(customer)
    if connection.vendor != "postgresql":
        return
    statements = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("WITH present AS")]
    assert len(statements) == 2  # the two imports' progress statements
    for progress in statements:
        new = progress.split("new AS (", 1)[1].split("), up AS (", 1)[0]
        assert new.startswith('INSERT INTO "lms_content_providerprogress"') and "ON CONFLICT" not in new


def test_a_unique_violation_from_a_concurrent_import_rewrites_the_chunk_by_upserts(customer, monkeypatch):
    """As if another import had written the stored pairs after this one probed for them: the plain INSERT fails, the
    chunk is written again (every row by upsert) with the same outcome."""
    if connection.vendor != "postgresql":
        pytest.skip("the plain INSERTs are PostgreSQL's")
    calls = []
    real = content_progress._write

    def probing_nothing(*args, **kwargs):
        calls.append(kwargs.get("plain_inserts", True))
        if kwargs.get("plain_inserts", True):
            with monkeypatch.context() as patch:
                patch.setattr(content_progress, "_present", lambda table, pairs: "false")
                return real(*args, **kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(content_progress, "_write", probing_nothing)
    _plain_or_upsert_import(customer)
    assert calls == [True, True, False]  # the first import, then the chunk with stored pairs: once more, by upserts
