"""Settings for Decoupled: one module, driven by environment variables.

Defaults are safe and need no services: a SQLite file under ``var/`` and Channels'
in-memory layer. Real deployments set ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``
(the Redis channel layer, required when several Daphne processes serve one site).
Every variable is listed in ``.env.example``.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DJANGO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")
TESTING = "pytest" in sys.modules or env_bool("DJANGO_TESTING")

# The development key only ever serves a local, DEBUG or test run.
DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production-4f8a1c"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
if SECRET_KEY == DEV_SECRET_KEY and not (DEBUG or TESTING):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Production mode (DJANGO_DEBUG off) refuses to start "
        "with the development key; set DJANGO_SECRET_KEY to 50 or more random characters, "
        "or set DJANGO_DEBUG=1 for local development."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",  # first: makes `runserver` serve ASGI (and WebSockets) with Daphne
    "django.contrib.auth",  # AuthMiddlewareStack (WebSockets) needs it; no accounts are used
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "lessons",
    "playground",
    "conformance",
    "classroom",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.PrivatePagesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "lessons.middleware.MethodNotAllowedPageMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "lessons.context_processors.site",
            ],
        },
    },
]

# Database: SQLite by default; DATABASE_URL (e.g. postgres://user@host:5432/name) for real use.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'decoupled.sqlite3'}",
        # 0: Django's advice under ASGI (each request runs in its own thread).
        conn_max_age=0 if TESTING else int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Browser tests talk to a separate server process: the test database must be a file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    # Several processes (Daphne, tests, a class of learners) write at once: take the write lock
    # up front and use the write-ahead log, so concurrent writers wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A hung or black-holed database must give a clear error page within seconds, not a page
    # that hangs for minutes: give up connecting after DB_CONNECT_TIMEOUT seconds, and let the
    # server cancel any statement (a lock wait included) after DB_STATEMENT_TIMEOUT ms.
    # Values given in DATABASE_URL (?connect_timeout=...&options=-c statement_timeout=...) win.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options.setdefault("connect_timeout", int(os.environ.get("DJANGO_DB_CONNECT_TIMEOUT", "3")))
    if "statement_timeout" not in _pg_options.get("options", ""):
        _statement_ms = int(os.environ.get("DJANGO_DB_STATEMENT_TIMEOUT_MS", "5000"))
        _pg_options["options"] = (
            _pg_options.get("options", "") + f" -c statement_timeout={_statement_ms}"
        ).strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer: in-memory for one process; Redis for several processes.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # channels-redis blocks up to `brpop_timeout` (5 s) in BZPOPMIN waiting for a message,
    # while redis-py 8 times out a socket read after 5 s by default: every idle consumer then
    # failed after about 5.5 s and its socket closed with 1011 (django/channels_redis issue
    # 422; redis/redis-py issue 2807). So reads wait well beyond the block. Options written
    # into REDIS_URL (?socket_timeout=...) win over these.
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis' layer, whose receive() survives Redis errors and outages
            # (config/channel_layer.py): a layer failure never closes a learner's socket.
            "BACKEND": "config.channel_layer.ResilientRedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 15,  # seconds; > brpop_timeout (5 s) by a margin
                        "socket_connect_timeout": 3,  # an unreachable Redis fails fast
                        "socket_keepalive": True,
                        "health_check_interval": 30,  # PING a connection idle this long
                    }
                ]
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The largest WebSocket frame the playground sends (UTF-8 bytes). Daphne's
# --websocket-max-message-size (65536 in the README's production command) caps what the server
# sends too: bigger views go out in several frames, none over this (playground/frames.py).
# Keep it a few KB under the Daphne flag.
PLAYGROUND_FRAME_BYTES = int(os.environ.get("DJANGO_WS_FRAME_BYTES", "60000"))

# Engine events one playground tick may run (cost isolation: no learner's run holds the event
# loop for long; a heavier run runs slower than asked and says so). 0 lifts the budget (only
# bench/isolation.py does, to show what it prevents).
# Unset: the engine's MAX_EVENTS_PER_TICK (playground/engine/limits.py).
_tick_events = os.environ.get("DJANGO_PLAYGROUND_TICK_EVENTS", "").strip()
PLAYGROUND_TICK_EVENTS = int(_tick_events) if _tick_events else None

# Anonymous learners: progress hangs off a long-lived session cookie; no account needed.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 400  # about 13 months
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_SAVE_EVERY_REQUEST = False

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve straight from the source folders when nothing was collected (local runs, tests).
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG or TESTING or not (STATIC_ROOT / "staticfiles.json").exists()
WHITENOISE_AUTOREFRESH = DEBUG

# Security headers. Content-Security-Policy: nothing inline, no eval, our own origin only.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Permissions-Policy: the site needs no camera, microphone, location or other powerful
# feature, so none may be used, by our pages or anything embedded in them.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "lessons.views.csrf_failure"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

# HTTPS-only settings: switch on behind a TLS-terminating proxy with DJANGO_HTTPS=1.
HTTPS = env_bool("DJANGO_HTTPS", default=not (DEBUG or TESTING))
SECURE_SSL_REDIRECT = HTTPS and env_bool("DJANGO_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("DJANGO_HSTS_PRELOAD", default=True)
# Behind a reverse proxy the client's address is the last X-Forwarded-For entry (the one the
# proxy added); classroom/ counts refused teacher links and join codes per client address.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Bodies larger than this are refused before a view sees them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
