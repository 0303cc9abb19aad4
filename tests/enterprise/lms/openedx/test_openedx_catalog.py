"""The Open edX catalog backend against the fake course-discovery."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from enterprise import lms
from enterprise.exceptions import CourseNotFound, ProgramNotFound
from enterprise.lms.interfaces import INSTRUCTOR_PACED, SELF_PACED, Skill
from enterprise.lms.openedx.backends import OpenEdXCatalog

DAY = datetime.timedelta(days=1)

pytestmark = pytest.mark.django_db  # tokens are kept in the AccessToken table


@pytest.fixture
def catalog(openedx_conf):
    return OpenEdXCatalog()


def at_second(value):
    return value.replace(microsecond=0)


def test_get_course_maps_a_course_run(catalog, fake_openedx):
    start, end = at_second(timezone.now() - 10 * DAY), at_second(timezone.now() + 50 * DAY)
    fake_openedx.add_course_run(
        "course-v1:Acme+Data101+2027",
        title="Data 101",
        pacing="self_paced",
        start=start,
        end=end,
        modes=("verified", "audit", "professional"),
    )

    course = catalog.get_course("course-v1:Acme+Data101+2027")

    assert course.course_id == "course-v1:Acme+Data101+2027"
    assert course.title == "Data 101"
    assert course.pacing == SELF_PACED
    assert (course.start, course.end) == (start, end)
    assert course.modes == ("audit", "professional", "verified")
    assert course.description == "About Data 101"
    (call,) = fake_openedx.calls("discovery", "/api/v1/course_runs/")
    assert call.query["keys"] == "course-v1:Acme+Data101+2027"


def test_instructor_paced_runs_and_open_ended_runs(catalog, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+Ops+2027", pacing="instructor_paced", end=None)

    course = catalog.get_course("course-v1:Acme+Ops+2027")

    assert (course.pacing, course.end) == (INSTRUCTOR_PACED, None)


def test_effort_hours_are_weeks_times_the_weekly_effort(catalog, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+Long+2027", weeks_to_complete=6, max_effort=5)
    fake_openedx.add_course_run("course-v1:Acme+Unknown+2027")

    courses = catalog.get_courses(["course-v1:Acme+Long+2027", "course-v1:Acme+Unknown+2027"])

    assert courses["course-v1:Acme+Long+2027"].effort_hours == Decimal("30.00")
    assert courses["course-v1:Acme+Unknown+2027"].effort_hours is None


def test_get_course_raises_course_not_found(catalog, fake_openedx):
    with pytest.raises(CourseNotFound) as excinfo:
        catalog.get_course("course-v1:Nobody+Nothing+2000")
    assert excinfo.value.context["course_id"] == "course-v1:Nobody+Nothing+2000"


def test_get_courses_asks_for_keys_in_chunks_and_follows_pages(catalog, fake_openedx):
    keys = [f"course-v1:Org+C{n:03d}+2027" for n in range(60)]
    for key in keys:
        fake_openedx.add_course_run(key)

    courses = catalog.get_courses([*keys, "course-v1:Nobody+Nothing+2000"])

    assert set(courses) == set(keys)
    calls = fake_openedx.calls("discovery", "/api/v1/course_runs/")
    first_pages = [c for c in calls if "page" not in c.query]
    assert [len(c.query["keys"].split(",")) for c in first_pages] == [50, 11]
    # The unknown key sorts first: 49 known runs in pages of two, then the last 11.
    assert len(calls) == 25 + 6


def test_get_program_lists_the_current_run_of_each_course(catalog, fake_openedx):
    now = timezone.now()
    fake_openedx.add_course_run("course-v1:Acme+A+2025", start=now - 400 * DAY, end=now - 300 * DAY)
    fake_openedx.add_course_run("course-v1:Acme+A+2027", start=now - 10 * DAY, end=now + 80 * DAY)
    fake_openedx.add_course_run("course-v1:Acme+B+2024", start=now - 700 * DAY, end=now - 600 * DAY)
    fake_openedx.add_course_run("course-v1:Acme+C+2027", start=now + 10 * DAY, status="unpublished")
    program_uuid = uuid.uuid4()
    fake_openedx.add_program(program_uuid, "Data Science", ["Acme+A", "Acme+B", "Acme+C"])

    program = catalog.get_program(str(program_uuid))

    assert program.program_id == str(program_uuid)
    assert program.title == "Data Science"
    # A: the run not yet ended; B: only ended runs, the latest; C: no published run.
    assert program.course_ids == ("course-v1:Acme+A+2027", "course-v1:Acme+B+2024")


def test_get_program_raises_program_not_found(catalog, fake_openedx):
    with pytest.raises(ProgramNotFound):
        catalog.get_program(str(uuid.uuid4()))
    with pytest.raises(ProgramNotFound):
        catalog.get_program("not-a-uuid")
    assert len(fake_openedx.calls("discovery", "/api/v1/programs/")) == 1  # the bad id asked nothing


def test_search_courses_flattens_the_runs_of_matching_courses(catalog, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+Python+2026", title="Python", skill_names=["Python"])
    fake_openedx.add_course_run("course-v1:Acme+Python+2027", title="Python")
    fake_openedx.add_course_run("course-v1:Acme+Rust+2027", title="Rust")

    found = catalog.search_courses("python")

    assert [c.course_id for c in found] == ["course-v1:Acme+Python+2026", "course-v1:Acme+Python+2027"]
    assert [c.skills for c in found] == [(Skill("Python"),)] * 2
    assert fake_openedx.calls("discovery", "/api/v1/courses/")[0].query["q"] == "python*"
    assert len(catalog.search_courses("", limit=2)) == 2


def _programs(fake_openedx, *titles, status="active"):
    fake_openedx.add_course_run("course-v1:Acme+A+2027", title="A")
    uuids = [uuid.uuid4() for _ in titles]
    for program_uuid, title in zip(uuids, titles, strict=True):
        fake_openedx.add_program(program_uuid, title, ["Acme+A"], status=status)
    return [str(u) for u in uuids]


def test_search_programs_asks_discoverys_programs_search_for_active_programs_page_by_page(catalog, fake_openedx):
    fake_openedx.page_size = 2
    leading = _programs(fake_openedx, "Leadership Track", "Leading Teams", "Lean Leaders", "Mislead Data")
    _programs(fake_openedx, "Leadership Archive", status="retired")

    found = catalog.search_programs("lead")

    assert [(p.title, p.course_ids) for p in found] == [  # a word starting with "lead", active, by title
        ("Leadership Track", ("course-v1:Acme+A+2027",)),
        ("Leading Teams", ("course-v1:Acme+A+2027",)),
        ("Lean Leaders", ("course-v1:Acme+A+2027",)),
    ]
    assert {p.program_id for p in found} == set(leading[:3])
    first, second = fake_openedx.calls("discovery", "/api/v1/programs/")  # two pages of two
    assert (first.query["q"], first.query["status"], first.query["page_size"]) == ("lead*", "active", "20")
    assert (second.query["page"], second.status) == ("2", 200)


def test_search_programs_stops_at_the_limit_and_needs_every_word(catalog, fake_openedx):
    fake_openedx.page_size = 2
    _programs(fake_openedx, "Data One", "Data Two", "Data Three", "Data Four", "Big Data Science")

    assert len(catalog.search_programs("data", limit=3)) == 3
    assert len(fake_openedx.calls("discovery", "/api/v1/programs/")) == 2  # the third page is not read
    assert [p.title for p in catalog.search_programs("data sci")] == ["Big Data Science"]


def test_search_programs_escapes_the_query_string_syntax(catalog, fake_openedx):
    _programs(fake_openedx, "C++ (Advanced)")

    assert [p.title for p in catalog.search_programs("c++")] == ["C++ (Advanced)"]
    (call,) = fake_openedx.calls("discovery", "/api/v1/programs/")
    assert call.query["q"] == "c\\+\\+*"
    assert [p.title for p in catalog.search_programs("<c++> (advanced)")] == ["C++ (Advanced)"]  # < > dropped
    assert catalog.search_programs("   ") == catalog.search_programs("<>") == []
    assert len(fake_openedx.calls("discovery", "/api/v1/programs/")) == 2  # nothing left to search: no call


def test_search_programs_finds_a_uuid_by_its_start_or_whole(catalog, fake_openedx):
    (program_id,) = _programs(fake_openedx, "Leadership Track")

    assert [p.program_id for p in catalog.search_programs(program_id[:8])] == [program_id]
    assert [p.program_id for p in catalog.search_programs(program_id.upper())] == [program_id]
    assert fake_openedx.calls("discovery", f"/api/v1/programs/{program_id}/")  # a whole uuid is read directly
    assert catalog.search_programs(str(uuid.uuid4())) == []


def test_the_fake_refuses_an_unescaped_query_and_unknown_parameters(catalog, fake_openedx):
    from enterprise.lms.openedx.exceptions import OpenEdXHTTPError

    url = catalog.client.discovery("programs/")
    with pytest.raises(OpenEdXHTTPError) as unescaped:
        catalog.client.get_json(url, params={"q": "c++"})
    with pytest.raises(OpenEdXHTTPError) as unknown:
        catalog.client.get_json(url, params={"search": "lead"})
    assert (unescaped.value.status_code, unknown.value.status_code) == (400, 400)


def test_the_backend_is_chosen_by_the_enterprise_setting(settings, openedx_conf, fake_openedx):
    settings.ENTERPRISE = {"CATALOG_BACKEND": "enterprise.lms.openedx.backends.OpenEdXCatalog"}
    fake_openedx.add_course_run("course-v1:Acme+Ops+2027", title="Ops")

    catalog = lms.get_catalog(api_user="staff")

    assert catalog.get_course("course-v1:Acme+Ops+2027").title == "Ops"
    assert fake_openedx.calls("discovery")[0].username == "staff"


def test_courses_carry_the_skill_names_of_their_discovery_course(catalog, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+Data101+2027", skill_names=["SQL", "Python", "python "])
    fake_openedx.add_course_run("course-v1:Acme+Data101+2028")
    fake_openedx.add_course_run("course-v1:Acme+Ops+2027")

    courses = catalog.get_courses(
        ["course-v1:Acme+Data101+2027", "course-v1:Acme+Data101+2028", "course-v1:Acme+Ops+2027"]
    )

    # Skills belong to the course (Org+Number), so both runs of Data101 carry them; names only.
    expected = (Skill("Python"), Skill("SQL"))
    assert courses["course-v1:Acme+Data101+2027"].skills == expected
    assert courses["course-v1:Acme+Data101+2028"].skills == expected
    assert courses["course-v1:Acme+Ops+2027"].skills == ()
    (call,) = fake_openedx.calls("discovery", "/api/v1/courses/")
    assert call.query["keys"] == "Acme+Data101,Acme+Ops"
