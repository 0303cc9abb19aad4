"""GET /Users and POST /.search: filters (eq, co, sw, ew, ne, gt…, and/or/not, value paths), paging, query counts."""

import pytest

from integrated_channels.scim.models import ScimUser
from tests.integrated_channels.scim.test_auth_and_discovery import assert_error


@pytest.fixture
def people(scim):
    made = {}
    for user_name, email, given, external, active in [
        ("Ann.Lee", "ann@acme.com", "Ann", "E-1", True),
        ("bob.stone", "bob@acme.com", "Bob", "e-2", True),
        ("carla.lee", "carla@globex.com", "Carla", "E-3", False),
        ("dan", "dan@acme.com", "Dan", "", True),
    ]:
        made[user_name] = scim.create(
            user_name, email, name={"givenName": given}, externalId=external or None, active=active
        )["id"]
    return made


def names(scim, filter_, **extra):
    response = scim.get("Users", {"filter": filter_, **extra})
    assert response.status_code == 200, response.json()
    return sorted(user["userName"] for user in response.json()["Resources"])


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ('userName eq "ann.lee"', ["Ann.Lee"]),  # userName is case-insensitive
        ('userName eq "nobody"', []),
        ('userName co "LEE"', ["Ann.Lee", "carla.lee"]),
        ('userName sw "b"', ["bob.stone"]),
        ('userName ew ".lee"', ["Ann.Lee", "carla.lee"]),
        ('userName ne "dan"', ["Ann.Lee", "bob.stone", "carla.lee"]),
        ('externalId eq "E-2"', []),  # externalId is case-exact
        ('externalId eq "e-2"', ["bob.stone"]),
        ("externalId pr", ["Ann.Lee", "bob.stone", "carla.lee"]),
        ('emails.value co "@acme.com"', ["Ann.Lee", "bob.stone", "dan"]),
        ('emails[type eq "work" and value eq "carla@globex.com"]', ["carla.lee"]),
        ('emails[type eq "work"].value eq "dan@acme.com"', ["dan"]),  # Entra's form
        ("active eq false", ["carla.lee"]),
        ('name.givenName sw "a" and active eq true', ["Ann.Lee"]),
        ('userName eq "dan" or name.givenName eq "bob"', ["bob.stone", "dan"]),
        ('(userName sw "a" or userName sw "c") and not (active eq false)', ["Ann.Lee"]),
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "dan"', ["dan"]),
        ('meta.created gt "2000-01-01T00:00:00Z"', ["Ann.Lee", "bob.stone", "carla.lee", "dan"]),
    ],
)
def test_filters(scim, people, filter_, expected):
    assert names(scim, filter_) == expected


@pytest.mark.parametrize(
    "filter_",
    [
        'userName eq "unterminated',
        "userName zz 1",
        'title eq "x"',  # not an indexed attribute: refused, not scanned
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"',
        "active eq 1",
        'meta.created gt "yesterday"',
    ],
)
def test_unsupported_or_invalid_filters_are_invalid_filter(scim, people, filter_):
    assert_error(scim.get("Users", {"filter": filter_}), 400, "invalidFilter")


def test_the_id_filter(scim, people):
    assert names(scim, f'id eq "{people["dan"]}"') == ["dan"]
    assert names(scim, 'id eq "not-a-uuid"') == []


def test_paging_with_start_index_and_count(scim, people):
    first = scim.get("Users", {"startIndex": 1, "count": 2}).json()
    assert (first["totalResults"], first["startIndex"], first["itemsPerPage"]) == (4, 1, 2)
    second = scim.get("Users", {"startIndex": 3, "count": 2}).json()
    assert (second["startIndex"], second["itemsPerPage"]) == (3, 2)
    ids = [user["id"] for user in first["Resources"] + second["Resources"]]
    assert sorted(ids) == sorted(people.values())
    beyond = scim.get("Users", {"startIndex": 10}).json()
    assert (beyond["totalResults"], beyond["Resources"]) == (4, [])
    only_total = scim.get("Users", {"count": 0}).json()
    assert (only_total["totalResults"], only_total["itemsPerPage"], only_total["Resources"]) == (4, 0, [])
    assert scim.get("Users", {"startIndex": 0, "count": -5}).json()["startIndex"] == 1  # read as 1 and 0
    assert_error(scim.get("Users", {"count": "many"}), 400, "invalidValue")


def test_post_search(scim, people):
    for path in ("Users/.search", ".search"):
        response = scim.post(
            path,
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "filter": 'userName sw "b"',
                "attributes": ["userName"],
                "startIndex": 1,
                "count": 10,
            },
        )
        assert response.status_code == 200
        [found] = response.json()["Resources"]
        assert found["userName"] == "bob.stone" and "emails" not in found


def test_list_answers_with_a_fixed_number_of_queries(scim, django_assert_num_queries):
    for number in range(30):
        scim.create(f"user{number}", f"user{number}@acme.com")
    assert ScimUser.objects.count() == 30
    # The token (1), the page (1) and the total (1): whatever the page size and the filter.
    with django_assert_num_queries(3):
        page = scim.get("Users", {"count": 25, "filter": 'userName sw "user" and active eq true'}).json()
    assert (page["totalResults"], page["itemsPerPage"]) == (30, 25)
    with django_assert_num_queries(2):  # a short first page is its own total
        assert scim.get("Users", {"filter": 'userName sw "user1"'}).json()["totalResults"] == 11
