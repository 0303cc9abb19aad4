"""E-mail template pages: "Preview (course)" / "Preview (program)" buttons, previews, refusal at save."""

import pytest
from django.urls import reverse

from enterprise.models import EnrollmentNotificationEmailTemplate
from tests.factories import CustomerFactory, EmailTemplateFactory

pytestmark = pytest.mark.django_db


def preview_url(template, kind):
    return reverse("admin:enterprise_enrollmentnotificationemailtemplate_preview", args=[template.pk, kind])


def form_data(template, **changes):
    data = {
        "customer": template.customer_id or "",
        "template_type": template.template_type,
        "subject_line": template.subject_line,
        "plaintext_template": template.plaintext_template,
        "html_template": template.html_template,
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    ("kind", "label", "other"), [("course", "Preview (course)", "program"), ("program", "Preview (program)", "course")]
)
def test_edit_page_has_the_preview_button_of_its_own_type_posting_the_form(staff_client, kind, label, other):
    template = EmailTemplateFactory(
        template_type=kind, subject_line=f"{{{kind}_name}}", plaintext_template=f"{{{kind}_id}}", html_template=""
    )
    html = staff_client.get(
        reverse("admin:enterprise_enrollmentnotificationemailtemplate_change", args=[template.pk])
    ).content.decode()
    assert f'formaction="{preview_url(template, kind)}"' in html and label in html
    assert preview_url(template, other) not in html and f"Preview ({other})" not in html
    assert 'form="enrollmentnotificationemailtemplate_form"' in html and 'formtarget="_blank"' in html


def test_help_texts_list_only_the_placeholders_of_the_template_type(staff_client):
    course = EmailTemplateFactory(template_type="course")
    html = staff_client.get(
        reverse("admin:enterprise_enrollmentnotificationemailtemplate_change", args=[course.pk])
    ).content.decode()
    assert "{course_name}" in html and "{start_sentence}" in html and "{enrollment_url}" in html
    assert "{program_name}" not in html and "{program_id}" not in html
    assert 'data-type="course"' in html and 'data-type="program"' not in html
    add = staff_client.get(reverse("admin:enterprise_enrollmentnotificationemailtemplate_add")).content.decode()
    assert "Course templates:" in add and "Program templates:" in add  # no type chosen yet: both, each named


def test_preview_renders_the_unsaved_form_with_sample_data(staff_client):
    template = EmailTemplateFactory(customer__name="Acme")
    response = staff_client.post(
        preview_url(template, "course"),
        form_data(
            template, subject_line="Hello {user_name} from {enterprise_name}", html_template="<p>{course_name}</p>"
        ),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="preview-subject">Hello Ada Lovelace from Acme<' in html
    assert 'srcdoc="&lt;p&gt;Analytical Engines: An Introduction&lt;/p&gt;"' in html and "sandbox" in html
    template.refresh_from_db()
    assert template.subject_line == "You are enrolled in {course_name}"  # previewing saves nothing


def test_preview_of_the_saved_template_and_of_the_other_type(staff_client):
    template = EmailTemplateFactory(customer=None, plaintext_template="Welcome to {course_name}")
    course = staff_client.get(preview_url(template, "course")).content.decode()
    assert "Welcome to Analytical Engines: An Introduction" in course
    program = staff_client.get(preview_url(template, "program")).content.decode()
    assert "This template cannot be rendered:" in program and "Unknown placeholder {course_name}" in program
    assert "This is a Course template" in program


def test_preview_reports_broken_syntax(staff_client):
    template = EmailTemplateFactory()
    response = staff_client.post(
        preview_url(template, "course"), form_data(template, plaintext_template="Hi {user_name")
    )
    assert 'id="preview-error"' in response.content.decode()


def test_preview_unknown_type_is_404(staff_client):
    assert staff_client.get(preview_url(EmailTemplateFactory(), "webinar")).status_code == 404


def test_a_template_that_cannot_render_is_refused_at_save_with_the_reason(staff_client):
    customer = CustomerFactory()
    response = staff_client.post(
        reverse("admin:enterprise_enrollmentnotificationemailtemplate_add"),
        {
            "customer": customer.pk,
            "template_type": "course",
            "subject_line": "Hi {user.password}",
            "plaintext_template": "{program_name}",
            "html_template": "",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Placeholder {user.password} is not allowed" in html
    assert "Unknown placeholder {program_name}" in html
    assert not EnrollmentNotificationEmailTemplate.objects.exists()
