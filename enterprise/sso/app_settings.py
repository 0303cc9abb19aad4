"""Settings of the SAML single sign-on app, read from ``settings.ENTERPRISE_SSO`` (a dict).

Every name, its default and what it does:

SP_ENTITY_ID
    The service provider's entity id, the audience every assertion must name. Empty:
    ``<SP_BASE_URL>/sso/saml/`` (set it explicitly in production: it must not change when the
    host name does).
SP_BASE_URL
    Scheme and host the identity providers post to, e.g. ``https://learn.example.com``. Empty:
    taken from the request (behind a proxy, set it or configure ``USE_X_FORWARDED_HOST`` /
    ``SECURE_PROXY_SSL_HEADER``). The assertion consumer URL, the Destination and Recipient an
    assertion must name, are built from it.
SP_CERTIFICATE, SP_PRIVATE_KEY
    PEM certificate and private key of the service provider (signed AuthnRequests, encrypted
    assertions, published in the metadata). Empty: the credentials stored, encrypted, in the
    database (admin "SAML service provider credentials", or ``manage.py saml_sp_credentials
    --generate``). Prefer the database or an environment variable over a literal in settings.
LOGIN_REDIRECT_URL
    Where a signed-in learner lands when the login did not name an allowed ``next`` URL
    (default ``"/"``).
ALLOWED_REDIRECT_HOSTS
    Hosts, besides the request's own, that ``next`` / RelayState may send the learner to after
    sign-in (default none). Anything else is replaced by ``LOGIN_REDIRECT_URL``.
AUTHN_REQUEST_LIFETIME
    Seconds an AuthnRequest waits for its answer (default 600). Later answers are refused.
CREATE_USERS
    Create a user for a first-time learner (default True). When False, only users that exist
    (by remote id or e-mail) may sign in.
"""

from enterprise.conf import AppSettings

DEFAULTS = {
    "SP_ENTITY_ID": "",
    "SP_BASE_URL": "",
    "SP_CERTIFICATE": "",
    "SP_PRIVATE_KEY": "",
    "LOGIN_REDIRECT_URL": "/",
    "ALLOWED_REDIRECT_HOSTS": [],
    "AUTHN_REQUEST_LIFETIME": 600,
    "CREATE_USERS": True,
}

sso_settings = AppSettings("ENTERPRISE_SSO", DEFAULTS)
