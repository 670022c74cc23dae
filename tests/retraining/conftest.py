from pathlib import Path

import pytest
from django.conf import settings


@pytest.fixture(autouse=True, scope="session")
def celery_folders():
    """The filesystem broker and file:// result backend need their folders to exist."""
    for folder in (
        settings.CELERY_BROKER_DIR,
        settings.CELERY_RESULTS_DIR,
        settings.VAR_DIR / "celery" / "processed",
    ):
        Path(folder).mkdir(parents=True, exist_ok=True)
