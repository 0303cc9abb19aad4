"""Courses from content providers (LinkedIn Learning, getAbstract, Harvard ManageMentor, ...) in the catalog.

Decision 0240: the provider's course is a course of the local catalog (``lms_local.Course``) plus a
``ProviderCourse`` row holding what only a provider course has (provider id, language, library,
launch URL, last seen, retired); customers' catalogs, tags and learners' provider progress live here
too. The connectors (``integrated_channels.linkedin_learning`` ...) fill these tables through
``services``; the catalog interface (``enterprise.lms.local.backends.LocalCatalog``) shows them.
"""
