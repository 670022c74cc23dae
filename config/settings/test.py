"""Test settings: PostgreSQL and Redis when configured (CI=true requires them).

TEST_DB_SUFFIX lets several test runs share one PostgreSQL server without
colliding on the test database name.
"""
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CELERY_BROKER_TRANSPORT_OPTIONS, DATABASES, REDIS_URL, VAR_DIR

CI = os.environ.get("CI", "").lower() == "true"
if CI:
    _missing = [n for n in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(n)]
    if _missing:
        raise ImproperlyConfigured(f"CI=true needs real services: set {', '.join(_missing)}")

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-deployment"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver", "[::1]"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

_suffix = os.environ.get("TEST_DB_SUFFIX", "")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["NAME"] = VAR_DIR / f"test{_suffix}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_db{_suffix}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_stresslab{_suffix}"}

MEDIA_ROOT = VAR_DIR / f"test-media{_suffix}"
EXPORT_DIR = VAR_DIR / f"test-exports{_suffix}"

# Messages tests publish must never reach the `make run` worker: the embedded broker
# gets its own folders (Redis runs use the CI server, which `make run` does not).
if not REDIS_URL:
    _broker = VAR_DIR / f"test-celery{_suffix}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "data_folder_in": str(_broker / "broker"),
        "data_folder_out": str(_broker / "broker"),
        "processed_folder": str(_broker / "processed"),
        "control_folder": str(_broker / "control"),
    }
    CELERY_RESULT_BACKEND = f"file://{_broker / 'results'}"
    for _folder in ("broker", "processed", "control", "results"):
        (_broker / _folder).mkdir(parents=True, exist_ok=True)

# A live server subprocess in browser tests points at the database pytest created.
_live_test_db = os.environ.get("STRESSLAB_LIVE_TEST_DB")
if _live_test_db:
    DATABASES["default"]["NAME"] = _live_test_db
