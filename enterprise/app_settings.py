"""Settings of the ``enterprise`` app, read from ``settings.ENTERPRISE`` (a dict).

Every name, its default and what it does:

CATALOG_BACKEND
    Dotted path of the class that answers catalog questions (courses, programs, search).
    Default: the embedded ``local`` backend, ``enterprise.lms.local.backends.LocalCatalog``.
ENROLLMENT_BACKEND
    Dotted path of the class that enrolls users in the host LMS.
    Default: ``enterprise.lms.local.backends.LocalEnrollments``.
COMPLETION_BACKEND
    Dotted path of the class that reports certificates and grades.
    Default: ``enterprise.lms.local.backends.LocalCompletions``.
ENROLLMENT_MODES
    Every course enrollment mode an operator may choose when enrolling into a program
    (the catalog cannot tell which modes all courses of a program share).
ENCRYPTION_KEYS
    Fernet keys (newest first) that encrypt secrets at rest. The first encrypts, all decrypt;
    ``manage.py rotate_encryption_keys`` re-encrypts with the first. Empty: one key derived
    from SECRET_KEY (fine for the demo; set your own keys in production).
ADMIN_ESTIMATED_COUNT_THRESHOLD
    Admin change lists of tables with more rows than this (by the database's own estimate)
    show an estimated total instead of running ``COUNT(*)`` when no filter is applied.
"""

from enterprise.conf import AppSettings

DEFAULTS = {
    "CATALOG_BACKEND": "enterprise.lms.local.backends.LocalCatalog",
    "ENROLLMENT_BACKEND": "enterprise.lms.local.backends.LocalEnrollments",
    "COMPLETION_BACKEND": "enterprise.lms.local.backends.LocalCompletions",
    "ENROLLMENT_MODES": ["audit", "honor", "verified", "professional", "no-id-professional", "credit"],
    "ENCRYPTION_KEYS": [],
    "ADMIN_ESTIMATED_COUNT_THRESHOLD": 100_000,
}

IMPORT_STRINGS = ("CATALOG_BACKEND", "ENROLLMENT_BACKEND", "COMPLETION_BACKEND")

enterprise_settings = AppSettings("ENTERPRISE", DEFAULTS, IMPORT_STRINGS)
