import pytest

from integrated_channels.scim.services.tokens import create_token
from tests.factories import CustomerFactory

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class Scim:
    """A client of /scim/v2/ with one customer's bearer token."""

    def __init__(self, client, customer, secret):
        self.client, self.customer, self.secret = client, customer, secret

    def _headers(self):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.secret}"}

    def get(self, path, data=None):
        return self.client.get(f"/scim/v2/{path}", data, **self._headers())

    def send(self, method, path, body):
        return getattr(self.client, method)(
            f"/scim/v2/{path}", body, content_type="application/scim+json", **self._headers()
        )

    def post(self, path, body):
        return self.send("post", path, body)

    def put(self, path, body):
        return self.send("put", path, body)

    def patch(self, path, *operations):
        return self.send("patch", path, {"schemas": [PATCH_SCHEMA], "Operations": list(operations)})

    def delete(self, path):
        return self.client.delete(f"/scim/v2/{path}", **self._headers())

    def create(self, user_name, email=None, **extra):
        body = {"schemas": [USER_SCHEMA], "userName": user_name, **extra}
        if email is not None:
            body["emails"] = [{"value": email, "type": "work", "primary": True}]
        response = self.post("Users", body)
        assert response.status_code == 201, response.json()
        return response.json()


@pytest.fixture
def customer(db):
    return CustomerFactory(slug="acme")


@pytest.fixture
def scim(client, customer):
    return Scim(client, customer, create_token(customer=customer, name="tests").secret)


@pytest.fixture
def other_scim(client, db):
    other = CustomerFactory(slug="globex", name="Globex")
    return Scim(client, other, create_token(customer=other).secret)


def user_body(user_name, email, **extra):
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": user_name,
        "emails": [{"value": email, "type": "work", "primary": True}],
        **extra,
    }
