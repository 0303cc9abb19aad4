"""The Adobe Commerce REST client: OAuth 1.0a (HMAC-SHA256, oauthlib) or bearer, async bulk calls.

Every try is signed afresh (a ``requests`` auth hook: new nonce and timestamp per try, so a retry
is never a replay). Commerce signs the URL's query parameters with the oauth ones; a JSON body is
not part of the signature (RFC 5849 §3.4.1.3: only form-encoded bodies are).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

from integrated_channels.integrated_channel.exceptions import MalformedResponse
from integrated_channels.integrated_channel.transports.http import HttpTransport

#: detailed-status codes of a bulk operation (Magento\Framework\Bulk\OperationInterface)
COMPLETE, RETRIABLY_FAILED, NOT_RETRIABLY_FAILED, OPEN, REJECTED = 1, 2, 3, 4, 5


class OAuth1Signer(requests.auth.AuthBase):
    def __init__(self, *, consumer_key, consumer_secret, token, token_secret):
        self.client = Client(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=token,
            resource_owner_secret=token_secret,
            signature_method=SIGNATURE_HMAC_SHA256,
        )

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        _uri, headers, _body = self.client.sign(request.url, http_method=request.method)
        request.headers["Authorization"] = headers["Authorization"]
        return request


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@dataclass
class BulkItem:
    index: int
    status: int
    message: str = ""


class CommerceClient(HttpTransport):
    name = "Adobe Commerce"

    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        if configuration.auth == configuration.Auth.BEARER:
            self.session.auth = BearerAuth(configuration.bearer_token)
        else:
            self.session.auth = OAuth1Signer(
                consumer_key=configuration.consumer_key,
                consumer_secret=configuration.consumer_secret,
                token=configuration.access_token,
                token_secret=configuration.access_token_secret,
            )
        self.base = configuration.base_url.rstrip("/") + "/rest/" + quote(configuration.store_code, safe="")

    def remote_message(self, response):
        try:
            body = response.json()
        except ValueError:
            return super().remote_message(response)
        if isinstance(body, dict) and "message" in body:
            message = str(body["message"])
            parameters = body.get("parameters") or []
            if isinstance(parameters, dict):  # named placeholders: "%max"
                for name, value in sorted(parameters.items(), key=lambda item: -len(str(item[0]))):
                    message = message.replace(f"%{name}", str(value))
            else:
                for index, value in enumerate(parameters):  # "%1" placeholders
                    message = message.replace(f"%{index + 1}", str(value))
            return message
        return super().remote_message(response)

    def store_config(self):
        url = self.configuration.base_url.rstrip("/") + "/rest/V1/store/storeConfigs"
        return self.parse_json(self.request("GET", url), what="the store configuration")

    def bulk_save_products(self, products: list[dict]) -> str:
        """Queue one bulk operation saving ``products``; its bulk_uuid (items refused at once are
        reported by ``bulk_status`` like the others)."""
        body = [{"product": product} for product in products]
        answer = self.parse_json(
            self.request("POST", self.base + "/async/bulk/V1/products", json=body),
            what="the bulk product save",
        )
        if not isinstance(answer, dict) or not answer.get("bulk_uuid"):
            raise MalformedResponse(f"{self.name} answered the bulk product save without a bulk_uuid.")
        return str(answer["bulk_uuid"])

    def bulk_status(self, bulk_uuid: str) -> list[BulkItem]:
        path = self.configuration.base_url.rstrip("/") + f"/rest/V1/bulk/{quote(bulk_uuid, safe='')}/detailed-status"
        answer = self.parse_json(self.request("GET", path), what="a bulk operation's status")
        try:
            return [
                BulkItem(index=int(op["id"]), status=int(op["status"]), message=str(op.get("result_message") or ""))
                for op in answer["operations_list"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse(f"{self.name} answered a bulk status without its operations list.") from exc

    def orders_page(self, *, since: str | None, page: int, page_size: int) -> dict:
        """One page of complete orders updated since ``since`` (Commerce's "Y-m-d H:i:s", UTC), oldest first."""
        status = {"field": "status", "value": "complete", "condition_type": "eq"}
        return self._search("/rest/V1/orders", "the orders", status, since=since, page=page, page_size=page_size)

    def creditmemos_page(self, *, since: str | None, page: int, page_size: int) -> dict:
        """One page of credit memos (refunds) updated since ``since``, oldest first."""
        return self._search(
            "/rest/V1/creditmemos", "the credit memos", None, since=since, page=page, page_size=page_size
        )

    def _search(self, path, what, first, *, since, page, page_size) -> dict:
        params = {
            "searchCriteria[sortOrders][0][field]": "updated_at",
            "searchCriteria[sortOrders][0][direction]": "ASC",
            "searchCriteria[pageSize]": str(page_size),
            "searchCriteria[currentPage]": str(page),
        }
        filters = [f for f in (first, since and {"field": "updated_at", "value": since, "condition_type": "gteq"}) if f]
        for group, spec in enumerate(filters):  # filter groups are AND-ed
            for name, value in spec.items():
                params[f"searchCriteria[filter_groups][{group}][filters][0][{name}]"] = value
        url = self.configuration.base_url.rstrip("/") + path
        answer = self.parse_json(self.request("GET", url, params=params), what=what)
        if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
            raise MalformedResponse(f"{self.name} answered {what} without an items list.")
        return answer
