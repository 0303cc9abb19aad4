"""A strict fake of the Adobe Commerce REST API on 127.0.0.1 (the calls the connector makes).

- OAuth 1.0a: every request must carry an ``Authorization: OAuth`` header whose HMAC-SHA256 (or
  HMAC-SHA1) signature verifies against the integration's consumer and token secrets, with a
  fresh nonce (a replayed nonce is refused) and a timestamp within 300 s; or ``Bearer <token>``
  when ``bearer`` is set. Anything else: 401 with Commerce's error body.
- ``GET /rest/V1/store/storeConfigs``: the store views with their base currency.
- ``POST /rest/<store>/async/bulk/V1/products``: a JSON list of ``{"product": {...}}``; answers
  202 with ``bulk_uuid`` and ``request_items``; a malformed body is 400. Each item is validated as
  Commerce would (sku ≤ 64, name, price ≥ 0, type_id) when the status is read.
- ``GET /rest/V1/orders`` and ``/rest/V1/creditmemos``: ``searchCriteria`` (filter groups, sort, page; a page
  past the end answers the last page again); a ``pageSize`` over ``max_page_size`` (300: Commerce's default
  maximum with the Web API input limits on; ``None``: limits off) is refused with 400 as the store does.
- ``GET /rest/V1/bulk/<uuid>/detailed-status``: the operations, ``open`` (4) for the first
  ``open_polls`` reads, then complete (1) or not retriably failed (3) with a ``result_message``;
  ``refuse`` maps a SKU to the message the store refuses it with. Images (``media_gallery_entries``) are
  checked as Commerce's ImageContentValidator does (base64, a supported MIME type the bytes bear out,
  a plain file name); a ``url_key`` must be well-formed and not another product's.
``products`` holds what was saved; ``requests`` lists (method, path).
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.parse
import uuid
from http.server import ThreadingHTTPServer
from types import SimpleNamespace

from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

from tests.fakes.vendor import LoopbackFake, QuietHandler

COMPLETE, NOT_RETRIABLY_FAILED, OPEN = 1, 3, 4
IMAGE_ROLES = {"image", "small_image", "thumbnail", "swatch_image"}
IMAGE_SIGNATURES = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/jpg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/gif": b"GIF8",
}


class FakeCommerce(LoopbackFake):
    def __init__(
        self,
        *,
        consumer_key="ck",
        consumer_secret="cs-secret",  # noqa: S107
        token="at",  # noqa: S107
        token_secret="ats-secret",  # noqa: S107
        bearer: str | None = None,
        currency="USD",
        open_polls=1,
        max_page_size: int | None = 300,
    ):
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.token, self.token_secret = token, token_secret
        self.bearer = bearer
        self.currency = currency
        self.open_polls = open_polls
        self.max_page_size = max_page_size
        self._found: tuple | None = None  # (criteria without the page, the collection, its length, the orders)
        self.refuse: dict[str, str] = {}
        self.products: dict[str, dict] = {}
        self.bulks: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.orders: list[dict] = []
        self.creditmemos: list[dict] = []
        self.criteria: list[dict] = []
        self.nonces: set[str] = set()
        self._make_loopback_server()

    # Authentication

    def authenticated(self, method: str, path_qs: str, authorization: str) -> str | None:
        """None when the request is authentic, else the reason."""
        if self.bearer is not None:
            return None if authorization == f"Bearer {self.bearer}" else "bad bearer token"
        if not authorization.startswith("OAuth "):
            return "no OAuth header"
        params = {k: urllib.parse.unquote(v) for k, v in parse_authorization_header(authorization)}
        if params.get("oauth_consumer_key") != self.consumer_key or params.get("oauth_token") != self.token:
            return "unknown consumer or token"
        if params.get("oauth_version", "1.0") != "1.0":
            return "bad oauth_version"
        try:
            if abs(time.time() - int(params["oauth_timestamp"])) > 300:
                return "stale timestamp"
        except (KeyError, ValueError):
            return "no timestamp"
        nonce = params.get("oauth_nonce")
        if not nonce or nonce in self.nonces:
            return "replayed nonce"
        uri = self.url + path_qs
        query = urllib.parse.parse_qsl(urllib.parse.urlsplit(path_qs).query, keep_blank_values=True)
        all_params = [(k, v) for k, v in params.items() if k != "oauth_signature"] + query
        normalized = oauth_signature.normalize_parameters(all_params)
        base = oauth_signature.signature_base_string(method, oauth_signature.base_string_uri(uri), normalized)
        method_name = params.get("oauth_signature_method")
        secrets = SimpleNamespace(client_secret=self.consumer_secret, resource_owner_secret=self.token_secret)
        if method_name == "HMAC-SHA256":
            expected = oauth_signature.sign_hmac_sha256_with_client(base, secrets)
        elif method_name == "HMAC-SHA1":
            expected = oauth_signature.sign_hmac_sha1_with_client(base, secrets)
        else:
            return "unsupported signature method"
        if expected != params.get("oauth_signature"):
            return "bad signature"
        self.nonces.add(nonce)
        return None

    # Business

    def accept_bulk(self, body) -> tuple[int, dict]:
        if not isinstance(body, list) or not all(
            isinstance(i, dict) and isinstance(i.get("product"), dict) for i in body
        ):
            return 400, {"message": 'The request body must be a list of {"product": …} entries.'}
        bulk_uuid = str(uuid.uuid4())
        self.bulks[bulk_uuid] = {"items": [item["product"] for item in body], "reads": 0}
        items = [
            {"id": i, "data_hash": str(hash(json.dumps(p, sort_keys=True))), "status": "accepted"}
            for i, p in enumerate(body)
        ]
        return 202, {"bulk_uuid": bulk_uuid, "request_items": items, "errors": False}

    def status_of(self, bulk_uuid: str) -> tuple[int, dict]:
        bulk = self.bulks.get(bulk_uuid)
        if bulk is None:
            return 404, {"message": 'Bulk entity with a specified ID "%1" does not exist.', "parameters": [bulk_uuid]}
        bulk["reads"] += 1
        operations = []
        for index, product in enumerate(bulk["items"]):
            if bulk["reads"] <= self.open_polls:
                status, message = OPEN, None
            else:
                message = self.validate(product)
                status = NOT_RETRIABLY_FAILED if message else COMPLETE
                if not message:
                    self.products[product["sku"]] = product
            operations.append(
                {
                    "id": index,
                    "topic_name": "async.magento.catalog.api.productrepositoryinterface.save.post",
                    "status": status,
                    "result_message": message,
                    "error_code": None if status != 3 else 0,
                }
            )
        return 200, {"operations_list": operations, "bulk_id": bulk_uuid, "operation_count": len(operations)}

    def validate(self, product: dict) -> str | None:
        sku = product.get("sku")
        if not isinstance(sku, str) or not sku or len(sku) > 64:
            return 'The "sku" attribute value is empty or longer than 64 characters.'
        if sku in self.refuse:
            return self.refuse[sku]
        if not product.get("name"):
            return 'The "name" attribute value is empty.'
        if not isinstance(product.get("price"), (int, float)) or product["price"] < 0:
            return 'The "price" attribute value is invalid.'
        if product.get("type_id") not in ("simple", "virtual", "downloadable"):
            return "Invalid product type."
        attributes = {a.get("attribute_code"): a.get("value") for a in product.get("custom_attributes") or []}
        url_key = attributes.get("url_key")
        if url_key is not None:
            if not isinstance(url_key, str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", url_key):
                return 'Invalid value of "url_key": lower-case letters, digits and dashes.'
            owner = next((s for s, p in self.products.items() if self._url_key(p) == url_key), sku)
            if owner != sku:
                return "URL key for specified store already exists."
        for entry in product.get("media_gallery_entries") or []:
            problem = self.validate_image(entry)
            if problem:
                return problem
        return None

    @staticmethod
    def _url_key(product: dict) -> str | None:
        for attribute in product.get("custom_attributes") or []:
            if attribute.get("attribute_code") == "url_key":
                return attribute.get("value")
        return None

    @staticmethod
    def validate_image(entry) -> str | None:
        """Commerce's ImageContentValidator and media gallery checks: base64 that decodes to an image of the
        declared type (its bytes are read, as getimagesizefromstring does), a plain file name, known roles."""
        if not isinstance(entry, dict) or entry.get("media_type") != "image":
            return "The media type is not supported."
        if not set(entry.get("types") or []) <= IMAGE_ROLES:
            return "Unknown image role."
        content = entry.get("content")
        if not isinstance(content, dict):
            return "The image content is required."
        try:
            data = base64.b64decode(content.get("base64_encoded_data") or "", validate=True)
        except (ValueError, TypeError):
            return "The image content must be valid base64 encoded data."
        mime = content.get("type")
        if mime not in IMAGE_SIGNATURES:
            return "The image MIME type is not valid or not supported."
        if not data.startswith(IMAGE_SIGNATURES[mime]):
            return "The image content is not a valid image of its declared type."
        name = content.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+\.(jpe?g|png|gif)", name):
            return "Provided image name contains forbidden characters."
        return None

    def search_orders(self, query: str, collection=None) -> tuple[int, dict]:
        """``searchCriteria`` as Commerce reads it: filter groups AND-ed, eq/gteq, sort, page; a page past
        the end answers the last page again (as Commerce does)."""
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        if not params or any(not k.startswith("searchCriteria") for k in params):
            return 400, {"message": '"searchCriteria" is required. Enter and try again.'}
        self.criteria.append(params)
        try:
            size = int(params.get("searchCriteria[pageSize]", "20"))
            page = int(params.get("searchCriteria[currentPage]", "1"))
        except ValueError:
            return 400, {"message": "pageSize and currentPage are whole numbers."}
        if size < 1 or page < 1:
            return 400, {"message": "pageSize and currentPage start at 1."}
        if self.max_page_size is not None and size > self.max_page_size:  # the store's Web API input limits
            return 400, {
                "message": "Maximum SearchCriteria pageSize is %max",
                "parameters": {"max": self.max_page_size},
            }
        collection = self.orders if collection is None else collection
        criteria = tuple(sorted((k, v) for k, v in params.items() if k != "searchCriteria[currentPage]"))
        found = self._found
        # A read's later pages reuse its first page's search (filtering every order per page would make the
        # fake, not the connector, what a large benchmark measures); a first page or a new list searches again.
        if page == 1 or found is None or found[:3] != (criteria, id(collection), len(collection)):
            orders = self._search(params, collection)
            if isinstance(orders, tuple):
                return orders
            self._found = found = (criteria, id(collection), len(collection), orders)
        orders = found[3]
        last = max(1, -(-len(orders) // size))
        page = min(page, last)
        return 200, {
            "items": orders[(page - 1) * size : page * size],
            "total_count": len(orders),
            "search_criteria": {},
        }

    @staticmethod
    def _search(params: dict, collection: list[dict]) -> list[dict] | tuple[int, dict]:
        """The orders (or credit memos) the filter groups select, by ``updated_at``; or a 400 answer."""
        filters = {}
        for key, value in params.items():
            if key.startswith("searchCriteria[filter_groups]"):
                group, _f, index, name = [p.strip("]") for p in key.split("[")[2:6]]
                filters.setdefault((group, index), {})[name] = value
        orders = list(collection)
        for spec in filters.values():
            field, value, condition = spec.get("field"), spec.get("value"), spec.get("condition_type", "eq")
            if field not in ("status", "updated_at") or condition not in ("eq", "gteq"):
                return 400, {"message": f"Invalid filter {field} {condition}."}
            if condition == "eq":
                orders = [o for o in orders if str(o.get(field)) == value]
            else:
                orders = [o for o in orders if str(o.get(field)) >= value]
        orders.sort(key=lambda o: o["updated_at"])
        return orders

    def _new_server(self):
        fake = self

        class Handler(QuietHandler):
            def _send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = urllib.parse.urlsplit(self.path).path
                fake.requests.append((self.command, path))
                reason = fake.authenticated(self.command, self.path, self.headers.get("Authorization", ""))
                if reason:
                    return self._send(
                        401,
                        {
                            "message": "The consumer isn't authorized to access %resources.",
                            "parameters": {"resources": "Magento_Catalog::products"},
                            "reason": reason,
                        },
                    )
                if self.command == "GET" and path == "/rest/V1/store/storeConfigs":
                    return self._send(200, [{"id": 1, "code": "default", "base_currency_code": fake.currency}])
                if self.command == "POST" and path.endswith("/async/bulk/V1/products") and path.startswith("/rest/"):
                    if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                        return self._send(400, {"message": "Content-Type must be application/json."})
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        return self._send(400, {"message": "Decoding error: malformed JSON."})
                    return self._send(*fake.accept_bulk(body))
                if self.command == "GET" and path == "/rest/V1/orders":
                    return self._send(*fake.search_orders(urllib.parse.urlsplit(self.path).query))
                if self.command == "GET" and path == "/rest/V1/creditmemos":
                    return self._send(*fake.search_orders(urllib.parse.urlsplit(self.path).query, fake.creditmemos))
                parts = path.split("/")
                if (
                    self.command == "GET"
                    and len(parts) == 6
                    and parts[1:4] == ["rest", "V1", "bulk"]
                    and parts[5] == "detailed-status"
                ):
                    return self._send(*fake.status_of(parts[4]))
                return self._send(404, {"message": "Request does not match any route."})

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)
