"""The public catalog read by a browser from other origins: a static page on 127.0.0.1 at another port.

The API runs on the live server; each page is served by a small HTTP server of its own (another
port is another origin). The allow-listed page reads the catalog with a request that needs a CORS
preflight (``If-None-Match`` is not a safelisted header) and sees the exposed ETag; a page of an
origin not on the list is refused by the browser itself: its fetch fails, the body never reaches it.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache

from enterprise.lms.local import models as lms
from integrated_channels.integrated_channel.models import Run
from integrated_channels.training_data.models import TrainingDataAccessConfiguration
from integrated_channels.training_data.operations import build_catalog
from integrated_channels.training_data.views import PublicCatalogView
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>catalog</title></head><body>
<pre id="out"></pre>
<script>
const api = %(api)s;
async function read(headers) {
  try {
    const response = await fetch(api + "?q=python", {headers: headers, mode: "cors"});
    const body = await response.json();
    return {ok: true, status: response.status, etag: response.headers.get("ETag"), count: body.count,
            titles: body.results.map(r => r.title)};
  } catch (error) {
    return {ok: false, error: String(error)};
  }
}
(async () => {
  window.simple = await read({});
  window.preflighted = await read({"If-None-Match": '"nothing"'});
  document.getElementById("out").textContent = JSON.stringify([window.simple, window.preflighted]);
  window.done = true;
})();
</script></body></html>"""


@contextmanager
def page_server(api_url: str):
    """An HTTP server on 127.0.0.1 (a port of its own: an origin of its own) serving the page at /."""
    html = (PAGE % {"api": json.dumps(api_url)}).encode()
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _results(page, url):
    page.goto(url + "/")
    page.wait_for_function("window.done === true")
    return page.evaluate("window.simple"), page.evaluate("window.preflighted")


def test_an_allow_listed_origin_reads_the_catalog_and_another_is_refused_by_the_browser(
    live_server, open_browser, artifacts_dir, monkeypatch
):
    cache.clear()  # the rate limit's counters
    # the preflights as the API answered them (the live server runs in this process; Chromium does not
    # report preflights to Playwright)
    preflights: list[tuple[str, int]] = []
    answer = PublicCatalogView.finalize_response

    def recorded(view, request, response, *args, **kwargs):
        response = answer(view, request, response, *args, **kwargs)
        if request.method == "OPTIONS":
            preflights.append((request.headers.get("Origin"), response.status_code))
        return response

    monkeypatch.setattr(PublicCatalogView, "finalize_response", recorded)
    customer = CustomerFactory(slug="acme")
    lms.Course.objects.create(course_id="course-v1:Acme+PY+2027", title="Python for analysts")
    api = live_server.url + "/training-data/api/v1/acme/catalog/"
    with page_server(api) as allowed, page_server(api) as other:
        assert allowed != other and live_server.url not in (allowed, other)  # three origins
        connection = TrainingDataAccessConfiguration.objects.create(
            customer=customer, name="site", active=True, allowed_origins=allowed
        )
        build_catalog(connection, trigger=Run.Trigger.ADMIN)
        with open_browser() as page:
            simple, preflighted = _results(page, allowed)
            page.screenshot(path=str(artifacts_dir / "public-catalog-cors-allowed.png"))
            assert simple == {
                "ok": True,
                "status": 200,
                "etag": simple["etag"],
                "count": 1,
                "titles": ["Python for analysts"],
            }
            assert simple["etag"].startswith('"')  # exposed to the page (Access-Control-Expose-Headers)
            assert preflighted["ok"] and preflighted["titles"] == ["Python for analysts"], preflighted

            refused_simple, refused_preflighted = _results(page, other)
            page.screenshot(path=str(artifacts_dir / "public-catalog-cors-refused.png"))
        for refused in (refused_simple, refused_preflighted):
            assert refused["ok"] is False and "Failed to fetch" in refused["error"], refused
        # one preflight each: allowed for the listed origin, refused for the other
        assert preflights == [(allowed, 204), (other, 403)]
