"""The LearningStudio configuration: registration, defaults, the SIS password encrypted and write-only."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from integrated_channels.integrated_channel.registry import registry
from integrated_channels.learningstudio.models import DEFAULT_WSDL, LearningStudioJob

from .conftest import SIS_PASSWORD, LearningStudioConfigurationFactory

pytestmark = pytest.mark.django_db


def test_the_channel_is_registered_without_course_export():
    channel = registry.get("LEARNINGSTUDIO")
    assert channel.name == "Pearson LearningStudio"
    assert channel.get_configuration_model()._meta.label == "learningstudio.LearningStudioConfiguration"
    assert not channel.exports_content
    assert ("LEARNINGSTUDIO", "Pearson LearningStudio") in registry.as_choices()


def test_defaults_are_the_sandbox_role_ids_and_the_shipped_wsdl():
    config = LearningStudioConfigurationFactory()
    assert config.channel == "LEARNINGSTUDIO"
    assert (config.student_role_id, config.professor_role_id) == (2, 1)
    assert (config.teaching_assistant_role_id, config.dropped_role_id) == (9, 5)
    assert config.auto_generated_passwords
    assert config.wsdl == str(DEFAULT_WSDL)
    config.wsdl_location = "https://campus.example.com/um.wsdl"
    assert config.wsdl == "https://campus.example.com/um.wsdl"
    assert config.secrets() == [SIS_PASSWORD]


def test_the_sis_password_is_encrypted_at_rest():
    config = LearningStudioConfigurationFactory()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sis_password FROM learningstudio_learningstudioconfiguration WHERE %s = %s", [1, 1])
        stored = cursor.fetchone()[0]
    assert SIS_PASSWORD not in stored
    config.refresh_from_db()
    assert config.sis_password == SIS_PASSWORD


def test_a_job_is_unique_per_configuration():
    config = LearningStudioConfigurationFactory()
    LearningStudioJob.objects.create(configuration=config, job_id="289460", memberships=3)
    assert str(LearningStudioJob.objects.get()) == "job 289460"
    with pytest.raises(IntegrityError), transaction.atomic():
        LearningStudioJob.objects.create(configuration=config, job_id="289460")


def test_admin_pages_never_show_the_password(staff_client):
    config = LearningStudioConfigurationFactory()
    LearningStudioJob.objects.create(configuration=config, job_id="1", memberships=2)

    page = staff_client.get(reverse("admin:learningstudio_learningstudioconfiguration_change", args=[config.pk]))
    listing = staff_client.get(reverse("admin:learningstudio_learningstudioconfiguration_changelist"))
    jobs = staff_client.get(reverse("admin:learningstudio_learningstudiojob_changelist"))

    assert page.status_code == listing.status_code == jobs.status_code == 200
    html = page.content.decode()
    assert SIS_PASSWORD not in html and 'name="sis_password"' in html and 'type="password"' in html
    assert 'name="dropped_role_id"' in html
