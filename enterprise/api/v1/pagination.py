"""Cursor pagination for every list: stable under inserts and as cheap on page 1,000 as on page 1."""

from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    ordering = ("-created", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CatalogPagination(CursorPagination):
    ordering = ("course_id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ProgramPagination(CatalogPagination):
    ordering = ("program_id",)
