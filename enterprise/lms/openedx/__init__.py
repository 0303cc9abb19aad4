"""The host-LMS interfaces over the HTTP APIs of an Open edX deployment.

Catalog questions go to course-discovery (``/api/v1/course_runs/``, ``/api/v1/courses/``,
``/api/v1/programs/<uuid>/``); enrollments, grades and certificates go to the LMS
(``/api/enrollment/v1/``, ``/api/grades/v1/``, ``/api/certificates/v0/``). Every call carries a
JWT obtained with the OAuth2 client-credentials grant of the LMS (``/oauth2/access_token``).
Select the backends with::

    ENTERPRISE = {
        "CATALOG_BACKEND": "enterprise.lms.openedx.backends.OpenEdXCatalog",
        "ENROLLMENT_BACKEND": "enterprise.lms.openedx.backends.OpenEdXEnrollments",
        "COMPLETION_BACKEND": "enterprise.lms.openedx.backends.OpenEdXCompletions",
    }

and point ``ENTERPRISE_OPENEDX`` (``enterprise.lms.openedx.app_settings``) at the services.
"""
