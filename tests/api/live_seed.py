"""Seed a standalone database for the live API fuzz run (.ci/run): print a staff user's API token.

Usage: DATABASE_URL=… python -m tests.api.live_seed (after ``manage.py migrate``).
"""

import os


def seed() -> str:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "standalone.settings")
    django.setup()
    from rest_framework.authtoken.models import Token

    from consent.models import DataSharingConsent
    from enterprise.lms.local.models import Course, CourseMode, Program, ProgramCourse
    from enterprise.models import (
        EnterpriseCourseEnrollment,
        EnterpriseCustomer,
        EnterpriseCustomerUser,
        PendingEnterpriseCustomerUser,
    )
    from integrated_channels.testing.models import TestChannelConfiguration
    from tests.factories import StaffFactory, UserFactory

    staff = StaffFactory(username="fuzz-staff")
    customer, _ = EnterpriseCustomer.objects.get_or_create(slug="fuzz", defaults={"name": "Fuzz Inc"})
    course, _ = Course.objects.get_or_create(course_id="course-v1:Fuzz+F1+2027", defaults={"title": "Fuzzing"})
    for mode in ("audit", "verified"):
        CourseMode.objects.get_or_create(course=course, mode=mode)
    program, _ = Program.objects.get_or_create(title="Fuzz program")
    ProgramCourse.objects.get_or_create(program=program, course=course)
    for i in range(5):
        user = UserFactory(username=f"fuzz-learner-{i}")
        learner, _ = EnterpriseCustomerUser.objects.get_or_create(customer=customer, user=user)
        EnterpriseCourseEnrollment.objects.get_or_create(learner=learner, course_id=course.course_id, mode="audit")
        DataSharingConsent.objects.get_or_create(customer=customer, user=user, course_id=course.course_id)
        PendingEnterpriseCustomerUser.objects.get_or_create(
            customer=customer, user_email=f"fuzz-pending-{i}@example.com"
        )
    TestChannelConfiguration.objects.get_or_create(customer=customer, defaults={"active": True, "api_key": "k"})
    return Token.objects.get_or_create(user=staff)[0].key


if __name__ == "__main__":
    print(seed())
