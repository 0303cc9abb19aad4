"""Settings of the standalone host.

Embedded defaults: SQLite next to manage.py, Celery tasks run in-process, the local LMS backend,
e-mail printed on the console, DEBUG on with a random key kept in var/development-secret-key.
Production-like: DJANGO_DEBUG=0 and DJANGO_SECRET_KEY (required then: the host refuses to start
without it), DATABASE_URL (e.g. postgres://user@127.0.0.1:5432/db), CELERY_BROKER_URL
(redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//), EMAIL_BACKEND / EMAIL_HOST.
"""

import datetime
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from enterprise.secret_key import insecure_reason

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def development_secret_key(path: Path) -> str:
    """The key of this checkout's development server: read from ``path``, created random when
    missing (atomically, so processes starting together agree). Never a published default."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    draft.write_text(secrets.token_urlsafe(50))
    draft.chmod(0o600)
    try:
        os.link(draft, path)  # fails if another process created it first: theirs is kept
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


DEBUG = env_bool("DJANGO_DEBUG", True)
# Production (DEBUG off) refuses to start without a real key: secrets at rest are encrypted with a
# key derived from it unless ENTERPRISE["ENCRYPTION_KEYS"] is set (decision 0162). With DEBUG on
# (`make demo`) and no key, the checkout's own random key in var/ is used.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY")
if SECRET_KEY is None and DEBUG:
    SECRET_KEY = development_secret_key(
        Path(os.environ.get("DJANGO_DEVELOPMENT_SECRET_KEY_FILE", BASE_DIR / "var" / "development-secret-key"))
    )
if not DEBUG and (_why := "it is not set" if SECRET_KEY is None else insecure_reason(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY must be set to a long random value when DJANGO_DEBUG is off: {_why}. "
        "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",  # the filter forms of the browsable API (decision 0475)
    "drf_spectacular_sidecar",  # Swagger UI served from our static files: /api/docs/ works offline
    "django_countries",
    "django_celery_beat",  # connector schedules (SFTP) as periodic tasks in the database
    "enterprise",
    "enterprise.lms.local",
    "enterprise.lms.content",  # provider courses, catalogs, provider progress (decision 0240)
    "enterprise.sso",
    "enterprise.portal",  # /portal/: the customers' own administrators (issue 24, decision 0330)
    "consent",
    "integrated_channels.integrated_channel",
    "integrated_channels.sap_success_factors",
    "integrated_channels.learningstudio",
    "integrated_channels.sftp",
    "integrated_channels.xapi",
    "integrated_channels.scim",  # SCIM 2.0 provisioning endpoint (/scim/v2/)
    "integrated_channels.entra_id",
    "integrated_channels.workday",
    "integrated_channels.salesforce",
    "integrated_channels.miniorange",
    "integrated_channels.degreed",
    "integrated_channels.moodle",
    "integrated_channels.canvas",
    "integrated_channels.blackboard",
    "integrated_channels.cornerstone",
    "integrated_channels.harvard_managementor",
    "integrated_channels.linkedin_learning",
    "integrated_channels.getabstract",
    "integrated_channels.powerbi",
    "integrated_channels.marketo",
    "integrated_channels.salesforce_records",
    "integrated_channels.classroom",
    "integrated_channels.training_data",
    "integrated_channels.adobe_commerce",
    "integrated_channels.testing",  # the test channel: records what it would send (demo, tests)
    "standalone.hostdb",  # an index for e-mail look-ups on the user table (decision 0110)
    "axes",  # login throttling: failed logins per account and per address, audited (decision 0163)
    "standalone.throttle",  # its client address, lockout page and admin
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out login into the 429 page
]

# Login throttling (django-axes, decision 0163): after LOGIN_FAILURE_LIMIT failed logins for one
# account, or from one client address, further logins of that account / from that address are
# refused (429, even with the right password) until LOGIN_COOLOFF_MINUTES have passed without a
# new failure. Every failure is recorded (admin: Axes > Access failures / Access attempts).
# Behind a reverse proxy, set LOGIN_CLIENT_IP_HEADER (e.g. X-Forwarded-For) and the number of
# proxies that append to it, LOGIN_TRUSTED_PROXY_COUNT.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("LOGIN_THROTTLE_ENABLED", True)
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=float(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted on its own: per account, per address
AXES_RESET_ON_SUCCESS = True  # a successful login clears the failures of that account and address
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one row per failure: who, from where, when
AXES_VERBOSE = False  # no start-up banner in every manage.py command's output
AXES_CLIENT_IP_CALLABLE = "standalone.throttle.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "standalone.throttle.lockout.lockout_response"
AXES_ENABLE_ADMIN = False  # standalone.throttle registers the audit pages
LOGIN_CLIENT_IP_HEADER = os.environ.get("LOGIN_CLIENT_IP_HEADER", "")
LOGIN_TRUSTED_PROXY_COUNT = int(os.environ.get("LOGIN_TRUSTED_PROXY_COUNT", "1"))

ROOT_URLCONF = "standalone.urls"
WSGI_APPLICATION = "standalone.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'standalone.sqlite3'}",
        # Persistent connections (seconds; e.g. 600 behind gunicorn), checked before reuse so a
        # server restart costs one failed check, not an error (decision 0111).
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the admin read while a long job writes; a busy timeout instead of "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_ROOT = BASE_DIR / "var" / "media"
LOGIN_URL = "admin:login"
# Stop an oversized upload before Django stores it (ENTERPRISE["UPLOAD_MAX_BYTES"], default 10 MiB).
FILE_UPLOAD_HANDLERS = [
    "enterprise.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "learning@example.com")

# The cache (the public catalog's pages, the rate limits' counters): per process by default; with
# DJANGO_CACHE_URL=redis://127.0.0.1:6379/1 one Redis shared by every worker process (decision 0460).
if os.environ.get("DJANGO_CACHE_URL", "").startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "standalone.cache.RedisCache",  # Django's, a client per pool (decision 0512)
            "LOCATION": os.environ["DJANGO_CACHE_URL"],
        }
    }

# Celery: without a broker, tasks run in-process (eager); with one, they go to workers.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"  # schedules kept in the database

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous request is answered 401 with ``WWW-Authenticate: Token``.
        "enterprise.api.v1.tokens.TokenAuthentication",  # DRF's, its look-up one statement (decision 0510)
        # JWTs of the host LMS, only when ENTERPRISE_API["JWT_ENABLED"] (below); else ignored.
        "enterprise.api.v1.authentication.JwtAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "EXCEPTION_HANDLER": "enterprise.api.v1.errors.exception_handler",
    # JSON only in production; the browsable HTML renderer when DEBUG (or API_BROWSABLE=1).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if env_bool("API_BROWSABLE", DEBUG) else []),
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    # One rate per scope; the API views name their scope (enterprise, bulk). None = unlimited.
    "DEFAULT_THROTTLE_RATES": {
        "enterprise": os.environ.get("API_THROTTLE_ENTERPRISE", None),
        "enterprise_bulk": os.environ.get("API_THROTTLE_ENTERPRISE_BULK", None),
    },
}
# The public catalog's rate per client address (Training Data Access).
TRAINING_DATA_PUBLIC_RATE = os.environ.get("TRAINING_DATA_PUBLIC_RATE", "120/min")

# The OpenAPI 3 schema of the REST API (/api/schema/, docs at /api/docs/; checked in as
# docs/api/openapi.yaml, regenerated with `manage.py spectacular --file docs/api/openapi.yaml`).
SPECTACULAR_SETTINGS = {
    "TITLE": "Enterprise learner management API",
    "DESCRIPTION": (
        "Customers, learners, enrollments, data-sharing consent, completions and channel runs. "
        "Authenticate with a token (`Authorization: Token <key>`), the admin's session, or a JWT of the host LMS."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/(enterprise|consent|integrated_channels|classroom)/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files from drf-spectacular-sidecar, no online validator: nothing from another host.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # An enrollment's source kept its name when attendance (classroom) brought another "source" field.
    "ENUM_NAME_OVERRIDES": {
        "SourceEnum": "enterprise.models.enrollment.EnrollmentSource",
        "AttendanceSourceEnum": "integrated_channels.classroom.models.Attendance.Source",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "enterprise.api.v1.schema.add_error_responses",
    ],
}

ENTERPRISE = {
    # The site's own address: links in e-mails and the admin URL printed by seed_demo (make demo
    # sets it from DEMO_ADDRESS).
    "SITE_URL": os.environ.get("SITE_URL", "http://127.0.0.1:8000"),
}

# Where channel configurations may point (integrated_channels.integrated_channel.app_settings,
# decision 0151): https only and public addresses only, unless the operator allows http (test
# servers) or names the internal hosts / networks a configuration may reach.
INTEGRATED_CHANNELS_ADDRESSES = {
    "ALLOW_HTTP": env_bool("CHANNELS_ALLOW_HTTP", False),
    "ALLOWED_ADDRESSES": [
        entry.strip() for entry in os.environ.get("CHANNELS_ALLOWED_ADDRESSES", "").split(",") if entry.strip()
    ],
}

# The REST API (enterprise.api.app_settings): JWTs signed by the host LMS, off unless enabled.
ENTERPRISE_API = {
    "JWT_ENABLED": env_bool("API_JWT_ENABLED", False),
    "JWT_ISSUER": os.environ.get("API_JWT_ISSUER", ""),
    "JWT_AUDIENCE": os.environ.get("API_JWT_AUDIENCE", ""),
    "JWT_SECRET_KEY": os.environ.get("API_JWT_SECRET_KEY", ""),
    "JWT_PUBLIC_KEYS": [os.environ["API_JWT_PUBLIC_JWK_SET"]] if os.environ.get("API_JWT_PUBLIC_JWK_SET") else [],
}

# SAML single sign-on (enterprise.sso): the service provider's identity. Its key pair comes from
# the environment or, when empty, from the database (`manage.py saml_sp_credentials --generate`).
ENTERPRISE_SSO = {
    "SP_ENTITY_ID": os.environ.get("SAML_SP_ENTITY_ID", ""),
    "SP_BASE_URL": os.environ.get("SAML_SP_BASE_URL", ""),
    "SP_CERTIFICATE": os.environ.get("SAML_SP_CERTIFICATE", ""),
    "SP_PRIVATE_KEY": os.environ.get("SAML_SP_PRIVATE_KEY", ""),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
