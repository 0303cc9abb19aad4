"""Settings of the channel framework, read from ``settings.INTEGRATED_CHANNELS`` (a dict).

Every name, its default and what it does:

CONNECT_TIMEOUT, READ_TIMEOUT
    Seconds to wait for a remote system to accept the connection, and then between two bytes
    of its answer. Every HTTP call of every channel uses both (there is no call without them).
MAX_RETRIES
    How many times a call that failed with a transient error (429, 500, 502, 503, 504, a timeout,
    a refused connection) is tried again before the record is reported failed.
BACKOFF_SECONDS
    First wait between two tries; it doubles at each try (with up to 10 % of jitter) unless the
    remote system says how long to wait with ``Retry-After``.
MAX_RETRY_WAIT
    The longest wait honoured, in seconds. A ``Retry-After`` (or a channel's default wait for a
    429 without one, 300 s for SAP SuccessFactors) longer than this is not waited for: the call
    fails at once with a transient error and the record is sent again at the next run.
MAX_CONSECUTIVE_FAILURES
    A run stops (status "failed", the remaining records reported "not attempted") after this many
    records in a row failed with transient errors: the remote system is down, going on would only
    hammer it.
SFTP_CONNECT_TIMEOUT
    Seconds an SFTP connection (TCP connect, SSH handshake and authentication) may take before
    the run fails with a transfer error.
SFTP_MAX_FILE_BYTES
    Largest remote file an SFTP import reads (the SFTP connector's user files, the xAPI statement
    file), in bytes; default 100 MiB. Each file's size is checked from its stat before it is
    downloaded: a larger one fails the run with an error naming the file and the limit, and
    nothing is imported or deleted. The FTP and FTPS drops apply the same limit (from SIZE / MLSD).
BOX_API_URL, BOX_UPLOAD_URL, BOX_TOKEN_URL, BOX_CHUNKED_UPLOAD_BYTES
    Box's API, upload and token endpoints (Box drops); changed by the tests only, for the fake Box.
FTPS_CA_FILE
    A PEM file of the certificate authorities an FTPS server's certificate must chain to when the
    connection pins no certificate; empty (the default): the system's trusted authorities.
TOKEN_EXPIRY_MARGIN
    Seconds before its expiry at which a cached access token is replaced by a new one.
RUN_LOCK_EXPIRY
    Seconds without a heartbeat after which a run still marked "running" is considered abandoned
    (its process died): the next run of that configuration marks it failed and takes over.
HEARTBEAT_INTERVAL
    Seconds between two heartbeats of a running run (and two updates of its counts).
AUDIT_FLUSH_RECORDS, AUDIT_FLUSH_SECONDS
    The audit rows of sent records are written in one transaction every this many records or
    seconds, whichever comes first (and before any wait, when the run stops, at its end). A process
    killed in between loses at most that much audit: those records are sent again by the next run.
COMPLETION_BATCH_SIZE
    Enrollments whose completion is asked from the completion backend in one call.
CHANGE_TRACKING
    ``True`` (default): a learner-data run considers only the enrollments whose inputs changed since
    the last successful run of its configuration, plus the records whose last attempt failed
    (decision 0090); it falls back to every enrollment whenever it cannot tell what changed.
    ``False``: every run considers every enrollment.
CHANGE_TRACKING_MARGIN
    Seconds taken off the moment a run's selection starts to make the watermark it records: the
    next run reconsiders changes from that much earlier. It covers clock differences between the
    servers that write timestamps and transactions that commit up to that long after they set them.
FULL_SELECTION_INTERVAL
    Seconds after which a run considers every enrollment again even if nothing says it must (it
    catches what timestamps cannot show: deleted certificates or grades, renamed users); 0: never.
LMS_ROOT_URL
    Root URL of the learning platform, used to build the launch URL of exported courses.
COURSE_URL_PATH
    Path of a course's page under ``LMS_ROOT_URL``; ``{course_id}`` is replaced.
USE_CELERY
    ``None`` (default): fan runs out to Celery workers when the Celery app has a broker and does
    not run tasks eagerly, else run them in-process. ``True`` / ``False`` force either.
CELERY_QUEUE
    Queue the fan-out tasks are sent to (``None``: Celery's default queue).
TASK_RESULT_TIMEOUT
    Seconds ``transmit_*`` commands wait for the fan-out tasks to finish.

The addresses channels connect to have their own settings, ``settings.INTEGRATED_CHANNELS_ADDRESSES``
(a dict; decision 0151), so an operator's allowance is not lost when the dict above is replaced:

ALLOW_HTTP
    ``False`` (default): every remote URL a configuration holds (endpoints, WSDL locations) must
    be ``https://``. ``True`` also accepts ``http://`` — for test servers only: secrets then
    travel in clear.
ALLOWED_ADDRESSES
    Host names (``"lrs.intranet.example"``) and IP networks or addresses (``"10.20.0.0/16"``,
    ``"127.0.0.1"``) a configuration may point at although they are loopback, link-local,
    private or otherwise not public. Empty (default): only public addresses. A name is compared
    with the host of the URL as typed; a network with every address the host resolves to, both
    when the configuration is saved and when each connection is made.
ADMIN_ROOT_URL
    Scheme and host of the admin, used to build the links (run page, error report) of the e-mails
    a connection's contacts receive when a run ends.
"""

from enterprise.conf import AppSettings

ADDRESS_DEFAULTS = {
    "ALLOW_HTTP": False,
    "ALLOWED_ADDRESSES": [],
}

DEFAULTS = {
    "CONNECT_TIMEOUT": 5.0,
    "READ_TIMEOUT": 60.0,
    "MAX_RETRIES": 3,
    "BACKOFF_SECONDS": 1.0,
    "MAX_RETRY_WAIT": 300.0,
    "MAX_CONSECUTIVE_FAILURES": 5,
    "SFTP_CONNECT_TIMEOUT": 15.0,
    "SFTP_MAX_FILE_BYTES": 100 * 1024 * 1024,
    "FTPS_CA_FILE": "",
    "BOX_API_URL": "https://api.box.com/2.0",
    "BOX_UPLOAD_URL": "https://upload.box.com/api/2.0",
    "BOX_TOKEN_URL": "https://api.box.com/oauth2/token",
    "BOX_CHUNKED_UPLOAD_BYTES": 50 * 1000 * 1000,
    "TOKEN_EXPIRY_MARGIN": 60.0,
    "RUN_LOCK_EXPIRY": 900.0,
    "HEARTBEAT_INTERVAL": 30.0,
    "AUDIT_FLUSH_RECORDS": 500,
    "AUDIT_FLUSH_SECONDS": 2.0,
    "COMPLETION_BATCH_SIZE": 5000,
    "CHANGE_TRACKING": True,
    "CHANGE_TRACKING_MARGIN": 300.0,
    "FULL_SELECTION_INTERVAL": 24 * 3600.0,
    "LMS_ROOT_URL": "http://localhost:8000",
    "COURSE_URL_PATH": "/courses/{course_id}/about",
    "USE_CELERY": None,
    "CELERY_QUEUE": None,
    "TASK_RESULT_TIMEOUT": 6 * 3600.0,
    "ADMIN_ROOT_URL": "http://localhost:8000",
}

channel_settings = AppSettings("INTEGRATED_CHANNELS", DEFAULTS)
address_settings = AppSettings("INTEGRATED_CHANNELS_ADDRESSES", ADDRESS_DEFAULTS)
