"""LinkedIn Learning (and Lynda, which it absorbed): courses from the asset API, progress from activity reports."""
