"""The host LMS, seen through three small interfaces (catalog, enrollment, completion).

The classes are chosen by the ``CATALOG_BACKEND``, ``ENROLLMENT_BACKEND`` and
``COMPLETION_BACKEND`` names of ``settings.ENTERPRISE``. Callers use these functions and never
import an implementation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from enterprise.app_settings import enterprise_settings

if TYPE_CHECKING:
    from enterprise.lms.interfaces import CatalogBackend, CompletionBackend, EnrollmentBackend


def get_catalog(**kwargs) -> CatalogBackend:
    return enterprise_settings.CATALOG_BACKEND(**kwargs)


def get_enrollment_backend(**kwargs) -> EnrollmentBackend:
    return enterprise_settings.ENROLLMENT_BACKEND(**kwargs)


def get_completion_backend(**kwargs) -> CompletionBackend:
    return enterprise_settings.COMPLETION_BACKEND(**kwargs)
