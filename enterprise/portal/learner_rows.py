"""The rows of the Learners page's two tables, as HTML built here (decision 0515).

Each row through the template engine cost about as much CPU as everything else on the page (50
rows, each a few variable look-ups, a translated label, a localized date: some 700 template nodes
a request). These functions give the same markup from one format string a row: every value is
escaped by ``format_html``, the label is the template's translated message (``Select %(who)s``)
and the date the ``date:"DATETIME_FORMAT"`` filter's (local time, the locale's format), formatted
once per minute the rows share when the format shows no seconds.
"""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

#: Format characters that show less than a minute (seconds, microseconds, a timestamp, ISO/RFC forms).
_BELOW_A_MINUTE = frozenset("sucrU")


class _Dates:
    """``date:"DATETIME_FORMAT"`` of each value, formatted once per minute when the locale's format
    shows no seconds: the rows of one bulk link share their minute, and each formatting costs a few
    translation look-ups (month names, a.m./p.m.)."""

    def __init__(self):
        self.by_minute = not _BELOW_A_MINUTE & set(formats.get_format("DATETIME_FORMAT"))
        self.seen: dict = {}

    def __call__(self, value) -> str:
        if value is None:
            return ""
        key = value.replace(second=0, microsecond=0) if self.by_minute else value
        text = self.seen.get(key)
        if text is None:
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            text = self.seen[key] = formats.date_format(local, "DATETIME_FORMAT")
        return text


def linked_rows(learners) -> SafeString:
    """``<tr>`` of each linked learner (``select_related("user")``): select box, username, e-mail, name, since."""
    select, when = gettext("Select %(who)s"), _Dates()
    return format_html_join(
        "\n",
        '<tr><td><input type="checkbox" name="user_id" value="{}" aria-label="{}"></td>'
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                learner.user_id,
                select % {"who": learner.user.get_username()},
                learner.user.get_username(),
                learner.user.email,
                learner.user.get_full_name(),
                when(learner.created),
            )
            for learner in learners
        ),
    )


def pending_rows(learners) -> SafeString:
    """``<tr>`` of each pending learner: select box, e-mail, since."""
    select, when = gettext("Select %(who)s"), _Dates()
    return format_html_join(
        "\n",
        '<tr><td><input type="checkbox" name="pending_id" value="{}" aria-label="{}"></td><td>{}</td><td>{}</td></tr>',
        (
            (learner.pk, select % {"who": learner.user_email}, learner.user_email, when(learner.created))
            for learner in learners
        ),
    )
