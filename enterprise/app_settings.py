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
    from SECRET_KEY (``manage.py check`` reports an error, enterprise.E003, when that SECRET_KEY
    is empty or a known default; decision 0162).
ADMIN_ESTIMATED_COUNT_THRESHOLD
    Admin change lists of tables with more rows than this (by the database's own estimate)
    show an estimated total instead of running ``COUNT(*)`` when no filter is applied.
MANAGE_LEARNERS_MAX_UPLOAD_BYTES
    Largest CSV file the Manage Learners page and ``manage.py link_learners`` accept, in bytes;
    a larger file is refused before it is read. Default: 10 MiB (about 300,000 addresses).
UPLOAD_MAX_BYTES
    Largest file one request may upload, in bytes, when ``enterprise.uploads.UploadLimitHandler``
    is first in ``FILE_UPLOAD_HANDLERS`` (the standalone host installs it): a larger upload is
    stopped as soon as its Content-Length or its bytes pass the limit, before it is stored, and
    the page or the API (413) says so. ``None``: no limit. Default: 10 MiB.
MANAGE_LEARNERS_MAX_ROWS
    Most non-blank rows one CSV upload may hold (a header counts); reading stops and the file is
    refused at the first row beyond. Default: 100,000.
MANAGE_LEARNERS_DEADLOCK_RETRIES
    Times a submission (CSV upload, API bulk link or enroll, single link) that deadlocked with a
    concurrent one on the same learners is tried again from the start, after a short random
    pause; then it is refused with a clear "busy" error (API: 503) and nothing applied. Default: 5.
MANAGE_LEARNERS_CHUNK_SIZE
    Rows linked per round of set-based queries (existing links, pending rows, inserts).
    Default: 5,000.
MANAGE_LEARNERS_LOOKUP_APART
    On PostgreSQL, a submission of more than one chunk that writes (Manage Learners, the API's
    list, ``manage.py link_learners``; not a preview that writes nothing) looks its next chunk up
    on a second, read-only connection while the first writes the chunk before (decision 0585): one
    more connection per running submission. ``False``: every statement on the one connection.
    Default: ``True``.
MANAGE_LEARNERS_PREVIEW_ROWS
    Rows shown on the page under a preview or result (problems first); the downloadable CSV
    report holds them all. Default: 500.
MANAGE_LEARNERS_UPLOAD_MAX_AGE
    Seconds an uploaded CSV waits in storage for its preview to be confirmed; older uploads and
    reports are refused and deleted. Default: 3600.
MANAGE_LEARNERS_PAGE_SIZE
    Learners per page in the linked and pending lists of the Manage Learners page. Default: 25.
PORTAL_LEARNERS_COUNT_LIMIT
    The portal's Learners page counts each whole list up to this many learners only: a longer
    list is shown as "more than N", its pages unnumbered (counting a million learners took most
    of the page's time, decision 0450). ``None``: count them all, as the admin's page does.
    Default: 10,000.
SITE_URL
    The address learners and staff reach the site at (``scheme://host[:port]``, no path): links
    in e-mails that are given as paths (the enrollment URLs below) are made absolute with it, and
    ``manage.py seed_demo`` prints the admin's address from it. The standalone host reads it from
    the ``SITE_URL`` environment variable (``make demo`` sets it from ``DEMO_ADDRESS``).
    Default: ``http://127.0.0.1:8000``.
COURSE_ENROLLMENT_URL
    The ``{enrollment_url}`` of course notification e-mails; ``{course_id}`` is replaced. A path
    is joined to ``SITE_URL``; a full URL (another host, e.g. the LMS) is used as it is.
    Default: ``/courses/{course_id}/about``.
PROGRAM_ENROLLMENT_URL
    The ``{enrollment_url}`` of program notification e-mails; ``{program_id}`` is replaced; a path
    is joined to ``SITE_URL``. Default: ``/dashboard/programs/{program_id}/``.
NOTIFICATION_BATCH_SIZE
    Enrollment notification e-mails sent per Celery task (one SMTP connection each). Default: 500.
NOTIFICATION_QUEUE
    Celery queue of the notification tasks; empty: Celery's default queue. Default: "".
PORTAL_REPORTS_REFRESH_HOURS
    Every how many hours Celery beat refreshes the portal's report figures of every customer (the
    periodic task ``enterprise-portal-refresh-reports``, written by ``manage.py migrate``); 0 or
    ``None``: no periodic refresh (the task is removed). Default: 24.
"""

from enterprise.conf import AppSettings

DEFAULTS = {
    "CATALOG_BACKEND": "enterprise.lms.local.backends.LocalCatalog",
    "ENROLLMENT_BACKEND": "enterprise.lms.local.backends.LocalEnrollments",
    "COMPLETION_BACKEND": "enterprise.lms.local.backends.LocalCompletions",
    "ENROLLMENT_MODES": ["audit", "honor", "verified", "professional", "no-id-professional", "credit"],
    "ENCRYPTION_KEYS": [],
    "ADMIN_ESTIMATED_COUNT_THRESHOLD": 100_000,
    "MANAGE_LEARNERS_MAX_UPLOAD_BYTES": 10 * 1024 * 1024,
    "UPLOAD_MAX_BYTES": 10 * 1024 * 1024,
    "MANAGE_LEARNERS_MAX_ROWS": 100_000,
    "MANAGE_LEARNERS_DEADLOCK_RETRIES": 5,
    "MANAGE_LEARNERS_CHUNK_SIZE": 5_000,
    "MANAGE_LEARNERS_LOOKUP_APART": True,
    "MANAGE_LEARNERS_PREVIEW_ROWS": 500,
    "MANAGE_LEARNERS_UPLOAD_MAX_AGE": 3600,
    "MANAGE_LEARNERS_PAGE_SIZE": 25,
    "PORTAL_LEARNERS_COUNT_LIMIT": 10_000,
    "SITE_URL": "http://127.0.0.1:8000",
    "COURSE_ENROLLMENT_URL": "/courses/{course_id}/about",
    "PROGRAM_ENROLLMENT_URL": "/dashboard/programs/{program_id}/",
    "NOTIFICATION_BATCH_SIZE": 500,
    "NOTIFICATION_QUEUE": "",
    "PORTAL_REPORTS_REFRESH_HOURS": 24,
}

IMPORT_STRINGS = ("CATALOG_BACKEND", "ENROLLMENT_BACKEND", "COMPLETION_BACKEND")

enterprise_settings = AppSettings("ENTERPRISE", DEFAULTS, IMPORT_STRINGS)
