"""Change-list helpers that stay fast on tables with millions of rows."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

from enterprise.app_settings import enterprise_settings

#: Long addresses and course keys wrap in their cells (the learner and enrollment change lists).
LIST_CSS = "enterprise/css/admin_lists.css"


def estimated_row_count(model, using: str = "default") -> int | None:
    """The planner's estimate of a table's rows on PostgreSQL (``pg_class.reltuples``), else ``None``."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:  # -1: never analysed
        return None
    return int(row[0])


class EstimatedCountPaginator(Paginator):
    """Uses the database's row estimate instead of ``COUNT(*)`` for an unfiltered huge table.

    Filtered lists (a customer, a search) are counted exactly: they use an index. Only the
    plain list of a table larger than ``ADMIN_ESTIMATED_COUNT_THRESHOLD`` rows is estimated.
    """

    @cached_property
    def count(self):
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where:
            estimate = estimated_row_count(queryset.model, queryset.db)
            if estimate is not None and estimate > enterprise_settings.ADMIN_ESTIMATED_COUNT_THRESHOLD:
                return estimate
        return super().count


class LargeTableAdminMixin:
    """ModelAdmin settings for tables that grow to millions of rows."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False  # no second COUNT(*) of the whole table next to filtered results
    list_per_page = 50
