"""Placeholder templates (enterprise.templating) and the enrollment notification template model."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from enterprise.exceptions import TemplateRenderError
from enterprise.models import EnrollmentNotificationEmailTemplate
from enterprise.templating import PLACEHOLDERS, render_template, validate_template
from tests.factories import CustomerFactory, EmailTemplateFactory

COURSE_CONTEXT = {
    "user_name": "Ada Lovelace",
    "first_name": "Ada",
    "enterprise_name": "Acme",
    "course_name": "Engines 101",
    "course_id": "course-v1:Acme+E101+2027",
    "start_date": "March 3, 2027",
    "enrollment_url": "https://lms.example.com/courses/e101",
}


# Validation: only bare, known names.


def test_known_placeholders_validate():
    validate_template("Hi {user_name}, {enterprise_name} enrolled you in {course_name}.", "course")


def test_unknown_placeholder_is_rejected_naming_it_and_listing_the_available_ones():
    with pytest.raises(TemplateRenderError) as excinfo:
        validate_template("Hi {username}", "course")

    message = str(excinfo.value)
    assert "{username}" in message
    assert "{user_name}" in message


@pytest.mark.parametrize("template", ["Hi {user_name", "Hi {", "Hi }", "Hi user_name}"])
def test_single_brace_is_broken_syntax_with_a_hint_about_literal_braces(template):
    with pytest.raises(TemplateRenderError) as excinfo:
        validate_template(template, "course")

    message = str(excinfo.value)
    assert "Broken template syntax" in message
    assert "{{ and }}" in message


def test_attribute_access_is_rejected_naming_the_placeholder():
    with pytest.raises(TemplateRenderError, match=r"\{user\.password\} is not allowed"):
        validate_template("{user.password}", "course")


def test_attribute_access_on_a_known_name_is_rejected():
    with pytest.raises(TemplateRenderError, match=r"\{user_name\.__class__\}"):
        validate_template("{user_name.__class__}", "course")


def test_index_access_is_rejected_naming_the_placeholder():
    with pytest.raises(TemplateRenderError, match=r"\{x\[0\]\} is not allowed"):
        validate_template("{x[0]}", "course")


@pytest.mark.parametrize("template", ["{}", "{0}"])
def test_positional_placeholders_are_rejected(template):
    with pytest.raises(TemplateRenderError, match="is not allowed"):
        validate_template(template, "course")


def test_format_spec_is_rejected_naming_the_placeholder():
    with pytest.raises(TemplateRenderError, match=r"\{user_name\} may not carry a format spec"):
        validate_template("{user_name:>99999999}", "course")


def test_nested_format_spec_is_rejected():
    with pytest.raises(TemplateRenderError, match=r"\{user_name\}"):
        validate_template("{user_name:{first_name}}", "course")


def test_conversion_is_rejected_naming_the_placeholder():
    with pytest.raises(TemplateRenderError, match=r"\{user_name\} may not carry a format spec or conversion"):
        validate_template("{user_name!r}", "course")


def test_program_placeholders_are_allowed_in_program_templates_only():
    validate_template("{program_name} ({program_id})", "program")

    with pytest.raises(TemplateRenderError, match=r"Unknown placeholder \{program_name\}"):
        validate_template("{program_name}", "course")


def test_course_placeholders_are_not_allowed_in_program_templates():
    with pytest.raises(TemplateRenderError, match=r"Unknown placeholder \{course_name\}"):
        validate_template("{course_name}", "program")


def test_the_template_render_error_is_also_a_value_error():
    with pytest.raises(ValueError):
        validate_template("{nope}", "course")


# Rendering


def test_render_substitutes_placeholders():
    assert (
        render_template("Hi {first_name}, see {course_name}.", "course", COURSE_CONTEXT) == "Hi Ada, see Engines 101."
    )


def test_double_braces_render_as_literal_braces():
    assert render_template("{{user_name}} is {user_name} {{}}", "course", COURSE_CONTEXT) == (
        "{user_name} is Ada Lovelace {}"
    )


def test_a_missing_or_none_value_renders_empty():
    assert render_template("[{start_date}][{course_id}]", "course", {"start_date": None}) == "[][]"


def test_values_are_not_interpreted_as_templates():
    context = {**COURSE_CONTEXT, "user_name": "{enterprise_name} {user.password}"}

    assert render_template("Hi {user_name}", "course", context) == "Hi {enterprise_name} {user.password}"


def test_render_rejects_what_validation_rejects():
    with pytest.raises(TemplateRenderError):
        render_template("{user_name!r}", "course", COURSE_CONTEXT)


def test_html_rendering_escapes_values_but_not_the_template():
    context = {**COURSE_CONTEXT, "user_name": "<script>alert('x')</script> & co"}

    html = render_template("<p>Hello {user_name}</p>", "course", context, html=True)

    assert html == "<p>Hello &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co</p>"


def test_plain_rendering_leaves_values_unescaped():
    context = {**COURSE_CONTEXT, "user_name": "Tom & <Jerry>"}

    assert render_template("Hello {user_name}", "course", context) == "Hello Tom & <Jerry>"


# The model: clean() and render()


def template(**kwargs):
    """An unsaved course template with valid fields, overridden by ``kwargs``."""
    defaults = {
        "template_type": "course",
        "subject_line": "Welcome to {course_name}",
        "plaintext_template": "Hi {user_name}",
        "html_template": "<p>Hi {user_name}</p>",
    }
    return EnrollmentNotificationEmailTemplate(**{**defaults, **kwargs})


def test_clean_accepts_a_valid_template():
    template().clean()


def test_clean_accepts_an_empty_html_body():
    template(html_template="").clean()


def test_clean_reports_each_broken_field_with_its_message():
    with pytest.raises(ValidationError) as excinfo:
        template(subject_line="Hi {nope}", html_template="<p>{user_name:>9}</p>").clean()

    errors = excinfo.value.message_dict
    assert set(errors) == {"subject_line", "html_template"}
    assert "{nope}" in errors["subject_line"][0]
    assert "{user_name}" in errors["html_template"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("plaintext_template", "Dear {user.password}"),
        ("plaintext_template", "Dear {x[0]}"),
        ("plaintext_template", "Dear {user_name!r}"),
        ("plaintext_template", "Dear {user_name:>99999999}"),
        ("subject_line", "Dear {"),
    ],
)
def test_clean_rejects_unsafe_or_broken_placeholders(field, value):
    with pytest.raises(ValidationError) as excinfo:
        template(**{field: value}).clean()

    assert list(excinfo.value.message_dict) == [field]


def test_clean_rejects_program_placeholders_in_a_course_template():
    with pytest.raises(ValidationError) as excinfo:
        template(plaintext_template="You joined {program_name}").clean()

    assert "{program_name}" in excinfo.value.message_dict["plaintext_template"][0]


def test_clean_accepts_program_placeholders_in_a_program_template():
    template(template_type="program", subject_line="{program_name}", plaintext_template="{program_id}").clean()


def test_clean_leaves_an_invalid_template_type_to_its_own_field():
    with pytest.raises(ValidationError) as excinfo:
        template(template_type="webinar").full_clean(exclude=["customer"])

    assert "template_type" in excinfo.value.message_dict


def test_render_returns_subject_plaintext_and_escaped_html():
    rendered = template(
        subject_line="Welcome to {course_name}",
        plaintext_template="Hi {user_name}, go to {enrollment_url}",
        html_template="<p>Hi {user_name}</p>",
    ).render({**COURSE_CONTEXT, "user_name": "<script>x</script>"})

    assert rendered == {
        "subject": "Welcome to Engines 101",
        "plaintext": "Hi <script>x</script>, go to https://lms.example.com/courses/e101",
        "html": "<p>Hi &lt;script&gt;x&lt;/script&gt;</p>",
    }


def test_render_without_html_body_gives_empty_html():
    assert template(html_template="").render(COURSE_CONTEXT)["html"] == ""


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_render_removes_line_breaks_from_the_subject(newline):
    context = {**COURSE_CONTEXT, "course_name": f"Engines{newline}Bcc: victim@example.com"}

    subject = template(subject_line=f"Welcome{newline}to {{course_name}}").render(context)["subject"]

    assert "\n" not in subject
    assert "\r" not in subject
    assert subject == "Welcome to Engines Bcc: victim@example.com"


def test_render_keeps_line_breaks_of_the_bodies():
    rendered = template(plaintext_template="Hi {first_name},\n\nWelcome.").render(COURSE_CONTEXT)

    assert rendered["plaintext"] == "Hi Ada,\n\nWelcome."


def test_render_of_a_program_template_uses_program_placeholders():
    rendered = template(template_type="program", subject_line="Joined {program_name}").render(
        {"program_name": "Data Science", "user_name": "Ada"}
    )

    assert rendered["subject"] == "Joined Data Science"


def test_every_template_type_has_placeholders():
    assert set(PLACEHOLDERS) == set(EnrollmentNotificationEmailTemplate.TemplateType.values)


# Database constraints


@pytest.mark.django_db
def test_only_one_default_template_per_type_in_the_database():
    EmailTemplateFactory(customer=None, template_type="course")

    with pytest.raises(IntegrityError), transaction.atomic():
        EmailTemplateFactory(customer=None, template_type="course")


@pytest.mark.django_db
def test_a_default_template_of_each_type_may_coexist():
    EmailTemplateFactory(customer=None, template_type="course")
    EmailTemplateFactory(customer=None, template_type="program", subject_line="{program_name}")

    assert EnrollmentNotificationEmailTemplate.objects.filter(customer=None).count() == 2


@pytest.mark.django_db
def test_only_one_template_per_customer_and_type_in_the_database():
    customer = CustomerFactory()
    EmailTemplateFactory(customer=customer, template_type="course")

    with pytest.raises(IntegrityError), transaction.atomic():
        EmailTemplateFactory(customer=customer, template_type="course")


@pytest.mark.django_db
def test_customers_have_their_own_templates_beside_the_default():
    first, second = CustomerFactory.create_batch(2)
    EmailTemplateFactory(customer=None, template_type="course")
    EmailTemplateFactory(customer=first, template_type="course")
    EmailTemplateFactory(customer=second, template_type="course")
    EmailTemplateFactory(customer=first, template_type="program", subject_line="{program_name}")

    assert EnrollmentNotificationEmailTemplate.objects.count() == 4


@pytest.mark.django_db
def test_validating_a_second_default_template_reports_the_constraint_message():
    EmailTemplateFactory(customer=None, template_type="course")

    with pytest.raises(ValidationError, match="already a default template of this type"):
        template(customer=None).validate_constraints()
