"""Settings shared by every mode. Deploy-time values come from the environment.

Embedded default (no env): SQLite in WAL mode, the in-memory channel layer and a
filesystem Celery broker under var/. With DATABASE_URL / REDIS_URL set, the same
code runs on PostgreSQL, channels_redis and Celery on Redis.
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("STRESSLAB_VAR_DIR", BASE_DIR / "var"))
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "collector",
    "labeling",
    "retraining",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

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

SQLITE_PATH = VAR_DIR / "db.sqlite3"


def database_from_env(default_sqlite: Path) -> dict:
    """PostgreSQL from DATABASE_URL, else SQLite in WAL mode for concurrent readers."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": default_sqlite,
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": database_from_env(SQLITE_PATH)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "collector:researcher_home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Development and tests serve straight from STATICFILES_DIRS (whitenoise finders);
# production collects into STATIC_ROOT (set there).
STATIC_ROOT = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# MediaPipe's wasm must be served with the right type; whitenoise knows .wasm.
WHITENOISE_USE_FINDERS = True

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 30},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_DIR = VAR_DIR / "celery" / "broker"
CELERY_RESULTS_DIR = VAR_DIR / "celery" / "results"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_RESULTS_DIR}"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TRACK_STARTED = True
# Unrouted tasks go to "default" (the celery default name says nothing about the work).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULE: dict = {}

# Retraining: long tasks on their own queue, one message at a time per worker process,
# acknowledged after completion so a lost worker's run is delivered again.
CELERY_TASK_ROUTES = {
    "retraining.tasks.retrain": {"queue": "training"},
    "retraining.tasks.retrain_if_due": {"queue": "training"},
    "retraining.tasks.retrain_recover_stale": {"queue": "training"},
    "retraining.tasks.session_infer": {"queue": "inference"},
    "retraining.tasks.sessions_infer_active": {"queue": "inference"},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Sessions with new gold labels since the last run that make a retrain due.
RETRAIN_MIN_NEW_SESSIONS = int(os.environ.get("RETRAIN_MIN_NEW_SESSIONS", 5))
# Seconds between checks whether a retrain is due.
RETRAIN_SCHEDULE = float(os.environ.get("RETRAIN_SCHEDULE", 3600))
RETRAIN_SOFT_TIME_LIMIT_S = int(os.environ.get("RETRAIN_SOFT_TIME_LIMIT_S", 3 * 3600))
RETRAIN_TIME_LIMIT_S = RETRAIN_SOFT_TIME_LIMIT_S + 300
# A run's lease on its kind; renewed at every step and epoch, so a dead worker's
# run can be taken over once this many seconds pass without a heartbeat.
RETRAIN_LOCK_TTL_S = float(os.environ.get("RETRAIN_LOCK_TTL_S", 600))
# Model files live under MEDIA_ROOT/<this> (relative, so a MEDIA_ROOT override moves them).
RETRAIN_MODEL_SUBDIR = "models"
# Seconds between live-inference passes over recording sessions.
INFERENCE_INTERVAL_S = float(os.environ.get("INFERENCE_INTERVAL_S", 30))
CELERY_BEAT_SCHEDULE.update(
    {
        "retrain-if-due": {"task": "retraining.tasks.retrain_if_due", "schedule": RETRAIN_SCHEDULE},
        "retrain-recover-stale": {
            "task": "retraining.tasks.retrain_recover_stale",
            "schedule": RETRAIN_LOCK_TTL_S,
        },
        "sessions-infer-active": {
            "task": "retraining.tasks.sessions_infer_active",
            "schedule": INFERENCE_INTERVAL_S,
        },
    }
)

# Exports: zip bundles under EXPORT_DIR, downloadable for EXPORT_TTL_HOURS, then deleted.
EXPORT_DIR = VAR_DIR / "exports"
EXPORT_TTL_HOURS = float(os.environ.get("EXPORT_TTL_HOURS", 24))
# Frames per written batch (Parquet row group / CSV block): bounds an export's memory.
EXPORT_BATCH_ROWS = int(os.environ.get("EXPORT_BATCH_ROWS", 8192))
# Exports are short I/O-bound jobs a researcher waits for: the "default" queue, never
# behind a training run.
CELERY_TASK_ROUTES.update(
    {
        "labeling.tasks.export_run": {"queue": "default"},
        "labeling.tasks.exports_expire": {"queue": "default"},
    }
)
CELERY_BEAT_SCHEDULE["exports-expire"] = {
    "task": "labeling.tasks.exports_expire",
    "schedule": float(os.environ.get("EXPORT_EXPIRE_EVERY_S", 900)),
}

# Capture tokens let a consented participant's page open its session stream.
CAPTURE_TOKEN_MAX_AGE_S = int(os.environ.get("CAPTURE_TOKEN_MAX_AGE_S", 6 * 3600))
# Largest websocket message accepted: one 64-frame batch plus its header.
CAPTURE_MAX_MESSAGE_BYTES = 16 + 64 * 6160
# Seconds between live-monitor updates a capture consumer publishes (fps, frames, face ratio).
CAPTURE_MONITOR_INTERVAL_S = float(os.environ.get("CAPTURE_MONITOR_INTERVAL_S", 1.0))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
