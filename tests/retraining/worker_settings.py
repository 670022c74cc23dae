"""Settings for the Celery worker subprocess started by the retraining tests.

The worker must use the test database pytest-django created (not the dev one),
and, on Redis, a short visibility timeout so a killed worker's unacknowledged
message comes back within the test.
"""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES, REDIS_URL

DATABASES["default"]["NAME"] = DATABASES["default"]["TEST"]["NAME"]
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": float(os.environ.get("RETRAIN_TEST_VISIBILITY_S", 3600)),
        # Sweep for abandoned messages every second instead of every ~100 s.
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
