"""Issue 22 item 3: learners are enrolled in enrollable nodes (source ECLG, their client sort string, typevalue
"Enrollable Node") with the node role, chosen per customer from a learner attribute; the fake checks the groups."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from lxml import etree

from enterprise.services.linking import unlink_users
from integrated_channels.learningstudio import ims
from integrated_channels.learningstudio.nodes import nodes_of, parse_nodes
from tests.factories import CourseFactory, LearnerFactory, StaffFactory
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db

NODES = "* = strata.\nSales = strata.business.sales.\nOps = strata.ops., strata.business."


@pytest.fixture
def nodes_config(ls_config):
    StaffFactory(username="staff")
    ls_config.node_role_id, ls_config.node_attribute, ls_config.enrollable_nodes = 40, "department", NODES
    ls_config.full_clean()
    ls_config.save()
    return ls_config


def transmit():
    call_command("transmit_learner_data", api_user="staff", channel=["LEARNINGSTUDIO"], stdout=io.StringIO())


def test_the_mapping_is_parsed_and_refused_naming_the_line():
    mapping = parse_nodes(NODES)
    assert nodes_of(mapping, {"department": "Ops"}, "department") == ["strata.", "strata.business.", "strata.ops."]
    assert nodes_of(mapping, {}, "department") == ["strata."]
    for text, message in (
        ("Sales strata.", "Line 1: write VALUE = client.sort.string."),
        ("Sales = strata.business", "Line 1: strata.business is not a client sort string"),
        ("A = a.\nA = b.", "Line 2: A is given twice."),
    ):
        with pytest.raises(ValueError, match=message):
            parse_nodes(text)


def test_the_configuration_refuses_a_bad_mapping_or_nodes_without_a_role(ls_config):
    ls_config.enrollable_nodes = "* = strata.business"
    with pytest.raises(ValidationError) as info:
        ls_config.full_clean()
    assert list(info.value.message_dict) == ["enrollable_nodes"]

    ls_config.enrollable_nodes = "* = strata."
    with pytest.raises(ValidationError) as info:
        ls_config.full_clean()
    assert list(info.value.message_dict) == ["node_role_id"]


def test_a_batch_enrolls_each_learner_once_in_their_nodes_before_their_courses(nodes_config, fake_ls):
    first, second = CourseFactory(), CourseFactory()
    sales = LearnerFactory(customer=nodes_config.customer, attributes={"department": "Sales"})
    other = LearnerFactory(customer=nodes_config.customer, attributes={"department": "Legal"})
    for learner in (sales, other):
        for course in (first, second):
            completed_enrollment(nodes_config.customer, course=course, learner=learner)

    transmit()

    assert fake_ls.operations() == ["ProcessRequest"]
    s, o = str(sales.user_id), str(other.user_id)
    assert sorted(fake_ls.node_memberships()) == sorted(
        [("strata.", s, "40"), ("strata.business.sales.", s, "40"), ("strata.", o, "40")]
    )
    assert len(fake_ls.memberships()) == 4
    document = etree.fromstring(fake_ls.requests[0].body)
    groups = [
        (
            g.findtext(f"{ims.q('sourcedid')}/{ims.q('source')}"),
            g.findtext(f"{ims.q('grouptype')}/{ims.q('typevalue')}"),
        )
        for g in document.iter(ims.q("group"))
    ]
    assert groups[:2] == [("ECLG", "Enrollable Node")] * 2 and groups[2][1] == "Call Number"


def test_a_single_request_enrolls_the_node_first_and_a_course_drop_keeps_the_node(nodes_config, fake_ls):
    enrollment = completed_enrollment(nodes_config.customer)
    enrollment.learner.attributes = {"department": "Sales"}
    enrollment.learner.save()

    transmit()

    assert fake_ls.operations() == ["ProcessSingleRequest"] * 3
    assert [node for node, _person, _role in fake_ls.node_memberships()] == ["strata.", "strata.business.sales."]
    from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit

    summary = LearnerDataTransmissionAudit.objects.get().remote_response
    assert summary.startswith("person: Success 0 User created; node strata.: Success 0 Node enrollment successful")
    assert summary.endswith("membership: Success 0 Course enrollment successful")

    unlink_users(customer=nodes_config.customer, user_ids=[enrollment.learner.user_id])
    transmit()

    assert fake_ls.operations()[3:] == ["ProcessSingleRequest"]  # the course's drop only
    assert fake_ls.memberships()[-1][2] == "5" and len(fake_ls.node_memberships()) == 2


def test_a_refused_node_fails_the_learner_before_their_course(nodes_config, fake_ls):
    enrollment = completed_enrollment(nodes_config.customer)
    fake_ls.refuse_membership(str(enrollment.learner.user_id), code="-14", message="Node not found")

    with pytest.raises(CommandError, match="1 record"):
        transmit()

    from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit

    row = LearnerDataTransmissionAudit.objects.get()
    assert row.status == "failed" and row.last_error == "LearningStudio refused the node strata.: -14 Node not found"
    assert fake_ls.operations() == ["ProcessSingleRequest"] and fake_ls.memberships() == []


@pytest.mark.parametrize("form", ["escaped", "comment", "element"])
def test_person_properties_keep_working_beside_nodes_and_roles_per_enrollment(nodes_config, form):
    """Issue 22 item 5: person/extension/personproperty as the seed documents it, in every request (nodes'
    too), and the answer's Result read beside the echoed properties whatever form it takes."""
    from enterprise.models import EnterpriseCourseEnrollment
    from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit
    from tests.fakes.learningstudio import FakeLearningStudio
    from tests.integrated_channels.learningstudio.conftest import SIS_PASSWORD

    with FakeLearningStudio(username="sis-user", password=SIS_PASSWORD, result_form=form) as fake:
        nodes_config.endpoint_url = fake.url
        nodes_config.person_properties = "cost_center, job_title"
        nodes_config.save()
        learner = LearnerFactory(
            customer=nodes_config.customer,
            attributes={"department": "Ops", "cost_center": "CC-7", "job_title": "Lead", "unlisted": "x"},
        )
        enrollment = completed_enrollment(nodes_config.customer, learner=learner)
        EnterpriseCourseEnrollment.objects.filter(pk=enrollment.pk).update(role="professor")

        transmit()

        persons = fake.persons_received()
        assert len(persons) == 4  # three nodes, then the course
        assert all(person["properties"] == [("cost_center", "CC-7"), ("job_title", "Lead")] for person in persons)
        assert fake.memberships() == [(enrollment.course_id, str(learner.user_id), "1")]
    summary = LearnerDataTransmissionAudit.objects.get().remote_response
    assert (
        summary.count("Success 0") == 4 + 3 + 1 and "node strata.ops.: Success 0 Node enrollment successful" in summary
    )
