"""Protocol plumbing shared by every client of a remote system in the project (decision 0181).

- ``retry``: the one retry policy (tenacity) — which errors are tried again, how long to wait
  (``Retry-After`` in seconds or as an HTTP date, a per-remote default for a 429 without one,
  else exponential backoff with jitter), when to give up.
- ``rate_limit``: at most N calls a minute per remote account, shared by the clients of a process.
- ``http``: a ``requests`` session with mandatory (connect, read) timeouts, the rate limit and the
  retry policy around every call; subclasses map answers to their own typed errors.
- ``oauth2``: the one OAuth 2 client-credentials token store (tokens encrypted in the
  ``AccessToken`` table, refreshed before expiry and once on 401).

It lives in the ``enterprise`` app because the Open edX backends (``enterprise.lms.openedx``)
use it and the enterprise app imports no channel; the channel framework's
``integrated_channels.integrated_channel.transports`` builds the channel clients (HTTP, OAuth 2,
SOAP, SFTP) on top of it.
"""
