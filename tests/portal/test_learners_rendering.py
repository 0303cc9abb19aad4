"""The Learners page's rows built in Python and the unbound link form's fields kept in the cache
(decision 0515): the same markup as the templates gave, every value escaped, nothing of one
customer's page in another's."""

import datetime
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import formats, timezone

from enterprise.portal import learner_rows
from tests.factories import LearnerFactory, PendingLearnerFactory, UserFactory
from tests.portal.support import administrator, url

pytestmark = pytest.mark.django_db

FIELDS = "enterprise_portal/_link_fields.html"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def templates(response) -> list[str]:
    return [template.name for template in response.templates]


def test_rows_escape_every_value_and_carry_the_translated_label(admin_client, acme):
    created = timezone.make_aware(datetime.datetime(2026, 3, 4, 5, 6))
    user = UserFactory(username="o<b>rla", email="orla&co@example.com", first_name='Or"la', last_name="<i>K</i>")
    learner = LearnerFactory(customer=acme, user=user)
    learner.created = created
    learner.save(update_fields=["created"])
    pending = PendingLearnerFactory(customer=acme, user_email="p<q>@example.com")

    html = admin_client.get(url("learners", acme)).content.decode()

    when = formats.date_format(timezone.localtime(created), "DATETIME_FORMAT")
    assert (
        f'<tr><td><input type="checkbox" name="user_id" value="{user.pk}" aria-label="Select o&lt;b&gt;rla"></td>'
        f"<td>o&lt;b&gt;rla</td><td>orla&amp;co@example.com</td><td>Or&quot;la &lt;i&gt;K&lt;/i&gt;</td>"
        f"<td>{when}</td></tr>"
    ) in html
    assert (
        f'<tr><td><input type="checkbox" name="pending_id" value="{pending.pk}"'
        ' aria-label="Select p&lt;q&gt;@example.com"></td><td>p&lt;q&gt;@example.com</td>'
    ) in html
    assert "<b>" not in html and "<i>" not in html


def test_empty_lists_say_so(admin_client, acme):
    html = admin_client.get(url("learners", acme)).content.decode()
    assert "No linked learners." in html and "No pending learners." in html


def test_unbound_link_fields_are_rendered_once_then_read_from_the_cache(admin_client, acme, globex):
    first = admin_client.get(url("learners", acme))
    second = admin_client.get(url("learners", acme))

    assert FIELDS in templates(first) and FIELDS not in templates(second)
    fields = first.content.decode().split('<fieldset id="enrollment-fields">')[1].split("</fieldset>")[0]
    assert fields in second.content.decode() and 'id="id_course_mode"' in fields
    assert url("email_preview", acme, template_type="program") in fields

    # Another customer's page: its own fragment (its own e-mail preview links), nothing of Acme's.
    client = admin_client.__class__()
    client.force_login(administrator(globex, "gus"))
    other = client.get(url("learners", globex))
    assert FIELDS in templates(other)
    assert str(acme.uuid) not in other.content.decode()


def test_a_bound_form_is_rendered_with_its_errors_not_from_the_cache(admin_client, acme):
    admin_client.get(url("learners", acme))  # the unbound fields, cached
    response = admin_client.post(url("learners", acme), {"action": "link", "email": "not-an-address"})
    assert response.status_code == 200
    assert FIELDS in templates(response)
    html = response.content.decode()
    assert 'value="not-an-address"' in html and 'id="id_email-errors"' in html


@pytest.mark.parametrize(
    ("shown", "texts", "formatted"),
    [
        ("Y-m-d H:i", ["2026-03-04 05:06", "2026-03-04 05:06", "2026-03-04 05:07"], 2),  # once per minute
        ("Y-m-d H:i:s", ["2026-03-04 05:06:01", "2026-03-04 05:06:51", "2026-03-04 05:07:01"], 3),  # seconds shown
    ],
)
def test_row_dates_are_formatted_once_per_minute_unless_seconds_are_shown(settings, shown, texts, formatted):
    settings.TIME_ZONE = "UTC"
    start = timezone.make_aware(datetime.datetime(2026, 3, 4, 5, 6, 1), datetime.UTC)
    values = [start, start + datetime.timedelta(seconds=50), start + datetime.timedelta(seconds=60)]
    with (
        mock.patch.object(formats, "get_format", lambda name, *a, **k: shown if name == "DATETIME_FORMAT" else ""),
        mock.patch.object(
            formats, "date_format", wraps=lambda value, name: value.strftime("%Y-%m-%d %H:%M:%S")[: len(texts[0])]
        ) as date_format,
    ):
        when = learner_rows._Dates()
        assert [when(value) for value in values] == texts
    assert date_format.call_count == formatted
