"""The sessions REST API (``/classroom/api/v1/``)."""
