"""The portal's Learners page: who may see it, the link / preview / confirm flow, unlink, query counts."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enterprise.models import EnterpriseCustomerAdmin, EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services import upload_store
from tests.factories import LearnerFactory, PendingLearnerFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_admin(acme):
    user = UserFactory(username="ada")
    EnterpriseCustomerAdmin.objects.create(customer=acme, user=user)
    return user


@pytest.fixture
def admin_client(client, acme_admin):
    client.force_login(acme_admin)
    return client


def url(customer, name="learners"):
    return reverse(f"enterprise_portal:{name}", kwargs={"customer_uuid": customer.uuid})


def upload(text: str, name="learners.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


# -- access --------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_portal_login(client, acme):
    for target in (reverse("enterprise_portal:index"), url(acme)):
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("enterprise_portal:login") + "?next=")
    response = client.post(url(acme), {"action": "link", "email": "x@example.com"})
    assert response.status_code == 302
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_a_host_lms_sends_anonymous_visitors_to_its_own_sign_in_page(client, acme, settings):
    settings.ENTERPRISE_PORTAL_LOGIN_URL = "/lms/login"
    response = client.get(url(acme))
    assert response.status_code == 302
    assert response["Location"].startswith("/lms/login?next=")


def test_a_customer_administrator_signs_in_on_the_portal_login(client, acme, acme_admin):
    acme_admin.set_password("pw-portal-1")
    acme_admin.save()
    response = client.post(reverse("enterprise_portal:login"), {"username": "ada", "password": "pw-portal-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprise_portal:index")
    assert client.get(response["Location"])["Location"] == url(acme)  # one customer: straight to it


@pytest.mark.parametrize("kind", ["learner", "staff", "superuser"])
def test_users_who_administer_no_customer_are_refused(client, acme, kind):
    user = {
        "learner": lambda: LearnerFactory(customer=acme).user,
        "staff": lambda: StaffFactory(),
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
    }[kind]()
    client.force_login(user)
    assert client.get(reverse("enterprise_portal:index")).status_code == 403
    assert client.get(url(acme)).status_code == 403
    assert client.post(url(acme), {"action": "link", "email": "x@example.com"}).status_code == 403
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_another_customers_pages_answer_404_like_a_missing_one(admin_client, acme, globex):
    other = LearnerFactory(customer=globex)
    PendingLearnerFactory(customer=globex, user_email="secret@globex.test")
    assert admin_client.get(url(acme)).status_code == 200
    missing = admin_client.get(reverse("enterprise_portal:learners", kwargs={"customer_uuid": uuid.uuid4()}))
    assert missing.status_code == 404
    response = admin_client.get(url(globex))
    assert response.status_code == 404
    assert b"Globex" not in response.content and b"secret@globex.test" not in response.content
    for data in (
        {"action": "link", "email": "new@example.com"},
        {"action": "unlink", "user_id": str(other.user_id)},
        {"action": "delete_pending", "pending_id": str(PendingEnterpriseCustomerUser.objects.get().pk)},
    ):
        assert admin_client.post(url(globex), data).status_code == 404
    assert EnterpriseCustomerUser.objects.get(pk=other.pk).linked
    assert PendingEnterpriseCustomerUser.objects.filter(customer=globex).count() == 1
    assert not PendingEnterpriseCustomerUser.objects.filter(user_email="new@example.com").exists()


def test_ids_of_another_customers_learners_change_nothing(admin_client, acme, globex):
    other = LearnerFactory(customer=globex)
    other_pending = PendingLearnerFactory(customer=globex)
    admin_client.post(url(acme), {"action": "unlink", "user_id": str(other.user_id)})
    admin_client.post(url(acme), {"action": "delete_pending", "pending_id": str(other_pending.pk)})
    assert EnterpriseCustomerUser.objects.get(pk=other.pk).linked
    assert PendingEnterpriseCustomerUser.objects.filter(pk=other_pending.pk).exists()


def test_the_list_shows_only_the_customers_learners(admin_client, acme, globex):
    mine = LearnerFactory(customer=acme, user__email="mine@acme.test")
    LearnerFactory(customer=globex, user__email="theirs@globex.test")
    PendingLearnerFactory(customer=acme, user_email="later@acme.test")
    PendingLearnerFactory(customer=globex, user_email="later@globex.test")
    response = admin_client.get(url(acme))
    body = response.content.decode()
    assert [x.pk for x in response.context["linked"].items] == [mine.pk]
    assert "mine@acme.test" in body and "later@acme.test" in body
    assert "globex" not in body.lower()


def test_an_administrator_of_two_customers_chooses_one(client, acme, globex):
    user = UserFactory()
    for customer in (acme, globex):
        EnterpriseCustomerAdmin.objects.create(customer=customer, user=user)
    client.force_login(user)
    response = client.get(reverse("enterprise_portal:index"))
    assert response.status_code == 200
    assert [c.name for c in response.context["customers"]] == ["Acme Corp", "Globex"]
    assert client.get(url(globex)).status_code == 200


def test_forms_need_the_csrf_token(acme, acme_admin):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(acme_admin)
    assert client.post(url(acme), {"action": "link", "email": "x@example.com"}).status_code == 403
    assert not PendingEnterpriseCustomerUser.objects.exists()


# -- search and query counts -----------------------------------------------------------------------


def test_search_finds_linked_and_pending_learners(admin_client, acme):
    LearnerFactory(customer=acme, user__email="carol@acme.test", user__username="carol")
    LearnerFactory(
        customer=acme,
        user__email="dave@acme.test",
        user__username="dave",
        user__first_name="Dave",
        user__last_name="Ng",
    )
    PendingLearnerFactory(customer=acme, user_email="carla@acme.test")
    PendingLearnerFactory(customer=acme, user_email="erin@acme.test")
    response = admin_client.get(url(acme), {"linked_q": "carol", "pending_q": "carl"})
    assert [x.user.username for x in response.context["linked"].items] == ["carol"]
    assert [p.user_email for p in response.context["pending"].items] == ["carla@acme.test"]


def test_list_page_queries_do_not_grow_with_the_lists(admin_client, acme, settings):
    settings.ENTERPRISE = {**getattr(settings, "ENTERPRISE", {}), "MANAGE_LEARNERS_PAGE_SIZE": 25}

    def count(**params):
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url(acme), params).status_code == 200
        return len(queries)

    LearnerFactory(customer=acme)
    PendingLearnerFactory(customer=acme)
    few = count()
    # session, user, the user's customers, two per list (count, rows)
    assert few == 7, few
    for _ in range(40):
        LearnerFactory(customer=acme)
        PendingLearnerFactory(customer=acme)
    assert count() == few
    page_two = admin_client.get(url(acme)).context["linked_urls"]["older"]
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(page_two).status_code == 200
    assert len(queries) <= few + 1  # the page's number, counted along the index


def test_long_lists_are_counted_up_to_the_limit_only(admin_client, acme, settings):
    settings.ENTERPRISE = {
        **getattr(settings, "ENTERPRISE", {}),
        "MANAGE_LEARNERS_PAGE_SIZE": 2,
        "PORTAL_LEARNERS_COUNT_LIMIT": 3,
    }
    for _ in range(3):
        LearnerFactory(customer=acme)
        PendingLearnerFactory(customer=acme)
    response = admin_client.get(url(acme))
    linked = response.context["linked"]
    assert (linked.total, linked.total_exact, linked.pages) == (3, True, 2)  # at the limit: exact, numbered
    assert "oldest" in response.context["linked_urls"]
    LearnerFactory(customer=acme)
    PendingLearnerFactory(customer=acme)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url(acme))
    assert len(queries) == 7  # the same queries, each count stopping at the limit + 1
    linked, pending = response.context["linked"], response.context["pending"]
    assert (linked.total, linked.total_exact, linked.pages, len(linked.items)) == (3, False, None, 2)
    assert (pending.total, pending.total_exact) == (3, False)
    assert "oldest" not in response.context["linked_urls"] and "older" in response.context["linked_urls"]
    body = response.content.decode()
    assert "More than 3 linked learners" in body and "More than 3 pending learners" in body
    page_two = admin_client.get(response.context["linked_urls"]["older"]).context["linked"]
    assert len(page_two.items) == 2 and not page_two.next_cursor  # paging still reaches every learner


def test_the_admins_manage_learners_lists_still_count_every_learner(acme, settings):
    from enterprise.services.learner_lists import linked_learners_page

    settings.ENTERPRISE = {**getattr(settings, "ENTERPRISE", {}), "PORTAL_LEARNERS_COUNT_LIMIT": 3}
    for _ in range(5):
        LearnerFactory(customer=acme)
    page = linked_learners_page(customer=acme)  # no count_limit: the admin's page
    assert (page.total, page.total_exact) == (5, True)
    assert (linked_learners_page(customer=acme, count_limit=3).total_exact) is False


# -- linking -------------------------------------------------------------------------------------------


def test_link_one_address_makes_a_pending_learner(admin_client, acme):
    response = admin_client.post(url(acme), {"action": "link", "email": "New@Example.com"}, follow=True)
    assert PendingEnterpriseCustomerUser.objects.get(customer=acme).user_email == "new@example.com"
    assert "as a pending learner of Acme Corp" in response.content.decode()


def test_link_one_existing_user(admin_client, acme):
    user = UserFactory(email="bob@example.com")
    response = admin_client.post(url(acme), {"action": "link", "email": "bob@example.com"}, follow=True)
    assert EnterpriseCustomerUser.objects.get(customer=acme, user=user).linked
    assert "Linked bob@example.com to Acme Corp." in response.content.decode()


def test_usernames_are_not_accepted(admin_client, acme):
    UserFactory(username="bob")
    response = admin_client.post(url(acme), {"action": "link", "email": "bob"})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not EnterpriseCustomerUser.objects.filter(customer=acme).exists()


def test_another_customers_learner_is_not_named(admin_client, acme, globex):
    LearnerFactory(customer=globex, user__email="taken@example.com")
    response = admin_client.post(url(acme), {"action": "link", "email": "taken@example.com"})
    body = response.content.decode()
    assert response.context["form"].errors["email"] == ["Belongs to another customer."]
    assert "Globex" not in body
    assert not EnterpriseCustomerUser.objects.filter(customer=acme).exists()


def test_csv_preview_changes_nothing_then_confirm_applies(admin_client, acme, globex):
    UserFactory(email="known@example.com")
    LearnerFactory(customer=globex, user__email="taken@example.com")
    text = "email\nknown@example.com\nnew@example.com\ntaken@example.com\n"
    preview = admin_client.post(url(acme), {"action": "link", "csv_file": upload(text)})
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "Preview: nothing has changed yet" in body
    assert not EnterpriseCustomerUser.objects.filter(customer=acme).exists()
    assert not PendingEnterpriseCustomerUser.objects.exists()
    rows = {row["value"]: row for row in preview.context["shown_rows"]}
    assert rows["taken@example.com"]["message"] == "Belongs to another customer."
    assert "Globex" not in body
    assert preview.context["shown_rows"][0]["value"] == "taken@example.com"  # problems first
    token = preview.context["confirm"].initial["token"]

    done = admin_client.post(url(acme), {"action": "confirm", "token": token})
    assert done.status_code == 200
    assert done.context["result"].applied
    assert EnterpriseCustomerUser.objects.filter(customer=acme, user__email="known@example.com").exists()
    assert PendingEnterpriseCustomerUser.objects.filter(customer=acme, user_email="new@example.com").exists()
    assert not EnterpriseCustomerUser.objects.filter(customer=acme, user__email="taken@example.com").exists()
    # the stored file is gone: a second confirmation applies nothing twice
    again = admin_client.post(url(acme), {"action": "confirm", "token": token}, follow=True)
    assert "upload" in again.content.decode().lower()
    report = admin_client.get(url(acme, "learners_report"), {"token": done.context["report_token"]})
    assert report.status_code == 200
    content = b"".join(report.streaming_content).decode("utf-8-sig")
    assert "Belongs to another customer." in content and "Globex" not in content


def test_a_file_with_invalid_rows_is_refused_as_a_whole(admin_client, acme):
    preview = admin_client.post(url(acme), {"action": "link", "csv_file": upload("good@example.com\nnot-an-address\n")})
    rows = {row["value"]: row for row in preview.context["shown_rows"]}
    assert rows["not-an-address"]["status"] == "invalid"
    token = preview.context["confirm"].initial["token"]
    refused = admin_client.post(url(acme), {"action": "confirm", "token": token})
    assert refused.context["result"].refused
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_a_token_of_another_customer_is_refused(admin_client, acme, globex):
    token = upload_store.save_file(upload("x@example.com\n"), customer=globex, suffix=".csv")
    response = admin_client.post(url(acme), {"action": "confirm", "token": token}, follow=True)
    assert not PendingEnterpriseCustomerUser.objects.exists()
    assert response.status_code == 200
    assert admin_client.get(url(acme, "learners_report"), {"token": token}).status_code == 404


def test_an_oversized_file_is_refused_before_it_is_read(admin_client, acme, settings):
    settings.ENTERPRISE = {**getattr(settings, "ENTERPRISE", {}), "MANAGE_LEARNERS_MAX_UPLOAD_BYTES": 20}
    response = admin_client.post(url(acme), {"action": "link", "csv_file": upload("a-long-address@example.com\n")})
    assert "csv_file" in response.context["form"].errors
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_an_empty_submission_and_both_at_once_are_refused(admin_client, acme):
    empty = admin_client.post(url(acme), {"action": "link"})
    assert empty.context["form"].non_field_errors() == ["Enter an e-mail address or choose a CSV file."]
    both = admin_client.post(url(acme), {"action": "link", "email": "a@example.com", "csv_file": upload("b@x.org\n")})
    assert both.context["form"].non_field_errors() == ["Enter one address or choose a CSV file, not both."]
    assert not PendingEnterpriseCustomerUser.objects.exists()


# -- unlinking -------------------------------------------------------------------------------------------


def test_unlink_and_remove_pending(admin_client, acme):
    learner = LearnerFactory(customer=acme)
    kept = LearnerFactory(customer=acme)
    pending = PendingLearnerFactory(customer=acme)
    response = admin_client.post(url(acme), {"action": "unlink", "user_id": [str(learner.user_id), "x"]}, follow=True)
    assert "Unlinked 1 learner." in response.content.decode()
    assert not EnterpriseCustomerUser.objects.get(pk=learner.pk).linked
    assert EnterpriseCustomerUser.objects.get(pk=kept.pk).linked
    admin_client.post(url(acme), {"action": "delete_pending", "pending_id": str(pending.pk)})
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_an_unknown_action_is_404(admin_client, acme):
    assert admin_client.post(url(acme), {"action": "unenroll_everyone"}).status_code == 404
