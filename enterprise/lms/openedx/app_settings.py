"""Settings of the Open edX backends, read from ``settings.ENTERPRISE_OPENEDX`` (a dict).

Every name, its default and what it does:

LMS_URL
    Root URL of the Open edX LMS, e.g. ``https://courses.example.com``. The enrollment, grades
    and certificates APIs and the OAuth2 provider live under it. Required.
DISCOVERY_API_URL
    Root of the course-discovery API, e.g. ``https://discovery.example.com/api/v1/``. Required
    for the catalog backend.
OAUTH2_TOKEN_URL
    Where client-credentials tokens come from. Empty: ``<LMS_URL>/oauth2/access_token``.
CLIENT_ID, CLIENT_SECRET
    Credentials of the OAuth2 application (Django OAuth Toolkit, grant type "client
    credentials") whose service user the calls run as when no ``api_user`` is named. Keep the
    secret out of version control (an environment variable); it is never logged.
API_USERS
    ``{username: {"CLIENT_ID": ..., "CLIENT_SECRET": ...}}``: the OAuth2 application of each
    user that ``--api_user`` may name. In Open edX a client-credentials token carries the
    identity of its application's user, so naming a user selects their application; the
    backends check that the token's ``preferred_username`` is that user.
CONNECT_TIMEOUT, READ_TIMEOUT
    Seconds to wait for a connection and for each read of the answer (default 5 and 30). There
    is no call without a timeout.
MAX_RETRIES
    How many times a call is tried again after a timeout, a connection error, 429 or 5xx
    (default 3).
BACKOFF_SECONDS
    First pause between tries; it doubles on each retry, with up to 10 % of jitter (default 1).
MAX_RETRY_WAIT
    Longest pause, in seconds, the client accepts between tries, also when the server asks for
    more with ``Retry-After`` (default 60). A server that asks for longer gets a transient error
    carrying its ``Retry-After`` instead, so a scheduler can come back later.
TOKEN_EXPIRY_MARGIN
    A token is renewed this many seconds before it expires, at most a tenth of its lifetime
    (default 60). Tokens are kept in the ``AccessToken`` table, shared by every worker.
PAGE_SIZE
    ``page_size`` asked of paginated endpoints (default 100).
GRADES_COURSE_LISTING_THRESHOLD
    From this many learners of one course on, grades are read from the course's paginated
    grade listing instead of one call per learner (default 20).
"""

from enterprise.conf import AppSettings

DEFAULTS = {
    "LMS_URL": "",
    "DISCOVERY_API_URL": "",
    "OAUTH2_TOKEN_URL": "",
    "CLIENT_ID": "",
    "CLIENT_SECRET": "",
    "API_USERS": {},
    "CONNECT_TIMEOUT": 5.0,
    "READ_TIMEOUT": 30.0,
    "MAX_RETRIES": 3,
    "BACKOFF_SECONDS": 1.0,
    "MAX_RETRY_WAIT": 60.0,
    "TOKEN_EXPIRY_MARGIN": 60,
    "PAGE_SIZE": 100,
    "GRADES_COURSE_LISTING_THRESHOLD": 20,
}

openedx_settings = AppSettings("ENTERPRISE_OPENEDX", DEFAULTS)
