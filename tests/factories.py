"""factory_boy factories for the domain model and the local LMS."""

import datetime
import uuid
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from consent.models import DataSharingConsent
from enterprise import models
from enterprise.lms.local import models as lms


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("password")


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.EnterpriseCustomer

    uuid = factory.LazyFunction(uuid.uuid4)
    name = factory.Sequence(lambda n: f"Customer {n}")
    slug = factory.Sequence(lambda n: f"customer-{n}")


class IdentityProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.EnterpriseCustomerIdentityProvider

    customer = factory.SubFactory(CustomerFactory)
    provider_id = factory.Sequence(lambda n: f"saml-idp-{n}")


class LearnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.EnterpriseCustomerUser

    customer = factory.SubFactory(CustomerFactory)
    user = factory.SubFactory(UserFactory)


class PendingLearnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PendingEnterpriseCustomerUser

    customer = factory.SubFactory(CustomerFactory)
    user_email = factory.Sequence(lambda n: f"pending{n}@example.com")


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.EnterpriseCourseEnrollment

    learner = factory.SubFactory(LearnerFactory)
    course_id = factory.Sequence(lambda n: f"course-v1:Org+C{n}+2027")
    mode = "audit"


class PendingEnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PendingEnrollment

    pending_learner = factory.SubFactory(PendingLearnerFactory)
    course_id = factory.Sequence(lambda n: f"course-v1:Org+C{n}+2027")
    mode = "audit"


class EmailTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.EnrollmentNotificationEmailTemplate

    customer = factory.SubFactory(CustomerFactory)
    template_type = "course"
    subject_line = "You are enrolled in {course_name}"
    plaintext_template = "Hello {user_name}, {enterprise_name} enrolled you in {course_name}: {enrollment_url}"
    html_template = "<p>Hello {user_name}, start <a href='{enrollment_url}'>{course_name}</a>.</p>"


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataSharingConsent

    customer = factory.SubFactory(CustomerFactory)
    user = factory.SubFactory(UserFactory)
    course_id = factory.Sequence(lambda n: f"course-v1:Org+C{n}+2027")
    granted = True


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = lms.Course
        django_get_or_create = ("course_id",)
        skip_postgeneration_save = True

    course_id = factory.Sequence(lambda n: f"course-v1:Org+C{n}+2027")
    title = factory.Sequence(lambda n: f"Course {n}")
    pacing = lms.Course.Pacing.INSTRUCTOR
    start = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=30))
    end = None

    @factory.post_generation
    def modes(self, create, extracted, **kwargs):
        if not create:
            return
        for mode in extracted if extracted is not None else ("audit", "verified"):
            lms.CourseMode.objects.get_or_create(course=self, mode=mode)

    @factory.post_generation
    def skills(self, create, extracted, **kwargs):
        """``skills=[("Python", "Beginner"), "SQL"]``: names, or (name, level) pairs."""
        if not create or not extracted:
            return
        for skill in extracted:
            name, level = (skill, "") if isinstance(skill, str) else skill
            lms.CourseSkill.objects.get_or_create(course=self, name=name, defaults={"level": level})


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = lms.Program
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Program {n}")

    @factory.post_generation
    def courses(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for position, course in enumerate(extracted):
            lms.ProgramCourse.objects.create(program=self, course=course, position=position)


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = lms.Certificate

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    grade = "0.92"
    issued_at = factory.LazyFunction(timezone.now)


class GradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = lms.Grade

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    percent = Decimal("0.80")
    passed_at = factory.LazyFunction(timezone.now)


class SubsectionGradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = lms.SubsectionGrade

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    subsection_id = factory.Sequence(lambda n: f"block-v1:Org+CS101+2027+type@sequential+block@quiz{n}")
    title = factory.Sequence(lambda n: f"Quiz {n}")
    position = factory.Sequence(int)
    percent = Decimal("0.875")
