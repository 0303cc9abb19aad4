"""The embedded LMS backends (enterprise.lms.local.backends), backend selection and its system check."""

import datetime
import uuid
from decimal import Decimal
from unittest import mock

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from enterprise import lms
from enterprise.checks import check_lms_backends
from enterprise.exceptions import CourseNotFound, InvalidCourseMode, ProgramNotFound
from enterprise.lms.interfaces import CatalogBackend, EnrollmentRequest, Skill
from enterprise.lms.local import models as local
from enterprise.lms.local.backends import LocalCatalog, LocalCompletions, LocalEnrollments
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    GradeFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UNKNOWN_COURSE = "course-v1:Nobody+Nothing+2000"


def enrollment(user, course):
    return local.LmsEnrollment.objects.get(user=user, course=course)


# LocalCatalog


def test_get_course_returns_the_course_with_sorted_modes():
    start = timezone.now() - datetime.timedelta(days=3)
    end = start + datetime.timedelta(days=60)
    row = CourseFactory(
        title="Data 101", pacing="self", start=start, end=end, description="Intro", modes=["verified", "audit", "honor"]
    )

    course = LocalCatalog().get_course(row.course_id)

    assert course.course_id == row.course_id
    assert course.title == "Data 101"
    assert course.self_paced is True
    assert (course.start, course.end) == (start, end)
    assert course.modes == ("audit", "honor", "verified")
    assert course.description == "Intro"
    assert course.effort_hours is None


def test_get_course_carries_the_effort_hours():
    row = CourseFactory(effort_hours=Decimal("12.50"))
    assert LocalCatalog().get_course(row.course_id).effort_hours == Decimal("12.50")


def test_negative_effort_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseFactory(effort_hours=Decimal("-1"))


def test_get_course_does_not_mix_modes_of_other_courses():
    row = CourseFactory(modes=["audit"])
    CourseFactory(modes=["professional"])

    assert LocalCatalog().get_course(row.course_id).modes == ("audit",)


def test_get_course_carries_its_skills_sorted_by_name_and_no_other_course_s():
    row = CourseFactory(skills=[("sql", "Intermediate"), "Python"])
    CourseFactory(skills=["Statistics"])

    course = LocalCatalog().get_course(row.course_id)

    assert course.skills == (Skill("Python"), Skill("sql", "Intermediate"))
    assert course.modes == ("audit", "verified")


def test_a_course_cannot_carry_a_skill_twice_whatever_the_case():
    row = CourseFactory(skills=["Python"])
    with pytest.raises(IntegrityError), transaction.atomic():
        local.CourseSkill.objects.create(course=row, name="PYTHON")
    with pytest.raises(IntegrityError), transaction.atomic():
        local.CourseSkill.objects.create(course=row, name="")


def test_get_course_raises_course_not_found_for_an_unknown_id():
    with pytest.raises(CourseNotFound) as excinfo:
        LocalCatalog().get_course(UNKNOWN_COURSE)

    assert UNKNOWN_COURSE in str(excinfo.value)
    assert excinfo.value.context["course_id"] == UNKNOWN_COURSE


def test_get_courses_returns_known_courses_keyed_by_id_in_two_queries(django_assert_max_num_queries):
    rows = CourseFactory.create_batch(10, skills=["Python", ("SQL", "Advanced")])
    wanted = [r.course_id for r in rows[:7]] + [UNKNOWN_COURSE]

    with django_assert_max_num_queries(2):
        courses = LocalCatalog().get_courses(wanted)

    assert set(courses) == {r.course_id for r in rows[:7]}
    assert all(c.modes == ("audit", "verified") for c in courses.values())
    assert all(c.skills == (Skill("Python"), Skill("SQL", "Advanced")) for c in courses.values())


def test_get_courses_of_nothing_is_empty():
    CourseFactory()

    assert LocalCatalog().get_courses([]) == {}


def test_get_program_lists_course_ids_by_position():
    first, second, third = CourseFactory.create_batch(3)
    program = ProgramFactory(title="Data science")
    # Inserted out of order: the position decides, not the insertion order.
    local.ProgramCourse.objects.create(program=program, course=third, position=3)
    local.ProgramCourse.objects.create(program=program, course=first, position=1)
    local.ProgramCourse.objects.create(program=program, course=second, position=2)

    found = LocalCatalog().get_program(str(program.program_id))

    assert found.program_id == str(program.program_id)
    assert found.title == "Data science"
    assert found.course_ids == (first.course_id, second.course_id, third.course_id)


def test_get_program_accepts_a_uuid_object():
    program = ProgramFactory(courses=[CourseFactory()])

    assert LocalCatalog().get_program(program.program_id).program_id == str(program.program_id)


def test_get_program_raises_program_not_found_for_an_unknown_uuid():
    ProgramFactory()
    missing = str(uuid.uuid4())

    with pytest.raises(ProgramNotFound) as excinfo:
        LocalCatalog().get_program(missing)

    assert missing in str(excinfo.value)


@pytest.mark.parametrize("program_id", ["not-a-uuid", "", "42"])
def test_get_program_raises_program_not_found_for_a_non_uuid_id(program_id):
    with pytest.raises(ProgramNotFound):
        LocalCatalog().get_program(program_id)


def test_search_courses_matches_the_course_id():
    wanted = CourseFactory(course_id="course-v1:Acme+Rockets+2027", title="Propulsion")
    CourseFactory(course_id="course-v1:Other+Boats+2027", title="Sailing")

    assert [c.course_id for c in LocalCatalog().search_courses("rockets")] == [wanted.course_id]


def test_search_courses_matches_the_title_case_insensitively():
    wanted = CourseFactory(title="Intro to Machine Learning")
    CourseFactory(title="Cooking")

    assert [c.course_id for c in LocalCatalog().search_courses("machine LEARNING")] == [wanted.course_id]


def test_search_courses_respects_the_limit_and_sorts_by_id():
    CourseFactory(course_id="course-v1:Org+B+1", title="Topic")
    CourseFactory(course_id="course-v1:Org+A+1", title="Topic")
    CourseFactory(course_id="course-v1:Org+C+1", title="Topic")

    found = LocalCatalog().search_courses("topic", limit=2)

    assert [c.course_id for c in found] == ["course-v1:Org+A+1", "course-v1:Org+B+1"]


def test_search_courses_without_match_is_empty():
    CourseFactory(title="Cooking")

    assert LocalCatalog().search_courses("quantum") == []


# LocalEnrollments


def test_enroll_many_creates_enrollments():
    course = CourseFactory()
    alice, bob = UserFactory.create_batch(2)

    result = LocalEnrollments().enroll_many(
        [
            EnrollmentRequest(alice.pk, course.course_id, "audit"),
            EnrollmentRequest(bob.pk, course.course_id, "verified"),
        ]
    )

    assert result.enrolled == {(alice.pk, course.course_id), (bob.pk, course.course_id)}
    assert not result.already_enrolled
    assert not result.failed
    assert enrollment(alice, course).mode == "audit"
    assert enrollment(bob, course).mode == "verified"
    assert enrollment(bob, course).is_active is True


def test_enroll_many_reactivates_an_inactive_enrollment():
    course = CourseFactory()
    user = UserFactory()
    row = local.LmsEnrollment.objects.create(user=user, course=course, mode="audit", is_active=False)
    before = row.modified

    result = LocalEnrollments().enroll_many([EnrollmentRequest(user.pk, course.course_id, "verified")])

    row.refresh_from_db()
    assert result.enrolled == {(user.pk, course.course_id)}
    assert (row.is_active, row.mode) == (True, "verified")
    assert row.modified > before
    assert local.LmsEnrollment.objects.count() == 1


def test_enroll_many_reports_already_enrolled_without_touching_the_row():
    course = CourseFactory()
    user = UserFactory()
    row = local.LmsEnrollment.objects.create(user=user, course=course, mode="audit")
    before = row.modified

    result = LocalEnrollments().enroll_many([EnrollmentRequest(user.pk, course.course_id, "audit")])

    row.refresh_from_db()
    assert result.already_enrolled == {(user.pk, course.course_id)}
    assert not result.enrolled
    assert row.modified == before


def test_enroll_many_changes_the_mode_of_an_active_enrollment():
    course = CourseFactory()
    user = UserFactory()
    local.LmsEnrollment.objects.create(user=user, course=course, mode="audit")

    result = LocalEnrollments().enroll_many([EnrollmentRequest(user.pk, course.course_id, "verified")])

    assert result.already_enrolled == {(user.pk, course.course_id)}
    assert enrollment(user, course).mode == "verified"


def test_enroll_many_reports_an_unknown_course_per_pair_and_applies_the_rest():
    course = CourseFactory()
    user = UserFactory()

    result = LocalEnrollments().enroll_many(
        [EnrollmentRequest(user.pk, UNKNOWN_COURSE, "audit"), EnrollmentRequest(user.pk, course.course_id, "audit")]
    )

    assert set(result.failed) == {(user.pk, UNKNOWN_COURSE)}
    assert isinstance(result.failed[(user.pk, UNKNOWN_COURSE)], CourseNotFound)
    assert result.enrolled == {(user.pk, course.course_id)}
    assert local.LmsEnrollment.objects.filter(user=user).count() == 1


def test_enroll_many_reports_an_unavailable_mode_with_the_available_modes():
    course = CourseFactory(modes=["verified", "audit"])
    user = UserFactory()

    result = LocalEnrollments().enroll_many([EnrollmentRequest(user.pk, course.course_id, "professional")])

    error = result.failed[(user.pk, course.course_id)]
    assert isinstance(error, InvalidCourseMode)
    assert error.available_modes == ["audit", "verified"]
    assert "professional" in str(error)
    assert "audit, verified" in str(error)
    assert not local.LmsEnrollment.objects.exists()


def test_enroll_many_with_nothing_does_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        result = LocalEnrollments().enroll_many([])

    assert (result.enrolled, result.already_enrolled, result.failed) == (set(), set(), {})


def test_enroll_raises_course_not_found_for_an_unknown_course():
    user = UserFactory()

    with pytest.raises(CourseNotFound):
        LocalEnrollments().enroll(user_ids=[user.pk], course_id=UNKNOWN_COURSE, mode="audit")


def test_enroll_raises_invalid_course_mode_listing_the_modes():
    course = CourseFactory(modes=["audit", "honor"])
    user = UserFactory()

    with pytest.raises(InvalidCourseMode) as excinfo:
        LocalEnrollments().enroll(user_ids=[user.pk], course_id=course.course_id, mode="verified")

    assert excinfo.value.available_modes == ["audit", "honor"]
    assert not local.LmsEnrollment.objects.exists()


def test_enroll_returns_the_result_when_valid():
    course = CourseFactory()
    users = UserFactory.create_batch(2)

    result = LocalEnrollments().enroll(user_ids=[u.pk for u in users], course_id=course.course_id, mode="audit")

    assert result.enrolled == {(u.pk, course.course_id) for u in users}


@pytest.mark.parametrize("existing", [0, 200])
def test_enroll_many_query_count_does_not_grow_with_users(django_assert_max_num_queries, existing):
    course = CourseFactory()
    users = UserFactory.create_batch(200)
    if existing:
        # Half inactive (re-activated), half active in another mode (mode changed): both need updates.
        local.LmsEnrollment.objects.bulk_create(
            local.LmsEnrollment(user=u, course=course, mode="audit", is_active=i % 2 == 0)
            for i, u in enumerate(users[:existing])
        )
    requests = [EnrollmentRequest(u.pk, course.course_id, "verified") for u in users]
    requests.append(EnrollmentRequest(users[0].pk, UNKNOWN_COURSE, "verified"))

    with django_assert_max_num_queries(8):
        result = LocalEnrollments().enroll_many(requests)

    assert len(result.enrolled) + len(result.already_enrolled) == 200
    assert len(result.failed) == 1
    assert local.LmsEnrollment.objects.filter(course=course, mode="verified", is_active=True).count() == 200


def test_unenroll_deactivates_and_counts_only_active_enrollments():
    course, other_course = CourseFactory.create_batch(2)
    active, inactive, untouched = UserFactory.create_batch(3)
    before = local.LmsEnrollment.objects.create(user=active, course=course, mode="audit").modified
    local.LmsEnrollment.objects.create(user=inactive, course=course, mode="audit", is_active=False)
    local.LmsEnrollment.objects.create(user=untouched, course=course, mode="audit")
    local.LmsEnrollment.objects.create(user=active, course=other_course, mode="audit")

    count = LocalEnrollments().unenroll(user_ids=[active.pk, inactive.pk], course_id=course.course_id)

    assert count == 1
    assert enrollment(active, course).is_active is False
    assert enrollment(active, course).modified > before
    assert enrollment(untouched, course).is_active is True
    assert enrollment(active, other_course).is_active is True


def test_unenroll_of_an_unknown_course_counts_zero():
    user = UserFactory()

    assert LocalEnrollments().unenroll(user_ids=[user.pk], course_id=UNKNOWN_COURSE) == 0


def test_list_enrollments_returns_only_active_enrollments_of_the_user():
    # Explicit ids: the list is ordered by course id, and factory ids like C9 / C10 sort as text.
    first, second, dropped = (CourseFactory(course_id=f"course-v1:Org+List{n}+2027") for n in (1, 2, 3))
    user, other = UserFactory.create_batch(2)
    local.LmsEnrollment.objects.create(user=user, course=second, mode="verified")
    local.LmsEnrollment.objects.create(user=user, course=first, mode="audit")
    local.LmsEnrollment.objects.create(user=user, course=dropped, mode="audit", is_active=False)
    local.LmsEnrollment.objects.create(user=other, course=first, mode="audit")

    found = LocalEnrollments().list_enrollments(user_id=user.pk)

    assert [(e.user_id, e.course_id, e.mode, e.is_active) for e in found] == [
        (user.pk, first.course_id, "audit", True),
        (user.pk, second.course_id, "verified", True),
    ]


# LocalCompletions


def test_get_certificates_are_keyed_by_user_and_course_id():
    course = CourseFactory()
    user = UserFactory()
    issued = timezone.now() - datetime.timedelta(days=2)
    CertificateFactory(user=user, course=course, grade="0.88", issued_at=issued)

    found = LocalCompletions().get_certificates([(user.pk, course.course_id)])

    cert = found[(user.pk, course.course_id)]
    assert (cert.user_id, cert.course_id, cert.grade, cert.issued_at) == (user.pk, course.course_id, "0.88", issued)


def test_get_grades_are_keyed_by_user_and_course_id():
    course = CourseFactory()
    passed, failing = UserFactory.create_batch(2)
    passed_at = timezone.now() - datetime.timedelta(days=1)
    GradeFactory(user=passed, course=course, percent=Decimal("0.81"), passed_at=passed_at)
    GradeFactory(user=failing, course=course, percent=Decimal("0.20"), passed_at=None)

    found = LocalCompletions().get_grades([(passed.pk, course.course_id), (failing.pk, course.course_id)])

    assert found[(passed.pk, course.course_id)].percent == Decimal("0.81")
    assert found[(passed.pk, course.course_id)].passed_at == passed_at
    assert found[(passed.pk, course.course_id)].passed is True
    assert found[(failing.pk, course.course_id)].passed is False


def test_get_certificates_leave_out_pairs_without_one():
    course = CourseFactory()
    with_cert, without = UserFactory.create_batch(2)
    CertificateFactory(user=with_cert, course=course)

    found = LocalCompletions().get_certificates([(with_cert.pk, course.course_id), (without.pk, course.course_id)])

    assert set(found) == {(with_cert.pk, course.course_id)}


def test_certificates_outside_the_requested_pairs_are_not_returned():
    course_a, course_b = CourseFactory.create_batch(2)
    alice, bob = UserFactory.create_batch(2)
    # All four pairs of the users x courses cross product hold a certificate.
    for user in (alice, bob):
        for course in (course_a, course_b):
            CertificateFactory(user=user, course=course)

    found = LocalCompletions().get_certificates([(alice.pk, course_a.course_id), (bob.pk, course_b.course_id)])

    assert set(found) == {(alice.pk, course_a.course_id), (bob.pk, course_b.course_id)}


def test_grades_outside_the_requested_pairs_are_not_returned():
    course_a, course_b = CourseFactory.create_batch(2)
    alice, bob = UserFactory.create_batch(2)
    for user in (alice, bob):
        for course in (course_a, course_b):
            GradeFactory(user=user, course=course)

    found = LocalCompletions().get_grades([(alice.pk, course_b.course_id), (bob.pk, course_a.course_id)])

    assert set(found) == {(alice.pk, course_b.course_id), (bob.pk, course_a.course_id)}


def test_get_certificates_and_grades_take_one_query_each(django_assert_num_queries):
    courses = CourseFactory.create_batch(3)
    users = UserFactory.create_batch(20)
    for user in users:
        CertificateFactory(user=user, course=courses[0])
        GradeFactory(user=user, course=courses[1])
    keys = [(u.pk, c.course_id) for u in users for c in courses]

    with django_assert_num_queries(2):
        certificates = LocalCompletions().get_certificates(keys)
        grades = LocalCompletions().get_grades(keys)

    assert len(certificates) == len(grades) == 20


def test_a_chunk_of_learners_is_looked_up_as_a_semi_join_on_postgresql():
    """Thousands of learners' ids as ``= ANY(array)`` made PostgreSQL scan the whole certificate table for each
    report chunk; as ``IN (SELECT unnest(array))`` it probes the (user, course) index. SQLite: an IN list."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    course = CourseFactory()
    users = UserFactory.create_batch(30)
    for user in users[::2]:
        CertificateFactory(user=user, course=course)
    keys = [(user.pk, course.course_id) for user in users]

    with CaptureQueriesContext(connection) as queries:
        found = LocalCompletions().get_certificates(keys)

    assert set(found) == {(user.pk, course.course_id) for user in users[::2]}
    (sql,) = [query["sql"] for query in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert '"user_id" IN (SELECT unnest(' in sql
    else:
        assert f'"user_id" IN ({", ".join(str(user.pk) for user in sorted(users, key=lambda u: u.pk))})' in sql


def test_get_certificates_and_grades_of_nothing_make_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert LocalCompletions().get_certificates([]) == {}
        assert LocalCompletions().get_grades([]) == {}


def test_single_pair_helpers_return_none_when_missing():
    course = CourseFactory()
    user = UserFactory()
    GradeFactory(user=user, course=course)

    backend = LocalCompletions()

    assert backend.get_certificate(user.pk, course.course_id) is None
    assert backend.get_grade(user.pk, course.course_id).user_id == user.pk


# Backend selection (settings.ENTERPRISE)


class FakeCatalog(CatalogBackend):
    def get_course(self, course_id):
        raise CourseNotFound(course_id=course_id)

    def get_courses(self, course_ids):
        return {}

    def get_program(self, program_id):
        raise ProgramNotFound(program_id=program_id)

    def search_courses(self, query, *, limit=20):
        return []


class OtherFakeCatalog(FakeCatalog):
    pass


FAKE_PATH = f"{__name__}.FakeCatalog"
OTHER_FAKE_PATH = f"{__name__}.OtherFakeCatalog"


def test_default_backends_are_the_local_ones():
    assert type(lms.get_catalog()) is LocalCatalog
    assert type(lms.get_enrollment_backend()) is LocalEnrollments
    assert type(lms.get_completion_backend()) is LocalCompletions


def test_get_catalog_follows_the_setting_and_passes_options(settings):
    settings.ENTERPRISE = {"CATALOG_BACKEND": FAKE_PATH}

    catalog = lms.get_catalog(api_user="staff")

    assert type(catalog) is FakeCatalog
    assert catalog.options == {"api_user": "staff"}
    assert type(lms.get_enrollment_backend()) is LocalEnrollments


def test_changing_the_setting_resets_the_cached_backend(settings):
    settings.ENTERPRISE = {"CATALOG_BACKEND": FAKE_PATH}
    assert type(lms.get_catalog()) is FakeCatalog

    settings.ENTERPRISE = {"CATALOG_BACKEND": OTHER_FAKE_PATH}
    assert type(lms.get_catalog()) is OtherFakeCatalog

    settings.ENTERPRISE = {}
    assert type(lms.get_catalog()) is LocalCatalog


def test_enrollment_and_completion_backends_follow_the_setting(settings):
    settings.ENTERPRISE = {"ENROLLMENT_BACKEND": FAKE_PATH, "COMPLETION_BACKEND": OTHER_FAKE_PATH}

    assert type(lms.get_enrollment_backend()) is FakeCatalog
    assert type(lms.get_completion_backend()) is OtherFakeCatalog


@pytest.mark.parametrize(
    "path", ["enterprise.lms.local.backends.NoSuchClass", "no_such_package.Backend", "not-a-dotted-path"]
)
def test_a_bad_dotted_path_is_improperly_configured(settings, path):
    settings.ENTERPRISE = {"CATALOG_BACKEND": path}

    with pytest.raises(ImproperlyConfigured, match="CATALOG_BACKEND"):
        lms.get_catalog()


def test_an_unknown_setting_name_is_improperly_configured(settings):
    settings.ENTERPRISE = {"CATALOG_BAKEND": FAKE_PATH}

    with pytest.raises(ImproperlyConfigured, match="CATALOG_BAKEND"):
        lms.get_catalog()


# System check


def local_app_missing():
    """Patch the app registry so that only ``enterprise.lms.local`` looks uninstalled."""
    real = apps.is_installed
    return mock.patch.object(
        apps, "is_installed", side_effect=lambda name: name != "enterprise.lms.local" and real(name)
    )


def test_check_reports_e002_when_the_local_backend_is_selected_but_not_installed():
    with local_app_missing():
        errors = check_lms_backends(None)

    assert [e.id for e in errors] == ["enterprise.E002"] * 3
    assert "CATALOG_BACKEND" in errors[0].msg
    assert "INSTALLED_APPS" in errors[0].msg


def test_check_is_silent_when_the_local_app_is_installed():
    assert check_lms_backends(None) == []


def test_check_ignores_a_non_local_backend_when_the_local_app_is_missing(settings):
    settings.ENTERPRISE = {"CATALOG_BACKEND": FAKE_PATH}
    with local_app_missing():
        errors = check_lms_backends(None)

    assert len(errors) == 2
    assert not any("CATALOG_BACKEND" in e.msg for e in errors)


def test_check_reports_e001_for_a_bad_dotted_path(settings):
    settings.ENTERPRISE = {"COMPLETION_BACKEND": "no_such_package.Backend"}

    errors = check_lms_backends(None)

    assert [e.id for e in errors] == ["enterprise.E001"]
    assert "COMPLETION_BACKEND" in errors[0].msg


@pytest.mark.parametrize("use_tz", [True, False])
def test_certificate_and_grade_dates_read_back_exactly(settings, use_tz):
    settings.USE_TZ = use_tz
    moment = datetime.datetime(2027, 3, 4, 5, 6, 7, 890123, tzinfo=datetime.UTC)
    if not use_tz:
        moment = moment.replace(tzinfo=None)
    certificate = CertificateFactory(issued_at=moment)
    grade = GradeFactory(passed_at=moment)
    failing = GradeFactory(passed_at=None)

    found = LocalCompletions().get_certificates({(certificate.user_id, certificate.course.course_id)})
    grades = LocalCompletions().get_grades(
        {(grade.user_id, grade.course.course_id), (failing.user_id, failing.course.course_id)}
    )

    assert found[(certificate.user_id, certificate.course.course_id)].issued_at == moment
    assert grades[(grade.user_id, grade.course.course_id)].passed_at == moment
    assert grades[(failing.user_id, failing.course.course_id)].passed_at is None


def test_lms_enrollments_carry_no_index_on_mode_alone():
    """Nothing selects enrollments by mode; a provider's progress import writes a million of them (decision 0526)."""
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, local.LmsEnrollment._meta.db_table)
    indexed = [info["columns"] for info in constraints.values() if info["index"] and not info["unique"]]
    assert ["mode"] not in indexed
    assert ["course_id"] in indexed and ["modified"] in indexed
