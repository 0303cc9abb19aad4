"""Issue 23 on the Manage Learners page and the learner admin: pickers, kept entries, wording, lists, dates."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomerUser
from enterprise.services.learner_lists import linked_learners_page, pending_learners_page
from enterprise.services.learner_search import matching_users
from tests.factories import (
    CourseFactory,
    CustomerFactory,
    LearnerFactory,
    PendingLearnerFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def customer():
    return CustomerFactory(name="Acme Corp", slug="acme")


def page_url(customer, **params):
    url = reverse("admin:enterprise_enterprisecustomer_manage_learners", args=[customer.pk])
    if params:
        from urllib.parse import urlencode

        url = f"{url}?{urlencode(params)}"
    return url


SEARCH_URL = "/admin/enterprise/enterprisecustomer/manage_learners/catalog_search/"


# -- 1. pickers -------------------------------------------------------------------------------


def test_the_course_picker_suggests_courses_by_part_of_the_title_or_id(staff_client):
    assert reverse("admin:enterprise_enterprisecustomer_catalog_search") == SEARCH_URL
    CourseFactory(course_id="course-v1:Acme+DATA101+2027", title="Data Literacy", modes=["audit", "verified"])
    CourseFactory(course_id="course-v1:Acme+SEC1+2027", title="Security Basics", modes=["audit"])
    by_title = staff_client.get(SEARCH_URL, {"kind": "course", "q": "literacy"}).json()["results"]
    assert [(r["id"], r["title"]) for r in by_title] == [("course-v1:Acme+DATA101+2027", "Data Literacy")]
    assert "audit, verified" in by_title[0]["detail"]
    by_id = staff_client.get(SEARCH_URL, {"kind": "course", "q": "SEC1"}).json()["results"]
    assert [r["id"] for r in by_id] == ["course-v1:Acme+SEC1+2027"]
    assert staff_client.get(SEARCH_URL, {"kind": "course", "q": "a"}).json() == {"results": []}  # too short
    assert staff_client.get(SEARCH_URL, {"kind": "webinar", "q": "data"}).status_code == 400


def test_the_program_picker_suggests_programs_by_title_or_part_of_the_uuid(staff_client):
    program = ProgramFactory(title="Leadership Track", courses=[CourseFactory(), CourseFactory()])
    results = staff_client.get(SEARCH_URL, {"kind": "program", "q": "leader"}).json()["results"]
    assert results == [{"id": str(program.program_id), "title": "Leadership Track", "detail": "2 courses"}]
    part = str(program.program_id)[:8]
    assert staff_client.get(SEARCH_URL, {"kind": "program", "q": part}).json()["results"][0]["title"] == (
        "Leadership Track"
    )


def test_the_picker_needs_the_customer_admin_permission(client, customer):
    UserFactory(username="plain", is_staff=True)
    client.login(username="plain", password="password")
    assert client.get(SEARCH_URL, {"kind": "course", "q": "data"}).status_code == 403


def test_course_and_program_inputs_are_wide_pickers(staff_client, customer):
    html = staff_client.get(page_url(customer)).content.decode()
    for kind in ("course", "program"):
        field = re.search(rf'<input[^>]+id="id_{kind}_id"[^>]*>', html).group(0)
        assert f'list="{kind}-choices"' in field and f'data-picker="{kind}"' in field and "wide-id" in field
        assert f'<datalist id="{kind}-choices">' in html
    assert f'data-catalog-search-url="{SEARCH_URL}"' in html


# -- 2. entries kept after an error -------------------------------------------------------------


def test_after_an_error_the_page_asks_to_choose_the_file_again_and_keeps_the_fields(staff_client, customer):
    CourseFactory(course_id="course-v1:Acme+DATA101+2027", modes=["audit"])
    response = staff_client.post(
        page_url(customer),
        {
            "action": "link",
            "email_or_username": "ann@example.com",  # and a file: refused, "not both"
            "bulk_upload_csv": SimpleUploadedFile("team.csv", b"a@example.com\n", content_type="text/csv"),
            "course_id": "course-v1:Acme+DATA101+2027",
            "course_mode": "audit",
            "notify": "on",
        },
    )
    html = response.content.decode()
    assert 'id="choose-file-again"' in html and "Choose the file team.csv again" in html
    assert 'value="ann@example.com"' in html and 'value="course-v1:Acme+DATA101+2027"' in html
    assert re.search(r'<option value="audit" selected>', html)
    assert re.search(r'<input[^>]+name="notify"[^>]+checked', html)


def test_no_file_notice_without_a_file_or_without_an_error(staff_client, customer):
    html = staff_client.post(page_url(customer), {"action": "link"}).content.decode()
    assert "choose-file-again" not in html  # an error, but no file was chosen
    assert "choose-file-again" not in staff_client.get(page_url(customer)).content.decode()


# -- 3. the enrollment section --------------------------------------------------------------------


def test_the_enrollment_section_explains_both_actions_and_holds_the_mode_status(staff_client, customer):
    html = staff_client.get(page_url(customer)).content.decode()
    section = html[
        html.index('id="enrollment-fields"') : html.index("</fieldset>", html.index('id="enrollment-fields"'))
    ]
    assert "<strong>Link learners</strong> links the learners above and enrolls them" in section
    assert "<strong>Unenroll them</strong> takes the learners above out of the chosen course" in section
    mode_row = section[section.index("field-course_mode") : section.index("field-notify")]
    assert 'id="course-mode-status"' in mode_row  # inside the mode's own row, in the form
    actions = html[html.index('class="submit-row manage-learners-actions"') :]
    assert actions.index('id="link-submit"') < actions.index('id="unenroll-submit"') < actions.index("</div>")


def test_cancel_sits_beside_confirm(staff_client, customer):
    response = staff_client.post(
        page_url(customer),
        {"action": "link", "bulk_upload_csv": SimpleUploadedFile("a.csv", b"x@example.com\n", content_type="text/csv")},
    )
    html = response.content.decode()
    row = re.search(
        r'<div class="submit-row manage-learners-actions">(.*?)</div>', html[html.index("confirm-form") :], re.S
    )
    assert "Confirm: apply these changes" in row.group(1) and "cancel-link" in row.group(1)


# -- 4. learner lists -------------------------------------------------------------------------------


@pytest.fixture
def people(customer):
    LearnerFactory(customer=customer, user__username="learner.0001", user__email="l1@acme.example.com")
    LearnerFactory(
        customer=customer,
        user__username="kschmidt",
        user__email="karin@globex.example.org",
        user__first_name="Karin",
        user__last_name="Schmidt",
    )
    LearnerFactory(
        customer=customer,
        user__username="ann",
        user__email="a.lee@acme.example.com",
        user__first_name="Ann",
        user__last_name="Lee",
    )
    LearnerFactory(user__username="learner.0002", user__email="other@acme.example.com")  # another customer
    PendingLearnerFactory(customer=customer, user_email="new.hire@acme.example.com")
    PendingLearnerFactory(customer=customer, user_email="someone@globex.example.org")


@pytest.mark.parametrize(
    ("term", "usernames"),
    [
        ("acme.example.com", {"learner.0001", "ann"}),
        ("Schmidt", {"kschmidt"}),
        ("learner.000", {"learner.0001"}),
        ("Ann Lee", {"ann"}),
        ("GLOBEX", {"kschmidt"}),
        ("nobody", set()),
    ],
)
def test_linked_learners_are_found_by_part_of_an_email_a_name_or_a_username(customer, people, term, usernames):
    page = linked_learners_page(customer=customer, search=term)
    assert {learner.user.username for learner in page.items} == usernames
    assert page.total == len(usernames) and page.total_exact


def test_pending_learners_are_found_by_part_of_their_address(customer, people):
    page = pending_learners_page(customer=customer, search="acme.example")
    assert [p.user_email for p in page.items] == ["new.hire@acme.example.com"]


def test_a_search_matching_many_users_filters_through_a_subquery_with_a_bounded_count(customer, people, monkeypatch):
    from enterprise.services import learner_search

    assert matching_users("example", limit=2).ids is None  # 4 users match: too many to list
    monkeypatch.setattr(learner_search, "SEARCH_USER_LIMIT", 1)
    monkeypatch.setattr(learner_search, "COUNT_LIMIT", 1)
    page = linked_learners_page(customer=customer, search="example")
    assert not page.total_exact and page.total == 1 and page.pages is None
    assert len(page.items) == 3  # the page itself is whole


def test_pages_have_numbers_a_last_page_and_a_date_jump(staff_client, customer, settings):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_PAGE_SIZE": 2}
    now = timezone.now()
    learners = [LearnerFactory(customer=customer) for _ in range(5)]
    for days, learner in enumerate(learners):  # learners[0] is the newest
        EnterpriseCustomerUser.objects.filter(pk=learner.pk).update(created=now - datetime.timedelta(days=days))
    first = linked_learners_page(customer=customer)
    assert (first.number, first.pages, first.first_position, first.last_position) == (1, 3, 1, 2)
    second = linked_learners_page(customer=customer, after=first.next_cursor)
    assert (second.number, [x.pk for x in second.items]) == (2, [learners[2].pk, learners[3].pk])
    last = linked_learners_page(customer=customer, last=True)
    assert (last.number, [x.pk for x in last.items], last.next_cursor) == (3, [learners[4].pk], "")
    back = linked_learners_page(customer=customer, before=last.previous_cursor)
    assert (back.number, [x.pk for x in back.items]) == (2, [learners[2].pk, learners[3].pk])

    html = staff_client.get(page_url(customer)).content.decode()
    assert "Page 1 of 3 (learners 1\u20132)" in html and "linked_last=1" in html
    assert "linked_page=2" in html  # the next page knows its number: no second count there
    numbered = linked_learners_page(customer=customer, after=first.next_cursor, number=2)
    with CaptureQueriesContext(connection) as queries:
        linked_learners_page(customer=customer, after=first.next_cursor, number=2)
    assert numbered.number == 2 and len(queries) == 2  # the count and the page
    day = timezone.localdate(now - datetime.timedelta(days=3))
    jumped = staff_client.get(page_url(customer, linked_until=day.isoformat())).content.decode()
    assert "Page 2 of 3 (learners 3\u20134)" in jumped
    linked = jumped[jumped.index('id="linked-learners"') :]
    assert learners[3].user.username in linked and learners[2].user.username not in linked


def test_a_page_of_a_list_costs_a_fixed_number_of_queries(
    staff_client, customer, people, django_assert_max_num_queries
):
    for _ in range(30):
        LearnerFactory(customer=customer)
    with CaptureQueriesContext(connection) as first:
        staff_client.get(page_url(customer, linked_q="example"))
    for _ in range(30):
        LearnerFactory(customer=customer, user__email=f"x{_}@example.com")
    with django_assert_max_num_queries(len(first)):
        staff_client.get(page_url(customer, linked_q="example"))


# -- 5. the seed's words ------------------------------------------------------------------------------


def test_the_seed_wording_on_the_button_page_title_and_lists(staff_client, customer, people):
    change = staff_client.get(reverse("admin:enterprise_enterprisecustomer_change", args=[customer.pk])).content
    assert b"Manage Learners</a>" in change
    html = staff_client.get(page_url(customer)).content.decode()
    assert "<title>Manage Learners: Acme Corp" in html and "<h1>Manage Learners: Acme Corp</h1>" in html
    assert "2 Pending Enterprise Customer Learners" in html
    assert "Manage learners" not in html


# -- 11. enrollments searchable by the learner --------------------------------------------------------


def test_enrollments_are_found_by_the_learners_email_username_or_the_course(staff_client, customer, people):
    by_name = {lr.user.username: lr for lr in EnterpriseCustomerUser.objects.select_related("user")}
    EnterpriseCourseEnrollment.objects.create(learner=by_name["ann"], course_id="course-v1:A+B+C", mode="audit")
    EnterpriseCourseEnrollment.objects.create(learner=by_name["kschmidt"], course_id="course-v1:X+Y+Z", mode="audit")
    url = reverse("admin:enterprise_enterprisecourseenrollment_changelist")

    def found(term):
        response = staff_client.get(url, {"q": term})
        return sorted(obj.course_id for obj in response.context["cl"].result_list)

    assert found("a.lee@acme.example.com") == ["course-v1:A+B+C"]
    assert found("acme.example") == ["course-v1:A+B+C"]
    assert found("kschmidt") == ["course-v1:X+Y+Z"]
    assert found("course-v1:X+Y+Z") == ["course-v1:X+Y+Z"]
    assert "kschmidt" in staff_client.get(url).content.decode()  # the list names the learner


# -- 12. one date format ------------------------------------------------------------------------------


def test_learner_lists_use_the_admins_date_format(staff_client, customer):
    learner = LearnerFactory(customer=customer)
    html = staff_client.get(page_url(customer)).content.decode()
    assert date_format(timezone.localtime(learner.created), "DATETIME_FORMAT") in html
    short = date_format(timezone.localtime(learner.created), "SHORT_DATETIME_FORMAT")
    assert short not in html


# -- 4. the indexes behind the searches (PostgreSQL) ----------------------------------------------------


@pytest.mark.postgresql
def test_a_substring_search_reads_the_trigram_indexes(customer):
    from django.contrib.auth import get_user_model

    from enterprise.models import PendingEnterpriseCustomerUser
    from enterprise.services.learner_search import _user_condition

    UserFactory.create_batch(3)
    users = get_user_model().objects.filter(_user_condition("acme.example Schmidt")).values("pk")
    pending = PendingEnterpriseCustomerUser.objects.filter(user_email__icontains="acme.example")
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for queryset in (users, pending):
            sql, params = queryset.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plans.append(" ".join(row[0] for row in cursor.fetchall()))
    for name in ("email", "username", "first_name", "last_name"):
        assert f"hostdb_user_{name}_trgm" in plans[0], plans[0]
    assert "pending_ecu_email_trgm" in plans[1], plans[1]


@pytest.mark.django_db
def test_the_trigram_check_warns_with_the_statements_when_an_index_is_missing():
    from enterprise.checks import check_user_trigram_indexes

    assert check_user_trigram_indexes(None, databases=["default"]) == []
    if connection.vendor != "postgresql":
        return  # nothing to index on SQLite
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX hostdb_user_last_name_trgm")  # rolled back with the test
    (warning,) = check_user_trigram_indexes(None, databases=["default"])
    assert warning.id == "enterprise.W002" and "last_name" in warning.msg
    assert "CREATE EXTENSION IF NOT EXISTS pg_trgm" in warning.hint and "gin_trgm_ops" in warning.hint
