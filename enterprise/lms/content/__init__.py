"""Courses from content providers (LinkedIn Learning, getAbstract, Harvard ManageMentor, ...) in the catalog.

Decision 0240: the provider's course is a course of the local catalog (``lms_local.Course``) plus a
``ProviderCourse`` row holding what only a provider course has (provider id, language, library,
launch URL, last seen, retired); customers' catalogs, tags and learners' provider progress live here
too. The connectors (``integrated_channels.linkedin_learning`` ...) fill these tables through
``services``; the catalog interface (``enterprise.lms.local.backends.LocalCatalog``) shows them.
"""

#: Namespaces of Open edX's opaque keys (``course-v1:…``, ``ccx-v1:…``, library and block keys): a provider's
#: code is never one of them, so a provider course's id (``provider:provider_id``) cannot be an Open edX key
#: and the Open edX backends can hand provider courses to the local ones by their id (decision 0390).
OPENEDX_KEY_NAMESPACES = (
    "asset-v1",
    "block-v1",
    "c4x",
    "ccx-block-v1",
    "ccx-v1",
    "course-v1",
    "i4x",
    "lb",
    "lib",
    "library-v1",
)
