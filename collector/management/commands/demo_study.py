"""Create the demo study once (idempotent) and print its participant link and a researcher login."""
from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from collector.models import ConsentVersion, Study, StudyMembership, StudyRole
from collector.protocol import DEFAULT_PROTOCOL

DEMO_SLUG = "demo"
RESEARCHER_USERNAME = "researcher"
CONSENT_TEXT = """\
Thank you for your interest in this demonstration study of stress and facial expression.

What happens: you answer a few short questionnaires, then your webcam is used while you rest,
do colour-word and mental arithmetic tasks, and rate how you feel. The session lasts about
fifteen minutes.

What is recorded: only the positions of points on your face and upper body, computed in your
browser. No image or video ever leaves your computer. Your answers are stored with a random
participant code; we do not ask for your name or email.

Your rights: taking part is voluntary. You may stop at any time. With your participant code you
can withdraw later, and everything recorded from you will be deleted.
"""
DEMOGRAPHICS = [
    {"name": "age", "label": "Age in years", "type": "int", "required": False,
     "min": 16, "max": 110},
    {"name": "gender", "label": "Gender", "type": "choice", "required": False,
     "choices": ["Woman", "Man", "Non-binary", "Another gender"]},
]
QUESTIONNAIRES = {"pre": ["pss10", "stai6"], "post": ["stai6", "sam", "vas", "nasa_tlx"]}


class Command(BaseCommand):
    help = "Create the demo study, its consent and a researcher account (safe to run again)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000",
                            help="Where the site is served, for the printed links.")

    def handle(self, *args, base_url: str, **options) -> None:
        password_path = settings.VAR_DIR / "researcher_password"
        User = get_user_model()
        with transaction.atomic():
            researcher = User.objects.filter(username=RESEARCHER_USERNAME).first()
            if researcher is None or not password_path.exists():
                password = secrets.token_urlsafe(12)
                if researcher is None:
                    researcher = User(username=RESEARCHER_USERNAME, is_staff=True,
                                      is_superuser=True)
                researcher.set_password(password)
                researcher.save()
                settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
                password_path.write_text(password + "\n")
                password_path.chmod(0o600)
            study, created = Study.objects.get_or_create(
                slug=DEMO_SLUG,
                defaults={
                    "title": "Stress and expression (demo)",
                    "description": "A short demonstration of the stresslab participant flow.",
                    "owner": researcher,
                    "demographics": DEMOGRAPHICS,
                    "questionnaires": QUESTIONNAIRES,
                    "protocol": DEFAULT_PROTOCOL,
                },
            )
            StudyMembership.objects.get_or_create(
                study=study, user=researcher, defaults={"role": StudyRole.RESEARCHER}
            )
            if study.latest_consent() is None:
                ConsentVersion.objects.create(
                    study=study, version=1, text=CONSENT_TEXT, published_at=timezone.now()
                )
        password = password_path.read_text().strip()
        base = base_url.rstrip("/")
        self.stdout.write(self.style.SUCCESS(
            f"Demo study {'created' if created else 'already present'}: {study.title}"
        ))
        self.stdout.write(f"  Participant link: {base}/s/{study.slug}/")
        self.stdout.write(f"  Researcher login: {base}/accounts/login/")
        self.stdout.write(f"    username: {RESEARCHER_USERNAME}")
        self.stdout.write(f"    password: {password}   (stored in {password_path})")
