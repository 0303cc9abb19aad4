"""The embedded host-LMS backend: the app's own catalog, enrollment, certificate and grade tables.

Add ``enterprise.lms.local`` to ``INSTALLED_APPS`` to use it (the default backends of
``settings.ENTERPRISE`` point here). Other services fill these tables through the REST API or
connector imports.
"""
