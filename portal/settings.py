"""Settings for Groundskeeper, read from the environment.

Every setting that differs between machines comes from an environment variable
(see README). Defaults are the safe ones: DEBUG is off, HTTPS is assumed and a
production process without SECRET_KEY refuses to start.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set it in the environment to a long random string "
        "(`make run` generates one for the demo)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Cookies, redirects and HSTS assume HTTPS unless configured otherwise: the local demo
# and the tests serve plain HTTP on loopback and set SECURE_HTTPS=false.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = SECURE_HTTPS
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=31536000 if SECURE_HTTPS else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Registers OpClass for the search index's trigram and prefix indexes.
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_celery_beat",
    "core",
    "lineage",
    "catalog",
    "governance",
    "consent",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.content_security_policy",
    "core.middleware.reject_nul_characters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.WriteConflictMiddleware",
]

ROOT_URLCONF = "portal.urls"

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

WSGI_APPLICATION = "portal.wsgi.application"

# PostgreSQL only: other engines are rejected so that no code path silently
# depends on another database's behaviour.
DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres:///groundskeeper")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL (postgres://...)."
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# No health check query before each request: it costs a round trip per request,
# and a dropped connection is replaced after the request that finds it broken.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool(
    "DATABASE_CONN_HEALTH_CHECKS", default=False
)
# Server-side parameters let a connection prepare a statement it has run five
# times, so PostgreSQL plans a page's queries once per connection.
if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "catalog:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
# Front-end libraries come from npm (package.json) and are served by the portal
# itself, so pages work on a network without internet access.
STATICFILES_DIRS = [
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/dagre", BASE_DIR / "node_modules" / "@dagrejs" / "dagre" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Tests and the demo serve files straight from the finders, without collectstatic.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
if WHITENOISE_USE_FINDERS:
    # Nothing is collected, and WhiteNoise would warn about the missing folder.
    STATIC_ROOT = None
    STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Groundskeeper API",
    "DESCRIPTION": "OpenLineage ingestion, lineage graphs and the data catalog.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from the sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Mail for notifications: printed to the log unless EMAIL_URL names a server
# (smtp://user:password@host:587, see django-environ).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="groundskeeper@localhost")

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
# The local demo runs without Redis on kombu's filesystem transport; its folders
# come from the environment so web, worker and beat share one queue.
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # pathlib, because django-environ's own Path type does not support `/`.
    broker_dir = Path(
        env.str("CELERY_BROKER_DIR", default=str(BASE_DIR / "var/broker"))
    )
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(broker_dir / "out"),
        "data_folder_out": str(broker_dir / "out"),
        "processed_folder": str(broker_dir / "processed"),
        "control_folder": str(broker_dir / "control"),
        "store_processed": False,
    }
# Tasks record their outcome in the database rows they change, not in a result store.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The DatabaseScheduler installs these entries at start. A run left queued past
# the next one expires, so a slow worker is not handed a pile of evaluations
# (django-celery-beat reads `expire_seconds`, not Celery's `expires`).
CELERY_BEAT_SCHEDULE = {
    "catalog-evaluate-slas": {
        "task": "catalog.tasks.evaluate_slas",
        "schedule": timedelta(minutes=1),
        "options": {"expire_seconds": 55},
    },
}
CELERY_TIMEZONE = TIME_ZONE

# OpenLineage ingestion limits. A body over LINEAGE_MAX_BODY_BYTES (after gzip
# decoding) gets 413 without being held in memory whole.
LINEAGE_MAX_BODY_BYTES = env.int("LINEAGE_MAX_BODY_BYTES", default=10 * 1024 * 1024)
LINEAGE_MAX_NESTING = env.int("LINEAGE_MAX_NESTING", default=64)
LINEAGE_MAX_BATCH_EVENTS = env.int("LINEAGE_MAX_BATCH_EVENTS", default=10_000)
# Concurrent requests of one process share a transaction (group commit); a
# request waits at most LINEAGE_COMMIT_TIMEOUT seconds for its group to commit.
LINEAGE_GROUP_COMMIT = env.bool("LINEAGE_GROUP_COMMIT", default=True)
LINEAGE_COMMIT_TIMEOUT = env.float("LINEAGE_COMMIT_TIMEOUT", default=60.0)

# The cache shared by web, worker and beat, for product page sections. `make run`
# without Redis uses a folder (filecache:///path) that they share instead.
CACHES = {"default": env.cache_url("CACHE_URL", default="redis://127.0.0.1:6379/1")}
# Portals (or test runs) that share one Redis need prefixes of their own.
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="groundskeeper")
# Maximum time a product page's cached sections are served. Lineage-only
# changes (freshness, failed runs) show within this time at the latest.
CATALOG_PAGE_CACHE_SECONDS = env.int("CATALOG_PAGE_CACHE_SECONDS", default=300)

# A valid API key is looked up again after this many seconds, so a key revoked in
# another process stops working within that time.
API_KEY_CACHE_SECONDS = env.float("API_KEY_CACHE_SECONDS", default=2.0)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
