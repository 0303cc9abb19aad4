"""Issue 22 item 6: SAP user ids set through the REST API (JSON rows or a CSV), per-row results, audited."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from enterprise.models import EnterpriseCustomerUser, LearnerFieldChange
from tests.factories import LearnerFactory, UserFactory

URL = "/enterprise/api/v1/customers/{}/learners/sap-user-ids/"


def test_json_rows_are_set_refused_rows_say_why(api_admin, customer, customer_admin):
    ann = LearnerFactory(customer=customer, user=UserFactory(email="ann@example.com"))
    LearnerFactory(customer=customer, user=UserFactory(email="bob@example.com"), attributes={"sap_user_id": "B"})

    response = api_admin.post(
        URL.format(customer.uuid),
        {
            "learners": [
                {"email": "ann@example.com", "sap_user_id": "A"},
                {"email": "x@example.com", "sap_user_id": "B"},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["summary"] == "1 SAP user id(s) were set, 0 cleared, 0 unchanged, 1 row(s) refused."
    assert body["counts"] == {"set": 1, "not_a_learner": 1}
    assert [(r["row"], r["email"], r["sap_user_id"], r["previous"], r["status"]) for r in body["rows"]] == [
        (1, "ann@example.com", "A", "", "set"),
        (2, "x@example.com", "B", "", "not_a_learner"),
    ]
    assert EnterpriseCustomerUser.objects.get(pk=ann.pk).attributes == {"sap_user_id": "A"}
    change = LearnerFieldChange.objects.get()
    assert (change.source, change.changed_by, change.new_value) == ("api", customer_admin, "A")


def test_a_csv_file_and_a_dry_run(api_admin, customer):
    LearnerFactory(customer=customer, user=UserFactory(email="ann@example.com"))
    upload = SimpleUploadedFile("ids.csv", b"\xef\xbb\xbfEmail,SAP user id\r\nann@example.com,A\r\nbad line\r\n")

    response = api_admin.post(URL.format(customer.uuid), {"file": upload, "dry_run": True}, format="multipart")

    assert response.status_code == 200, response.json()
    rows = response.json()["rows"]
    assert [(r["row"], r["status"]) for r in rows] == [(2, "set"), (3, "invalid")]
    assert rows[1]["message"] == "Line 3 has 1 column(s): give e-mail, SAP user id."
    assert response.json()["dry_run"] is True and not LearnerFieldChange.objects.exists()


def test_rows_or_a_file_not_both_nor_neither(api_admin, customer):
    response = api_admin.post(URL.format(customer.uuid), {"dry_run": True}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "learners"
