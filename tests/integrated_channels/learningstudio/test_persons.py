"""A learner's person and role from their attributes: mapping, validation, configuration."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from integrated_channels.learningstudio.persons import parse_names, person_data

BASE = {"user_id": 7, "username": "arthur", "email": "a@x.org", "first_name": "Arthur", "last_name": "Dent"}


def test_without_attributes_the_person_is_the_one_sent_before():
    data = person_data(**BASE)
    assert data.person == {"id": "7", "userid": "arthur", "given": "Arthur", "family": "Dent", "email": "a@x.org"}
    assert (data.role, data.errors) == ("student", [])


def test_well_known_attributes_fill_demographics_tel_adr_and_properties():
    attributes = {
        "middle_name": "Philip",
        "gender": "Male",
        "birth_date": "1979-10-12",
        "disability": "none declared",
        "phone": "+44 20 7946 0000",
        "street": ["155 Country Lane", "Cottington"],
        "street_line_1": "ignored? no: appended",
        "city": "Cottington",
        "region": "West Country",
        "postal_code": 12345,
        "department": "Galactic Hitchhiking",
        "employee_id": "E-42",
        "unlisted": "never sent",
    }
    data = person_data(**BASE, attributes=attributes, properties=["department", "employee_id", "missing"])
    assert data.errors == []
    person = data.person
    assert person["middle"] == "Philip"
    assert person["demographics"] == {"gender": "male", "bday": "1979-10-12", "disability": "none declared"}
    assert person["tel"] == "+44 20 7946 0000"
    assert person["adr"] == {
        "street": ["155 Country Lane", "Cottington", "ignored? no: appended"],
        "locality": "Cottington",
        "region": "West Country",
        "pcode": "12345",
    }
    assert person["properties"] == [["department", "Galactic Hitchhiking"], ["employee_id", "E-42"]]


@pytest.mark.parametrize(
    ("attributes", "error"),
    [
        ({"gender": "m"}, "gender: 'm' is not male or female."),
        ({"birth_date": "12/10/1979"}, "birth_date: '12/10/1979' is not a date in YYYY-MM-DD format."),
        ({"birth_date": "1979-02-30"}, "birth_date: '1979-02-30' is not a date in YYYY-MM-DD format."),
        ({"birth_date": "1979-2-3"}, "birth_date: '1979-2-3' is not a date in YYYY-MM-DD format."),
        ({"phone": {"home": "1"}}, "phone: expected text, found dict."),
        ({"city": "Bell\x07ville"}, "city: holds a control character XML cannot carry."),
        (
            {"learningstudio_role": "dean"},
            "learningstudio_role: 'dean' is not one of student, professor, teaching_assistant.",
        ),
    ],
)
def test_bad_values_are_reported_by_name(attributes, error):
    data = person_data(**BASE, attributes=attributes, role_attribute="learningstudio_role")
    assert data.errors == [error]
    assert "demographics" not in data.person or "gender" not in data.person["demographics"]


@pytest.mark.parametrize(
    ("value", "role"),
    [(None, "student"), ("", "student"), ("Professor", "professor"), ("teaching assistant", "teaching_assistant"),
     ("teaching-assistant", "teaching_assistant"), ("student", "student")],
)  # fmt: skip
def test_role_from_the_configured_attribute(value, role):
    attributes = {} if value is None else {"ls_role": value}
    assert person_data(**BASE, attributes=attributes, role_attribute="ls_role").role == role
    assert person_data(**BASE, attributes={"ls_role": "professor"}, role_attribute="").role == "student"


def test_configuration_names_and_role_ids(db):
    from tests.integrated_channels.learningstudio.conftest import LearningStudioConfigurationFactory

    assert parse_names(" department,\nemployee_id , department\n\n") == ["department", "employee_id"]
    config = LearningStudioConfigurationFactory(person_properties="department\njob_title")
    assert config.property_names == ["department", "job_title"]
    assert [config.role_id(role) for role in ("student", "professor", "teaching_assistant")] == [2, 1, 9]
    config.full_clean()
    config.person_properties = "department, city"
    with pytest.raises(ValidationError, match="Already sent in their own elements: city"):
        config.full_clean()
