"""Test settings: PostgreSQL and Redis when configured (CI=true requires them).

TEST_DB_SUFFIX lets several test runs share one PostgreSQL server without
colliding on the test database name.
"""
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

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

# A live server subprocess in browser tests points at the database pytest created.
_live_test_db = os.environ.get("STRESSLAB_LIVE_TEST_DB")
if _live_test_db:
    DATABASES["default"]["NAME"] = _live_test_db
