"""The rows of the Learners page's two tables, as HTML built here (decision 0515).

Each row through the template engine cost about as much CPU as everything else on the page (50
rows, each a few variable look-ups, a translated label, a localized date: some 700 template nodes
a request). These functions give the same markup from one format string a row: every value is
escaped by ``format_html``, the label is the template's translated message (``Select %(who)s``)
and the date the ``date:"DATETIME_FORMAT"`` filter's (local time, the locale's format).
"""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext


def _when(value) -> str:
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT")


def linked_rows(learners) -> SafeString:
    """``<tr>`` of each linked learner (``select_related("user")``): select box, username, e-mail, name, since."""
    select = gettext("Select %(who)s")
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
                _when(learner.created),
            )
            for learner in learners
        ),
    )


def pending_rows(learners) -> SafeString:
    """``<tr>`` of each pending learner: select box, e-mail, since."""
    select = gettext("Select %(who)s")
    return format_html_join(
        "\n",
        '<tr><td><input type="checkbox" name="pending_id" value="{}" aria-label="{}"></td><td>{}</td><td>{}</td></tr>',
        (
            (learner.pk, select % {"who": learner.user_email}, learner.user_email, _when(learner.created))
            for learner in learners
        ),
    )
