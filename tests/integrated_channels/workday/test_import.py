"""The Workday connector against the strict fake of Human_Resources v40.1 (tests/fakes/workday.py)."""

from __future__ import annotations

import pytest
from lxml import etree

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.models import PendingLearnerAttributes, Run, RunError
from integrated_channels.integrated_channel.services.connections import test_connection as run_connection_test
from integrated_channels.workday import attributes
from integrated_channels.workday.models import WorkdayConfiguration, WorkdayWorker
from integrated_channels.workday.operations import import_workers
from tests.factories import CustomerFactory, UserFactory
from tests.fakes.workday import FakeWorkday

pytestmark = pytest.mark.django_db

MAPPING = {
    "email": "Primary Work Email",
    "manager": "manager",
    "first_name": "wd:Personal_Data.wd:Name_Data.wd:Legal_Name_Data.wd:Name_Detail_Data.wd:First_Name",
    "department": "wd:Organization_Subtype_Reference_Department",
    "employee_id": "wd:Worker_Reference.Employee_ID",
    "job_title": "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Business_Title",
}


@pytest.fixture
def workday():
    with FakeWorkday() as fake:
        yield fake


def connection(workday, **kwargs) -> WorkdayConfiguration:
    values = {
        "customer": kwargs.pop("customer", None) or CustomerFactory(),
        "name": "default",
        "active": True,
        "host_url": workday.base_url,
        "tenant": workday.tenant,
        "username": workday.username,
        "password": workday.password,
        "attribute_mapping": dict(MAPPING),
        **kwargs,
    }
    return WorkdayConfiguration.objects.create(**values)


def run_import(config) -> Run:
    run = import_workers(config, trigger=Run.Trigger.COMMAND)
    run.refresh_from_db()
    return run


def pending(customer) -> dict[str, dict]:
    emails = PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True)
    attrs = dict(PendingLearnerAttributes.objects.filter(customer=customer).values_list("email", "attributes"))
    return {email: attrs.get(email, {}) for email in emails}


def test_workers_are_imported_page_by_page_with_their_manager_and_mapped_paths(workday):
    boss = workday.add(email="boss@example.com", first="Bea", last="Boss", department="Board")
    workday.add(
        email="ann@example.com",
        first="Ann",
        last="Lee",
        manager=boss.wid,
        title="Engineer",
        extra_emails=[("ann.home@example.net", True)],
    )
    workday.add_many(1000)
    UserFactory(email="boss@example.com")
    config = connection(workday)

    run = run_import(config)

    assert run.status == Run.Status.COMPLETED, run.error_message
    assert run.sent == 1002
    assert [r["page"] for r in workday.requests] == [1, 2]  # Total_Pages = ceil(1002 / 999)
    assert {r["count"] for r in workday.requests} == {999}
    assert len({r["as_of"] for r in workday.requests}) == 1  # the same moment on every page
    assert workday.requests[0]["groups"] == {
        "Include_Reference",
        "Include_Personal_Information",
        "Include_Employment_Information",
        "Include_Organizations",
        "Include_Management_Chain_Data",
    }
    assert workday.requests[0]["exclude_inactive"] is True
    ann = pending(config.customer)["ann@example.com"]
    assert ann == {
        "manager": "boss@example.com",
        "first_name": "Ann",
        "department": "",  # no department organization: an empty value
        "employee_id": "E000001",
        "job_title": "Engineer",
    }
    learner = EnterpriseCustomerUser.objects.get(customer=config.customer, user__email="boss@example.com")
    assert learner.attributes["department"] == "Board"
    assert learner.attributes["manager"] == ""
    assert WorkdayWorker.objects.filter(configuration=config).count() == 1002


def test_filters_go_to_workday_and_the_management_chain_is_applied(workday):
    top = workday.add(email="top@example.com")
    mid = workday.add(email="mid@example.com", manager=top.wid)
    workday.add(email="low@example.com", manager=mid.wid)
    workday.add(email="temp@example.com", manager=mid.wid, contingent=True)
    workday.add(email="gone@example.com", manager=mid.wid, active=False)
    workday.add(email="elsewhere@example.com")
    config = connection(workday, exclude_contingent_workers=True, import_under_managers="top@example.com")
    run = run_import(config)
    assert run.status == Run.Status.COMPLETED, run.error_message
    assert workday.requests[0]["exclude_contingent"] is True
    assert set(pending(config.customer)) == {"mid@example.com", "low@example.com"}


def test_uuid_email_and_name_are_unique_across_the_customers_workday_connections(workday):
    customer = CustomerFactory()
    workday.add(email="one@example.com", first="Sam", last="Same")
    first = connection(workday, customer=customer, name="EMEA")
    assert run_import(first).status == Run.Status.COMPLETED

    with FakeWorkday(tenant="acme_us") as other:
        other.workers.append(workday.workers[0])  # the same worker (same UUID) in another tenant
        other.add(email="one@example.com", first="Other", last="Person")  # another UUID, the same e-mail
        other.add(email="x@example.com", first="Sam", last="Same")  # another UUID, the same name
        other.add(email="fine@example.com", first="Fine", last="Worker")
        second = connection(other, customer=customer, name="US")
        run = run_import(second)

    assert run.status == Run.Status.COMPLETED_WITH_ERRORS
    assert run.sent == 1 and run.failed == 3
    messages = sorted(RunError.objects.filter(run=run).values_list("message", flat=True))
    assert any("Workday UUID" in m and "'EMEA'" in m for m in messages)
    assert any("its e-mail one@example.com belongs to another worker" in m for m in messages)
    assert any("its name 'Sam Same' belongs to another worker" in m for m in messages)
    assert WorkdayWorker.objects.get(customer=customer, email="one@example.com").configuration == first


def test_a_page_failing_mid_import_applies_nothing_and_the_next_run_imports_all(workday):
    workday.add_many(1500)
    config = connection(workday)
    workday.fail(times=10, after=1)
    failed = run_import(config)
    assert failed.status == Run.Status.FAILED
    assert "Processing error" in failed.error_message
    assert PendingEnterpriseCustomerUser.objects.count() == 0
    assert WorkdayWorker.objects.count() == 0
    workday.faults.clear()
    assert run_import(config).sent == 1500


def test_wrong_password_is_the_authentication_fault_and_never_echoed(workday):
    config = connection(workday, password="wrong-password")
    result = run_connection_test(config)
    assert not result.ok
    assert "invalid username or password" in result.message
    assert "wrong-password" not in result.message
    good = connection(workday, name="good")
    assert run_connection_test(good).ok


def test_duplicate_emails_are_reported_per_person(workday):
    workday.add(email="twin@example.com", first="A")
    workday.add(email="twin@example.com", first="B")
    run = run_import(connection(workday))
    assert run.status == Run.Status.COMPLETED_WITH_ERRORS
    assert RunError.objects.filter(run=run, message__contains="appears several times").count() == 2


def test_the_fake_validates_the_body_against_the_schema(workday):
    import requests

    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
        '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"'
        ' s:mustUnderstand="1"><wsse:UsernameToken><wsse:Username>ISU_LMS@acme_preview</wsse:Username>'
        '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0'
        '#PasswordText">workday-isu-password</wsse:Password></wsse:UsernameToken></wsse:Security></s:Header>'
        '<s:Body><wd:Get_Workers_Request xmlns:wd="urn:com.workday/bsvc"><wd:Response_Filter><wd:Page>1</wd:Page>'
        "<wd:Count>1000</wd:Count></wd:Response_Filter></wd:Get_Workers_Request></s:Body></s:Envelope>"
    )
    answer = requests.post(
        f"{workday.base_url}{workday.path}",
        data=envelope,
        headers={"Content-Type": "text/xml", "SOAPAction": '""'},
        timeout=5,
    )
    assert answer.status_code == 500
    fault = etree.fromstring(answer.content)
    assert "validationError" in fault.findtext(".//faultcode")
    assert "Validation_Fault" in answer.text


def test_the_seed_list_is_offered_and_a_missing_path_is_empty():
    assert len(attributes.ATTRIBUTES) == 69
    worker = etree.fromstring(
        '<wd:Worker xmlns:wd="urn:com.workday/bsvc"><wd:Worker_Reference><wd:ID wd:type="WID">w1</wd:ID>'
        '</wd:Worker_Reference><wd:Worker_Data><wd:Personal_Data><wd:Gender_Reference><wd:ID wd:type="WID">x</wd:ID>'
        '<wd:ID wd:type="Gender_Code">Female</wd:ID></wd:Gender_Reference></wd:Personal_Data></wd:Worker_Data>'
        "</wd:Worker>"
    )
    assert attributes.read(worker, "wd:Personal_Data.wd:Gender_Reference.wd:ID.1.$") == "Female"
    assert attributes.read(worker, "wd:Worker_Reference.WID") == "w1"
    for path in attributes.ATTRIBUTES:
        if path not in ("wd:Personal_Data.wd:Gender_Reference.wd:ID.1.$", "wd:Worker_Reference.WID"):
            assert attributes.read(worker, path) == "", path


def test_skills_export_sends_each_workers_skill_items_by_name(workday):
    import datetime

    from django.utils import timezone

    from integrated_channels.workday.operations import export_skills
    from tests.factories import CertificateFactory, CourseFactory, EnrollmentFactory, LearnerFactory

    ann = workday.add(email="ann@example.com")
    workday.add(email="bob@example.com")
    UserFactory(email="ann@example.com")
    config = connection(workday, customer=CustomerFactory(enable_data_sharing_consent=False))
    assert run_import(config).status == Run.Status.COMPLETED
    course = CourseFactory(skills=[("Python", "Advanced"), "SQL"])
    learners = [
        EnterpriseCustomerUser.objects.get(customer=config.customer, user__email="ann@example.com"),
        LearnerFactory(customer=config.customer, user=UserFactory(email="stranger@example.com")),
    ]
    for learner in learners:
        EnrollmentFactory(learner=learner, course_id=course.course_id)
        CertificateFactory(user=learner.user, course=course, grade="0.9", issued_at=timezone.now())

    run = export_skills(config, trigger=Run.Trigger.COMMAND, start_date=timezone.now() - datetime.timedelta(days=2))
    run.refresh_from_db()

    assert run.status == Run.Status.COMPLETED, run.error_message
    assert (run.selected, run.sent, run.skipped) == (2, 1, 1)
    assert run.skip_reasons == {"not_a_workday_worker": 1}
    assert workday.skills == {ann.wid: {"Python (Advanced)", "SQL"}}


def test_a_worker_workday_refuses_is_one_failed_record(workday):
    from django.utils import timezone

    from integrated_channels.workday.operations import export_skills
    from tests.factories import CertificateFactory, CourseFactory, EnrollmentFactory

    workday.add(email="ann@example.com")
    UserFactory(email="ann@example.com")
    config = connection(workday, customer=CustomerFactory(enable_data_sharing_consent=False))
    run_import(config)
    workday.workers.clear()  # Workday no longer knows the worker's WID
    course = CourseFactory(skills=["SQL"])
    learner = EnterpriseCustomerUser.objects.get(customer=config.customer, user__email="ann@example.com")
    EnrollmentFactory(learner=learner, course_id=course.course_id)
    CertificateFactory(user=learner.user, course=course, grade="0.9", issued_at=timezone.now())
    run = export_skills(config, trigger=Run.Trigger.COMMAND)
    run.refresh_from_db()
    assert run.status == Run.Status.COMPLETED_WITH_ERRORS
    assert "is not a valid ID value" in RunError.objects.get(run=run).message


def test_a_workday_uuid_cannot_be_cleared_nor_edited_by_an_operator(workday, admin_client):
    from django.db import IntegrityError, transaction
    from django.urls import reverse

    workday.add(email="ann@example.com")
    config = connection(workday)
    run_import(config)
    worker = WorkdayWorker.objects.get(configuration=config)
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkdayWorker.objects.filter(pk=worker.pk).update(worker_uuid="")
    change = reverse("admin:workday_workdayworker_change", args=[worker.pk])
    response = admin_client.post(change, {"worker_uuid": "", "email": "x@example.com"})
    assert response.status_code == 403
    worker.refresh_from_db()
    assert worker.worker_uuid and worker.email == "ann@example.com"
    assert admin_client.get(reverse("admin:workday_workdayworker_delete", args=[worker.pk])).status_code == 403


def test_derived_values_and_positions_read_with_compiled_paths():
    wd = 'xmlns:wd="urn:com.workday/bsvc"'

    def email(address, usage, primary):
        return (
            f"<wd:Email_Address_Data><wd:Email_Address>{address}</wd:Email_Address><wd:Usage_Data>"
            f'<wd:Type_Data wd:Primary="{primary}"><wd:Type_Reference><wd:ID wd:type="Communication_Usage_Type_ID">'
            f"{usage}</wd:ID></wd:Type_Reference></wd:Type_Data></wd:Usage_Data></wd:Email_Address_Data>"
        )

    def worker(emails):
        return etree.fromstring(
            f'<wd:Worker {wd}><wd:Worker_Reference><wd:ID wd:type="WID">w9</wd:ID><wd:ID wd:type="Employee_ID">'
            "E9</wd:ID></wd:Worker_Reference><wd:Worker_Data><wd:Personal_Data><wd:Contact_Data>"
            f"{emails}</wd:Contact_Data></wd:Personal_Data><wd:Organization_Data>"
            "<wd:Worker_Organization_Data><wd:Organization_Data><wd:Organization_Code>CC1</wd:Organization_Code>"
            "<wd:Organization_Name>Cost one</wd:Organization_Name><wd:Organization_Type_Reference>"
            '<wd:ID wd:type="Organization_Type_ID">COST_CENTER</wd:ID></wd:Organization_Type_Reference>'
            "</wd:Organization_Data></wd:Worker_Organization_Data></wd:Organization_Data>"
            "<wd:Management_Chain_Data><wd:Worker_Supervisory_Management_Chain_Data>"
            '<wd:Management_Chain_Data><wd:Manager><wd:Worker_Reference><wd:ID wd:type="WID">top</wd:ID>'
            "</wd:Worker_Reference></wd:Manager></wd:Management_Chain_Data><wd:Management_Chain_Data><wd:Manager>"
            '<wd:Worker_Reference><wd:ID wd:type="WID">boss</wd:ID></wd:Worker_Reference></wd:Manager>'
            "</wd:Management_Chain_Data></wd:Worker_Supervisory_Management_Chain_Data></wd:Management_Chain_Data>"
            "</wd:Worker_Data></wd:Worker>"
        )

    primary_home_then_work = worker(
        email("home@example.net", "HOME", 1)
        + email("work2@example.com", "WORK", 0)
        + email("w@example.com", "WORK", "true")
    )
    assert attributes.read(primary_home_then_work, attributes.PRIMARY_WORK_EMAIL) == "w@example.com"
    no_primary_work = worker(email("home@example.net", "HOME", 1) + email("work2@example.com", "WORK", 0))
    assert attributes.read(no_primary_work, attributes.PRIMARY_WORK_EMAIL) == "work2@example.com"
    assert attributes.read(worker(""), attributes.PRIMARY_WORK_EMAIL) == ""
    assert attributes.read(no_primary_work, "wd:Worker_Reference.Employee_ID") == "E9"
    assert attributes.read(no_primary_work, "wd:Organization_Type_Reference_Cost_Center_ID") == "CC1"
    assert attributes.read(no_primary_work, "wd:Organization_Type_Reference_Cost_Center_Name") == "Cost one"
    assert attributes.read(no_primary_work, "wd:Organization_Subtype_Reference_Department") == ""
    assert attributes.read(no_primary_work, attributes.MANAGER) == "boss"  # the last level: the direct manager
    path = "wd:Personal_Data.wd:Contact_Data.wd:Email_Address_Data.1.wd:Email_Address"
    assert attributes.read(no_primary_work, path) == "work2@example.com"
    assert attributes.path_xpath("wd:Name.x'y") is None  # nothing outside the notation reaches the XPath
