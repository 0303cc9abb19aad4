"""Settings of the ``consent`` app, read from ``settings.CONSENT`` (a dict).

REDIRECT_ALLOWED_HOSTS
    Hosts (besides the one serving the consent page) that the page may send learners back to
    through its ``next`` and ``failure_url`` parameters, e.g. ``["lms.example.com"]``. Any other
    address is ignored and replaced by ``DEFAULT_REDIRECT_URL``: the page is never an open redirect.
DEFAULT_REDIRECT_URL
    Where learners go after answering when no allowed address was given. Empty (default): the page
    shows that the answer was recorded.
"""

from enterprise.conf import AppSettings

DEFAULTS = {
    "REDIRECT_ALLOWED_HOSTS": [],
    "DEFAULT_REDIRECT_URL": "",
}

consent_settings = AppSettings("CONSENT", DEFAULTS)
