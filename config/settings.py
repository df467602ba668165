"""Settings for 协商通, read from environment variables (see README, 配置)."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The built-in key is for development and tests only: with DEBUG off the site
# refuses to start on it (config/wsgi.py), so sessions and password-reset links
# can never be forged with a key published in the code. Management commands
# (check, migrate, makemigrations) still run without a key.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-not-for-production"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "core.errorpages.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "guardian",
    "axes",
    "django_celery_beat",
    "core",
    "committees",
    "notifications",
    "topics",
    "consult",
    "feedback",
    "dossier",
    "demo",
]

MIDDLEWARE = [
    # First, so a database outage is answered before anything reads the session.
    "core.errorpages.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.SiteLanguageMiddleware",
    # Before anything reads the body (CSRF reads the form in process_view).
    "core.middleware.RequestSizeMiddleware",
    "core.errorpages.DebugNotFoundMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.DomainErrorMiddleware",
    # After authentication, so it knows whose response it is.
    "core.middleware.PrivateCacheMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.inbox",
                "consult.context_processors.participation",
                "feedback.context_processors.responsibility",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite has no row locks: take the write lock when a transaction starts so
    # two processes (web, worker, beat) cannot both claim the same delivery.
    # WAL lets the site read while the scheduler writes, and makes each commit
    # cheap (notices are delivered one committed transaction each).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# django-guardian: no anonymous user object; residents without an account see
# only what is public and never go through object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-axes: lock a username+address pair after repeated failed logins.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Behind the reverse proxy every request comes from 127.0.0.1: django-ipware
# takes the client address from X-Forwarded-For so a lockout hits one client.
# AXES_PROXY_COUNT is the number of proxies in front of gunicorn. The outermost
# one *sets* the header to the address it saw (nginx: `X-Forwarded-For
# $remote_addr`, README 正式部署) and each further one appends its peer, so the
# header holds exactly AXES_PROXY_COUNT addresses, the client's first. ipware
# counts the proxies listed after the client, hence the minus one; in strict
# mode a header of any other length (a client forging its own entries) is not
# believed and the connecting address is used. Without a proxy the header is
# ignored altogether.
XST_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
AXES_IPWARE_PROXY_COUNT = XST_PROXY_COUNT - 1 if XST_PROXY_COUNT > 0 else None
AXES_IPWARE_PROXY_ORDER = "left-most"
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if XST_PROXY_COUNT > 0 else ("REMOTE_ADDR",)
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Security headers; TLS is terminated by the reverse proxy in production, which
# sets X-Forwarded-Proto and redirects plain HTTP itself (README 正式部署).
# HSTS for a year and secure cookies unless DEBUG is on; the redirect in the
# application is off by default (the proxy redirects, and the test client and
# `make run` speak plain HTTP) and on in deploy/production.env.example.
# Set DJANGO_SECURE_PROXY_SSL_HEADER=off only when no proxy sets the header.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=True)
    else None
)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# The health check is asked for by the load balancer over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_HSTS_SECONDS = env.int(
    "DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False
)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# Preloading is a registration of the whole domain with the browser vendors,
# the domain owner's decision, not the application's (README 正式部署).
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content security policy (django-csp): only this site's own scripts, styles and
# images; no inline scripts, no framing, forms post only back to this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Email: console in development; set EMAIL_URL (smtp://user:pass@host:587) for real.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="协商通 <noreply@localhost>")

# SMS: a backend class path and its options; the logging backend sends nothing.
SMS_BACKEND = env.str(
    "SMS_BACKEND", default="notifications.channels.sms.LoggingSmsBackend"
)
SMS_OPTIONS = env.json("SMS_OPTIONS", default={})

# Celery. With no broker configured, tasks run in-process (eager) and the
# scheduler (celery beat) executes periodic jobs itself.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL.startswith("memory://")
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_PREFETCH", default=4)
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TASK_IGNORE_RESULT = True
# No result backend is used, so beat needs no backend_cleanup job.
CELERY_RESULT_EXPIRES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Fail fast when the broker is down at publish time: the delivery stays queued in
# the database and the sweep re-queues it later.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# At least the longest retry countdown (one hour): a shorter one makes Redis
# redeliver waiting retries. Stranded deliveries are recovered by the sweep,
# not by this timeout (README, 通知).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "socket_timeout": 5,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Delivery of notices: attempts before a delivery is marked failed, and the
# first retry delay in seconds (doubling per attempt, capped at one hour).
XST_DELIVERY_MAX_ATTEMPTS = env.int("XST_DELIVERY_MAX_ATTEMPTS", default=5)
XST_DELIVERY_RETRY_BASE = env.int("XST_DELIVERY_RETRY_BASE", default=60)
# Seconds a queued email/SMS may wait before the sweep republishes it (and the
# sweep's own interval).
XST_DELIVERY_SWEEP_DELAY = env.int("XST_DELIVERY_SWEEP_DELAY", default=300)
# Seconds after which a "sending" claim belongs to a dead worker: longer than
# any one send (EMAIL_TIMEOUT, the SMS gateway's timeout). A worker that starts
# sweeps rows older than this at once.
XST_DELIVERY_CLAIM_TIMEOUT = env.int("XST_DELIVERY_CLAIM_TIMEOUT", default=120)
# Channels whose gateway drops a second message with the same message id: an
# interrupted send is resent on these, and marked "unknown, check" on others.
XST_DEDUPLICATING_CHANNELS = env.list("XST_DEDUPLICATING_CHANNELS", default=["sms"])
# Public address of the site, to turn links in email, SMS and .ics into full URLs.
XST_SITE_URL = env.str("XST_SITE_URL", default="")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Delivery is idempotent, so tasks cut off by a lost broker connection may rerun.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs every layout step at INFO; only its warnings matter.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Seconds a client is asked to wait (Retry-After) while the database is down.
XST_OUTAGE_RETRY_AFTER = env.int("XST_OUTAGE_RETRY_AFTER", default=30)

# Procedure defaults (DOMAIN.md §4), overridable per place in the admin.
XST_NOTICE_MIN_DAYS = env.int("XST_NOTICE_MIN_DAYS", default=3)

# Audit chain (README “审计链”): HMAC keys as "id:secret,id:secret", the first
# signs new events, the others only verify older ones; empty = the fixed
# development key. Signed digests of the chain heads go to XST_AUDIT_HEADS_DIR.
XST_AUDIT_KEYS = env.str("XST_AUDIT_KEYS", default="")
XST_AUDIT_HEADS_DIR = env.path(
    "XST_AUDIT_HEADS_DIR", default=BASE_DIR / "var" / "audit-heads"
)
# Uploads (core/uploads.py): the largest file accepted, whatever it is for.
XST_UPLOAD_MAX_BYTES = env.int("XST_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
# A whole request, files and fields together; refused with 413 before it is
# read (core.middleware.RequestSizeMiddleware). Keep it equal to nginx's
# client_max_body_size (README “正式部署”).
XST_REQUEST_MAX_BYTES = env.int("XST_REQUEST_MAX_BYTES", default=50 * 1024 * 1024)
# Files in one request: a form takes a handful of attachments, not dozens.
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("XST_REQUEST_MAX_FILES", default=10)
# Files above this size are streamed to a temporary file, not held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Hours before a written consultation's deadline when those who have not
# answered are reminded.
XST_WRITTEN_REMIND_HOURS = env.int("XST_WRITTEN_REMIND_HOURS", default=24)
# Steps 4-5 (feedback/): the shortest 公示 period in days.
XST_PUBLIC_NOTICE_MIN_DAYS = env.int("XST_PUBLIC_NOTICE_MIN_DAYS", default=5)
# Days past a task's deadline before the township is told (督办).
XST_TASK_ESCALATE_AFTER_DAYS = env.int("XST_TASK_ESCALATE_AFTER_DAYS", default=3)
# The rate-limit counters live here: process memory by default; with several
# gunicorn workers set CACHE_URL to a shared cache (e.g. a Redis database other
# than the broker's) so a limit counts every worker's requests.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# What residents and members post (core/ratelimit.py): per scope, the requests
# one account and one address may send per window (seconds). An address is
# looser than an account: a village office or a mobile carrier puts many
# people behind one address.
XST_RATE_LIMITS = {
    "respond": (5, 30, 60),
    "comment": (5, 30, 60),
    "answer": (5, 30, 60),
}
# The same text from the same account within this many seconds is refused.
XST_DUPLICATE_WINDOW = env.int("XST_DUPLICATE_WINDOW", default=600)
