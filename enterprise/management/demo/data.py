"""The fixed part of the demo: customers, catalog and e-mail templates (dates relative to today)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from enterprise.lms.interfaces import INSTRUCTOR_PACED, SELF_PACED

DEMO_NAMESPACE = uuid.UUID("5b0f6c1e-4d2a-4f4e-9a51-6d656d6f0001")  # program ids are uuid5 in it


@dataclass(frozen=True)
class DemoCustomer:
    slug: str
    name: str
    country: str
    weight: int  # share of the learners
    identity_provider: str
    identity_provider_name: str
    enable_data_sharing_consent: bool = False

    @property
    def domain(self) -> str:
        return f"{self.slug}.example.com"


@dataclass(frozen=True)
class DemoCourse:
    key: str
    title: str
    pacing: str
    start_days: int  # relative to today
    end_days: int | None
    modes: tuple[str, ...]

    @property
    def course_id(self) -> str:
        return f"course-v1:DemoX+{self.key}+Demo"

    @property
    def started(self) -> bool:
        return self.start_days < 0

    @property
    def ended(self) -> bool:
        return self.end_days is not None and self.end_days < 0

    @property
    def program_mode(self) -> str:
        """The mode used when enrolling into a program that contains this course."""
        return "verified" if "verified" in self.modes else self.modes[0]


@dataclass(frozen=True)
class DemoProgram:
    slug: str
    title: str
    course_keys: tuple[str, ...]

    @property
    def program_id(self) -> uuid.UUID:
        return uuid.uuid5(DEMO_NAMESPACE, self.slug)


CUSTOMERS = (
    DemoCustomer("acme", "Acme Corporation", "US", 5, "acme-okta", "Acme Okta", enable_data_sharing_consent=True),
    DemoCustomer("globex", "Globex Learning", "DE", 3, "globex-azure-ad", "Globex Azure AD"),
    DemoCustomer("initech", "Initech Academy", "IN", 2, "initech-adfs", "Initech ADFS"),
)

INSTRUCTOR, SELF = INSTRUCTOR_PACED, SELF_PACED
COURSES = (
    DemoCourse("PY101", "Python for Everyone", INSTRUCTOR, -120, -30, ("audit", "verified")),
    DemoCourse("SQL150", "SQL for Analysts", SELF, -400, None, ("audit", "verified", "credit")),
    DemoCourse("DS201", "Data Science Foundations", INSTRUCTOR, -60, 60, ("audit", "verified")),
    DemoCourse("ML301", "Machine Learning in Practice", INSTRUCTOR, 14, 120, ("verified", "professional")),
    DemoCourse("SEC101", "Information Security Basics", SELF, -365, None, ("audit", "honor")),
    DemoCourse("COMM120", "Business Writing", INSTRUCTOR, -300, -200, ("honor", "verified")),
    DemoCourse("LEAD201", "Leading Remote Teams", SELF, -200, -20, ("audit", "verified")),
    DemoCourse("AGILE130", "Agile Project Management", INSTRUCTOR, -10, 80, ("audit", "verified", "credit")),
    DemoCourse("FIN210", "Finance for Non-Financial Managers", SELF, -30, None, ("audit", "no-id-professional")),
    DemoCourse("CLOUD110", "Cloud Fundamentals", SELF, -90, 180, ("audit", "verified")),
)
COURSES_BY_KEY = {course.key: course for course in COURSES}

#: Estimated effort of each demo course, in hours (SAP's totalHours / creditHours; 0 when unknown).
COURSE_EFFORT_HOURS: dict[str, Decimal] = {
    "PY101": Decimal("40"),
    "SQL150": Decimal("24"),
    "DS201": Decimal("60"),
    "ML301": Decimal("80"),
    "SEC101": Decimal("6"),
    "COMM120": Decimal("12"),
    "LEAD201": Decimal("10"),
    "AGILE130": Decimal("20"),
    "FIN210": Decimal("15"),
    "CLOUD110": Decimal("8.5"),
}

#: The skills each demo course teaches: (name, level); completing the course achieves them.
COURSE_SKILLS: dict[str, tuple[tuple[str, str], ...]] = {
    "PY101": (("Python", "Beginner"), ("Problem solving", "")),
    "SQL150": (("SQL", "Intermediate"), ("Data analysis", "Beginner")),
    "DS201": (("Data analysis", "Intermediate"), ("Statistics", "Beginner"), ("Python", "Intermediate")),
    "ML301": (("Machine learning", "Advanced"), ("Python", "Advanced")),
    "SEC101": (("Information security", "Beginner"),),
    "COMM120": (("Business writing", ""),),
    "LEAD201": (("Remote leadership", "Intermediate"), ("Communication", "")),
    "AGILE130": (("Agile project management", "Beginner"), ("Scrum", "")),
    "FIN210": (("Financial literacy", "Beginner"),),
    "CLOUD110": (("Cloud computing", "Beginner"),),
}

PROGRAMS = (
    DemoProgram("data-science", "Data Science Professional Certificate", ("PY101", "SQL150", "DS201", "ML301")),
    DemoProgram("leadership", "Leadership Essentials", ("COMM120", "LEAD201", "AGILE130", "FIN210")),
)

EMAIL_TEMPLATES = {
    "course": {
        "subject_line": "{enterprise_name} enrolled you in {course_name}",
        "plaintext_template": (
            "Hello {user_name},\n\n{enterprise_name} has enrolled you in {course_name} ({course_id}). "
            "{start_sentence}\n\nStart learning: {enrollment_url}\n"
        ),
        "html_template": (
            "<p>Hello {user_name},</p>\n<p>{enterprise_name} has enrolled you in "
            '<a href="{enrollment_url}">{course_name}</a>. {start_sentence}</p>\n'
        ),
    },
    "program": {
        "subject_line": "{enterprise_name} enrolled you in the {program_name} program",
        "plaintext_template": (
            "Hello {user_name},\n\n{enterprise_name} has enrolled you in the program {program_name}. "
            "{start_sentence}\n\nSee its courses: {enrollment_url}\n"
        ),
        "html_template": (
            "<p>Hello {user_name},</p>\n<p>{enterprise_name} has enrolled you in the program "
            '<a href="{enrollment_url}">{program_name}</a>. {start_sentence}</p>\n'
        ),
    },
}
# A customer with a course template of its own, to show how it overrides the default.
CUSTOMER_EMAIL_TEMPLATES = {
    ("acme", "course"): dict(EMAIL_TEMPLATES["course"], subject_line="Acme Academy: you are enrolled in {course_name}"),
}

FIRST_NAMES = ("Ada", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro", "Ines", "Jonas", "Kavya", "Liam")
LAST_NAMES = ("Okafor", "Schmidt", "Nakamura", "García", "Kowalski", "Patel", "Dubois", "Nguyen", "Larsen", "Haddad")
DEPARTMENTS = ("Engineering", "Finance", "Sales", "Marketing", "Operations", "People")
