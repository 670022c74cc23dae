"""Shared factories for collector data; other apps add theirs in tests/<app>/factories.py."""
from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from collector.models import (
    ConsentRecord,
    ConsentVersion,
    Participant,
    Session,
    Study,
    StudyMembership,
    StudyRole,
)

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            user.save(update_fields=["password"])


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"study-{n}")
    title = factory.Sequence(lambda n: f"Study {n}")
    description = "A study of how people respond to short stress tasks."
    owner = factory.SubFactory(UserFactory)
    questionnaires = factory.LazyFunction(lambda: {"pre": [], "post": []})
    demographics = factory.LazyFunction(list)
    protocol = factory.LazyFunction(lambda: {"phases": []})


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudyMembership

    study = factory.SubFactory(StudyFactory)
    user = factory.SubFactory(UserFactory)
    role = StudyRole.RESEARCHER


class ConsentVersionFactory(factory.django.DjangoModelFactory):
    """Published by default; pass published_at=None for a draft."""

    class Meta:
        model = ConsentVersion

    study = factory.SubFactory(StudyFactory)
    version = factory.Sequence(lambda n: n + 1)
    text = factory.LazyAttribute(
        lambda c: f"Consent text version {c.version}: landmarks only, withdraw any time."
    )
    published_at = factory.LazyFunction(timezone.now)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    study = factory.SubFactory(StudyFactory)
    code = factory.Sequence(lambda n: f"P{n:07d}")


class ConsentRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentRecord

    participant = factory.SubFactory(ParticipantFactory)
    consent_version = factory.LazyAttribute(
        lambda r: r.participant.study.latest_consent()
        or ConsentVersionFactory(study=r.participant.study)
    )


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    participant = factory.SubFactory(ParticipantFactory)
    user_agent = "pytest"
